/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Module-level code that sleeps: fine for the normal ACPI initialization,
 * which runs it once the scheduler exists, but not inside setup_arch().
 * The early ACPI probe must refuse the Sleep and give up.
 */
DefinitionBlock ("", "SSDT", 2, "ESLAB", "ESSLEEP", 1)
{
    Name (ESSL, Zero)
    Sleep (1)
    ESSL = One
}
