# SPDX-License-Identifier: GPL-2.0-only
"""pytest set-up of the gdb command tests: makes gdbtest importable, and
runs every module on each kernel of gdbtest.KERNELS in turn (the ids say
which: test_x[6.12], test_x[6.1])."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gdbtest  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(scope="module", autouse=True, params=gdbtest.KERNELS)
def gdb_kernel(request):
    gdbtest.select(request.param)
    yield request.param
