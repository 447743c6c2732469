# SPDX-License-Identifier: GPL-2.0-only
"""analyzers/tests/test_realdump.py on a clean self-test boot of the 6.1
kernel (early_kmalloc_selftest), halted at kmem_cache_init_late: check
exits 0, owners --verify agrees with the struct pages, --raw == --core,
and the self-test passed."""

import realdump

SCENARIO = "clean"
KERNEL = "6.1"

globals().update(realdump.scenario_tests(SCENARIO, KERNEL))
