"""Broken variants of lab 2's challenge part (2 MiB pages and pt_print), in
the BROKEN format of __init__.py."""

BROKEN = {
    "huge_missing_ps_bit": (
        # The 2 MiB entry without PS: the CPU takes the data for a page table.
        "lab2-mm", "pagetable.c", "    *entry = pte_make(pa, flags | PTE_HUGE | PTE_PRESENT);",
        "    *entry = pte_make(pa, flags | PTE_PRESENT);",
        "huge_map_translate_and_access", ["lacks PTE_HUGE (the PS bit)", "for a page table"]),
    "huge_protect_without_tlb_flush": (
        "lab2-mm", "pagetable.c",
        "    *path[2] = pte_make(pte_address(*path[2]), flags | PTE_HUGE | PTE_PRESENT);\n"
        "    if (paging_current_root() == root)\n        tlb_flush_page(va);",
        "    *path[2] = pte_make(pte_address(*path[2]), flags | PTE_HUGE | PTE_PRESENT);",
        "huge_protect_and_unmap_flush_the_tlb", ["pt_protect_huge", "the TLB kept the old entry"]),
    "huge_split_keeps_ps_bit": (
        # Copying the 2 MiB entry's flags whole: bit 7 is PAT in a level-1 entry.
        "lab2-mm", "pagetable.c", "    uint64_t flags = (*entry & ~PTE_ADDRESS_MASK) & ~PTE_HUGE;",
        "    uint64_t flags = *entry & ~PTE_ADDRESS_MASK;",
        "huge_split_on_4k_unmap_and_protect", ["has bit 7 set", "(PAT)"]),
    "pt_print_kernel_half": (
        "lab2-mm", "pagetable.c",
        "    unsigned count = level == 4 ? PT_ENTRIES / 2 : PT_ENTRIES; /* the user half */",
        "    unsigned count = PT_ENTRIES;",
        "pt_print_shows_every_entry", ["does it print the kernel half"]),
}
