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
    "pt_forgotten_present_bit": (
        "lab2-mm", "pagetable.c", "    *entry = pte_make(pa, flags | PTE_PRESENT);",
        "    *entry = pte_make(pa, flags);",
        "pt_map_then_translate", ["did not install the mapping"]),
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
