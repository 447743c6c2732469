# SPDX-License-Identifier: GPL-2.0-only
"""pytest set-up of the gdb command tests: makes gdbtest importable."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
