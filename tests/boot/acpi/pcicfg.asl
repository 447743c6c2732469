/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Module-level code that reads the PCI config space of the root bridge
 * (its vendor and device ID): fine for the normal ACPI initialization,
 * after the PCI access methods are set up, but not inside setup_arch().
 * The early ACPI probe must refuse the access and give up.
 */
DefinitionBlock ("", "SSDT", 2, "ESLAB", "ESPCICFG", 1)
{
    External (\_SB.PCI0, DeviceObj)

    Scope (\_SB.PCI0)
    {
        OperationRegion (ESPC, PCI_Config, 0x00, 0x04)
        Field (ESPC, DWordAcc, NoLock, Preserve)
        {
            ESID, 32
        }

        Name (ESVD, Zero)
    }

    \_SB.PCI0.ESVD = \_SB.PCI0.ESID
}
