# SPDX-License-Identifier: GPL-2.0-only
"""analyzers/tests/test_realdump.py on a clean self-test boot
(early_kmalloc_selftest), halted at kmem_cache_init_late: check exits 0,
owners --verify agrees with the struct pages, --raw == --core."""

import realdump

SCENARIO = "clean"

globals().update(realdump.analyzer_tests(SCENARIO))


def test_selftest_passed(dump):
    """The boot the dump comes from ran the self-test and passed it."""
    assert "early_kmalloc: selftest PASS" in dump.boot.serial, \
        dump.boot.serial_log
