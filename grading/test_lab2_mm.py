"""Graders for lab 2 (memory): the buddy allocator and the page tables.

Each check runs inside the kernel (lab2-mm/tests/*.c) through the
framework's checked frame_alloc and vm_* calls, so a block handed out twice
or a wrong page-table entry is reported as the bug it is.
Run with: make grade LAB=lab2-mm"""
import pytest

from keelgrade.table import KTest, in_kernel_tests

LAB = "lab2-mm"

IN_KERNEL = [
    KTest("buddy_init_takes_every_free_frame", 8, "buddy_init takes every free frame", 3.0),
    KTest("buddy_blocks_are_aligned_and_distinct", 8, "blocks of every order, aligned and distinct", 3.0),
    KTest("buddy_splits_only_what_it_needs", 8, "allocation splits only what it needs", 3.0),
    KTest("buddy_exhaustion_and_recovery", 10, "exhaustion, and recovery after freeing everything", 3.0),
    KTest("buddy_coalesces_back_to_the_start", 10, "freed buddies merge back to the initial state", 3.0),
    KTest("pt_map_then_translate", 8, "pt_map then pt_translate and pt_walk", 3.0),
    KTest("pt_map_refuses_a_mapped_page", 6, "pt_map refuses a page already mapped", 3.0),
    KTest("pt_unmap_frees_empty_tables", 10, "pt_unmap frees the tables it empties", 3.0),
    KTest("pt_kernel_survives_the_switch", 8, "the kernel keeps running on your page table", 3.0),
    KTest("pt_read_only_pages_refuse_writes", 8, "read-only pages refuse writes", 3.0),
    KTest("pt_protect_takes_effect_at_once", 8, "pt_protect flushes the TLB", 3.0),
    KTest("pt_many_mappings", 8, "1024 mappings across a 1 GiB boundary", 3.0),
]



# Exhausting and walking all of memory takes a few times a plain boot.
test_in_kernel = in_kernel_tests(IN_KERNEL)
