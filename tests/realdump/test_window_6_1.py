# SPDX-License-Identifier: GPL-2.0-only
"""analyzers/tests/test_realdump.py on a boot of the 6.1 kernel with
early_kmalloc_inject=window, halted at kmem_cache_init_late: check exits
1 with exactly one window_free, its caller symbolized to the injecting
function of the 6.1 series; owners --verify, --raw == --core.

Then bad inputs made from the same dump (badinputs.py)."""

import realdump
from badinputs import (test_empty, test_not_elf,  # noqa: F401
                       test_truncated_core, test_wrong_vmlinux)

SCENARIO = "window"
KERNEL = "6.1"

globals().update(realdump.scenario_tests(SCENARIO, KERNEL))
