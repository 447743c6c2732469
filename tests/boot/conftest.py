# SPDX-License-Identifier: GPL-2.0-only
"""At the end of the boot matrix: one line per boot (time, init marker,
self-test lines, first bad serial line), also without -s."""

import sys


def pytest_terminal_summary(terminalreporter):
    mod = sys.modules.get("test_boot")
    lines = mod.boot_reports() if mod else []
    if not lines:
        return
    terminalreporter.section("boots")
    for line in lines:
        terminalreporter.write_line(f"[boot] {line}")
    terminalreporter.write_line(f"[boot] {len(lines)} boots, "
                                f"{mod.boot_seconds():.0f} s in all")
