"""Lab 2 (memory): deliberately broken versions of the reference solution
(see __init__.py for the shape of a row)."""

BROKEN = {
    "buddy_double_handout": (
        "lab2-mm", "buddy.c", "    unlink_block(block, found);\n", "",
        "buddy_blocks_are_aligned_and_distinct", ["handed out frame", "twice"]),
    "buddy_no_coalescing": (
        "lab2-mm", "buddy.c", "    while (order < FRAME_MAX_ORDER) {",
        "    while (false && order < FRAME_MAX_ORDER) {",
        "buddy_coalesces_back_to_the_start", ["were not merged"]),
    # A free block of a smaller order at the buddy's address is taken as the
    # buddy: the merged block covers frames still in use.
    "buddy_merges_different_orders": (
        "lab2-mm", "buddy.c", " || buddy->order != order)", ")",
        "buddy_coalesces_back_to_the_start",
        # Which orders meet first depends on where the free blocks lie (the
        # memory map, the kernel's size).
        ["merged blocks of different orders", "is not wholly free (only a free block of order",
         "same order"]),
    # Blocks as large as the free run, wherever they start.
    "buddy_init_unaligned_blocks": (
        "lab2-mm", "buddy.c", "order < FRAME_MAX_ORDER && pfn % (2ull << order) == 0 &&",
        "order < FRAME_MAX_ORDER &&", "buddy_init_takes_every_free_frame",
        ["buddy_init made an order-", "not aligned to its size"]),
    # The empty table is freed, but its parent's entry still points to it:
    # the next walk reads the poison that frame_free filled it with.
    "pt_freed_table_still_linked": (
        "lab2-mm", "pagetable.c", "        *path[level + 1] = 0;\n", "",
        "pt_unmap_frees_empty_tables",
        ["freed a table still linked from its parent", "the level-2 entry", ") is 0x",
         ("freed in pt_unmap", "freed in free_empty_tables"), "pagetable.c:"]),
    "pt_forgotten_present_bit": (
        "lab2-mm", "pagetable.c", "    *entry = pte_make(pa, flags | PTE_PRESENT);",
        "    *entry = pte_make(pa, flags);",
        "pt_map_then_translate",
        ["did not install the mapping", "the framework's walk stopped at level 1", "not present"]),
    "pt_missing_tlb_flush": (
        "lab2-mm", "pagetable.c",
        "    *entry = pte_make(pte_address(*entry), flags | PTE_PRESENT);\n    if (paging_current_root() == root)\n        tlb_flush_page(va);",
        "    *entry = pte_make(pte_address(*entry), flags | PTE_PRESENT);",
        "pt_protect_takes_effect_at_once", ["TLB"]),
    "pt_leaked_tables": (
        "lab2-mm", "pagetable.c", "        frame_free(this_table, 0);", "",
        "pt_unmap_frees_empty_tables", ["free the page tables"]),
    "pt_tables_without_user_bit": (
        "lab2-mm", "pagetable.c", "#define TABLE_FLAGS (PTE_PRESENT | PTE_WRITABLE | PTE_USER)",
        "#define TABLE_FLAGS (PTE_PRESENT | PTE_WRITABLE)",
        "pt_user_pages_reach_ring_3", ["lacks PTE_USER", "user code could not reach it"]),
    "pt_index_not_masked": (
        "lab2-mm", "pagetable.c", "pte_t *entry = &table[pt_index(va, level)];",
        "pte_t *entry = &table[va >> (12 + 9 * (level - 1))];",
        "pt_map_then_translate", ["past the end of RAM", "indexing past the end of a table?"]),
    "pt_empty_check_skips_entry_0": (
        "lab2-mm", "pagetable.c", "for (unsigned i = 0; i < PT_ENTRIES; i++)",
        "for (unsigned i = 1; i < PT_ENTRIES; i++)",
        "pt_unmap_keeps_tables_still_in_use", ["still held a mapping", "index 0 included"]),
}
