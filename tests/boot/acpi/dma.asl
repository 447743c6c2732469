/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A _DMA object on the PCI root bridge: devices below it reach bus
 * addresses 0 to 2^40 - 1. The early ACPI probe reads it from setup_arch().
 */
DefinitionBlock ("", "SSDT", 2, "ESLAB", "ESDMA", 1)
{
    External (\_SB.PCI0, DeviceObj)

    Scope (\_SB.PCI0)
    {
        Name (_DMA, ResourceTemplate ()
        {
            QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed,
                Cacheable, ReadWrite,
                0x0000000000000000,     /* granularity */
                0x0000000000000000,     /* minimum */
                0x000000FFFFFFFFFF,     /* maximum */
                0x0000000000000000,     /* translation */
                0x0000010000000000,     /* length */
                ,, , AddressRangeMemory, TypeStatic)
        })
    }
}
