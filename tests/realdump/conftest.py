# SPDX-License-Identifier: GPL-2.0-only
"""pytest set-up of the real-dump tests: each test module names its
SCENARIO and KERNEL; the scenario is booted on that kernel once, before
the module's first test, and its core is deleted after the module's last
one."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import realdump  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(scope="module", autouse=True)
def dump(request):
    scenario = getattr(request.module, "SCENARIO", None)
    if scenario is None:
        yield None
        return
    kernel = request.module.KERNEL
    try:
        yield realdump.produce(scenario, kernel)
    finally:
        realdump.cleanup(scenario, kernel)
