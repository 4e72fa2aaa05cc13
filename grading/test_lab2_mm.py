"""Graders for lab 2 (memory): the buddy allocator and the page tables.

Each check runs inside the kernel (lab2-mm/tests/*.c) through the
framework's checked frame_alloc and vm_* calls, so a block handed out twice
or a wrong page-table entry is reported as the bug it is. Those with `seeded`
in their name are host-checked: they get a fresh random seed per run and their
answers must match what the functions below compute for it.
Run with: make grade LAB=lab2-mm"""

from keelgrade.seeded import SplitMix64
from keelgrade.table import KTest, in_kernel_tests

LAB = "lab2-mm"


# ---- Host-checked tests ------------------------------------------------------
# Each function below draws the same numbers from the run's seed as its
# in-kernel test (lab2-mm/tests/), in the same order, and returns the answer
# lines a correct lab 2 gives. They model only what lab2.h and the handout
# specify: counts and contents, never which addresses the allocator picks.


def buddy_seeded_workload(seed):
    """The buddy allocator's free count drops by 2^order frames per allocation
    and comes back on each free; blocks keep what was written into them; and
    once all is freed, merging restores the free lists buddy_init made (every
    free block as large as alignment and its free neighbours allow)."""
    random, lines = SplitMix64(seed), []
    live, next_id, in_use = [], 1, 0
    for step in range(1, 41):
        if not live or (len(live) < 16 and random.below(3) != 0):
            order = random.below(6)
            random.next()  # the block's fill pattern
            live.append((next_id, order))
            in_use += 1 << order
            lines.append(f"step {step}: allocated block {next_id} of order {order}; "
                         f"{in_use} frames in use")
            next_id += 1
        else:
            i = random.below(len(live))
            block, order = live[i]
            live[i] = live[-1]  # the kernel's swap-with-last removal
            live.pop()
            in_use -= 1 << order
            lines.append(f"step {step}: freed block {block} of order {order}, 0 words changed; "
                         f"{in_use} frames in use")
    lines.append("end: the rest freed, 0 words changed; 0 frames in use; free blocks per order "
                 "changed by" + " 0" * 11)
    return lines


PTE_WRITABLE, PTE_USER, PTE_NO_EXECUTE = 1 << 1, 1 << 2, 1 << 63
PERMISSIONS = (0, PTE_WRITABLE, PTE_WRITABLE | PTE_NO_EXECUTE, PTE_WRITABLE | PTE_USER,
               PTE_USER | PTE_NO_EXECUTE)
TEST_VA = 0x0000200000000000


def _flags_name(flags):
    return (("writable" if flags & PTE_WRITABLE else "read-only")
            + (" user" if flags & PTE_USER else "")
            + (" no-execute" if flags & PTE_NO_EXECUTE else ""))


def _page_tables(mapped):
    """Tables below the PML4 that the mapped pages need: one page-directory-
    pointer table per PML4 slot used, one page directory per PDPT slot, one
    page table per page-directory slot (empty ones are freed)."""
    return sum(len({va >> shift for va in mapped}) for shift in (39, 30, 21))


def pt_seeded_operations(seed):
    """Four-level page tables as lab2.h specifies them: pt_map refuses a
    mapped page (-EEXIST), pt_unmap and pt_protect refuse an unmapped one
    (-ENOENT), pt_protect keeps the frame, pt_translate keeps the offset,
    tables are created as needed and freed when left empty, and pt_walk
    without create never creates one."""
    random, lines = SplitMix64(seed), []
    pages = [TEST_VA + (random.below(2) << 39) + (random.below(3) << 30) + (random.below(3) << 21)
             + (random.below(512) << 12) for _ in range(8)]
    mapped = {}  # virtual page -> (pool frame, flags)

    def translation(step, address):
        page, offset = address & ~0xfff, address & 0xfff
        if page not in mapped:
            return (f"step {step}: translate {address:#x}: not mapped; "
                    f"{_page_tables(mapped)} page tables")
        frame, flags = mapped[page]
        return (f"step {step}: translate {address:#x}: frame {frame} + {offset:#x}, "
                f"{_flags_name(flags)}")

    for step in range(1, 49):
        what, va = random.below(10), pages[random.below(8)]
        if what < 4:
            frame, flags = random.below(8), PERMISSIONS[random.below(len(PERMISSIONS))]
            result = "-EEXIST" if va in mapped else "0"
            mapped.setdefault(va, (frame, flags))
            lines.append(f"step {step}: map {va:#x} to frame {frame} {_flags_name(flags)}: "
                         f"{result}; {_page_tables(mapped)} page tables")
        elif what < 6:
            result = "0" if mapped.pop(va, None) else "-ENOENT"
            lines.append(f"step {step}: unmap {va:#x}: {result}; {_page_tables(mapped)} page tables")
        elif what < 8:
            flags = PERMISSIONS[random.below(len(PERMISSIONS))]
            result = "-ENOENT"
            if va in mapped:
                mapped[va], result = (mapped[va][0], flags), "0"
            lines.append(f"step {step}: protect {va:#x} {_flags_name(flags)}: {result}")
        else:
            lines.append(translation(step, va + random.below(4096)))
    # The final state of every page (as steps 49-56).
    lines += [translation(49 + i, va + i * 8) for i, va in enumerate(pages)]
    lines.append("end: every page unmapped; 0 page tables")
    return lines

HUGE = 1 << 21
RESULTS = {0: "0", -17: "-EEXIST", -2: "-ENOENT"}


def huge_seeded_operations(seed):
    """2 MiB pages as lab2.h's challenge part specifies them, beside 4 KiB
    ones: pt_map_huge refuses a region where anything is mapped (-EEXIST),
    pt_map refuses a page inside a 2 MiB page, pt_unmap and pt_protect of a
    page inside one split it into 512 pages with its frames and flags first,
    pt_unmap_huge and pt_protect_huge want a 2 MiB page (-ENOENT otherwise),
    translations inside a 2 MiB page keep 21 bits of offset, and tables are
    freed when left empty (a 2 MiB page needs no level-1 table)."""
    random, lines = SplitMix64(seed), []
    regions = [TEST_VA + (random.below(2) << 30) + (random.below(2) << 21) for _ in range(4)]
    huge = {}   # region -> (pool offset, flags)
    small = {}  # page -> (pool offset, flags)

    def tables():
        spans = list(huge) + list(small)
        return (len({va >> 39 for va in spans}) + len({va >> 30 for va in spans})
                + len({va >> 21 for va in small}))

    def split(region):
        offset, flags = huge.pop(region)
        for i in range(512):
            small[region + i * 4096] = (offset + i * 4096, flags)

    def translation(step, address):
        region, page = address & ~(HUGE - 1), address & ~0xfff
        if region in huge:
            offset, flags = huge[region]
            where = f"pool + {offset + address - region:#x}, 2M page"
        elif page in small:
            offset, flags = small[page]
            where = f"pool + {offset + (address & 0xfff):#x}, 4K page"
        else:
            return f"step {step}: translate {address:#x}: not mapped; {tables()} page tables"
        return f"step {step}: translate {address:#x}: {where}, {_flags_name(flags)}"

    for step in range(1, 41):
        what, region = random.below(12), regions[random.below(4)]
        if what < 3:
            half, flags = random.below(2), PERMISSIONS[random.below(len(PERMISSIONS))]
            taken = region in huge or any(va >> 21 == region >> 21 for va in small)
            if not taken:
                huge[region] = (half * HUGE, flags)
            lines.append(f"step {step}: map 2M {region:#x} to half {half} {_flags_name(flags)}: "
                         f"{RESULTS[-17 if taken else 0]}; {tables()} page tables")
        elif what < 5:
            va = region + random.below(4) * 4096
            frame, flags = random.below(8), PERMISSIONS[random.below(len(PERMISSIONS))]
            taken = region in huge or va in small
            if not taken:
                small[va] = (frame * 4096, flags)
            lines.append(f"step {step}: map {va:#x} to frame {frame} {_flags_name(flags)}: "
                         f"{RESULTS[-17 if taken else 0]}; {tables()} page tables")
        elif what < 7:
            va = region + random.below(4) * 4096
            if region in huge:
                split(region)
            result = 0 if small.pop(va, None) else -2
            lines.append(f"step {step}: unmap {va:#x}: {RESULTS[result]}; {tables()} page tables")
        elif what < 8:
            result = 0 if huge.pop(region, None) else -2
            lines.append(f"step {step}: unmap 2M {region:#x}: {RESULTS[result]}; "
                         f"{tables()} page tables")
        elif what < 9:
            va = region + random.below(4) * 4096
            flags = PERMISSIONS[random.below(len(PERMISSIONS))]
            if region in huge:
                split(region)
            result = -2
            if va in small:
                small[va], result = (small[va][0], flags), 0
            lines.append(f"step {step}: protect {va:#x} {_flags_name(flags)}: {RESULTS[result]}; "
                         f"{tables()} page tables")
        elif what < 10:
            flags = PERMISSIONS[random.below(len(PERMISSIONS))]
            result = -2
            if region in huge:
                huge[region], result = (huge[region][0], flags), 0
            lines.append(f"step {step}: protect 2M {region:#x} {_flags_name(flags)}: "
                         f"{RESULTS[result]}")
        else:
            va = region + random.below(4) * 4096
            lines.append(translation(step, va + random.below(4096)))
    lines += [translation(41 + i, region + i * 4096 + 8 * i) for i, region in enumerate(regions)]
    return lines


IN_KERNEL = [
    KTest("buddy_init_takes_every_free_frame", 7, "buddy_init takes every free frame", 3.0),
    KTest("buddy_blocks_are_aligned_and_distinct", 7, "blocks of every order, aligned and distinct", 3.0),
    KTest("buddy_splits_only_what_it_needs", 7, "allocation splits only what it needs", 3.0),
    KTest("buddy_exhaustion_and_recovery", 8, "exhaustion, and recovery after freeing everything", 3.0),
    KTest("buddy_coalesces_back_to_the_start", 8, "freed buddies merge back to the initial state", 3.0),
    KTest("buddy_seeded_workload", 8, "random allocations and frees: counts, contents, merging", 3.0,
          expect=buddy_seeded_workload),
    KTest("pt_map_then_translate", 5, "pt_map then pt_translate and pt_walk", 3.0),
    KTest("pt_map_refuses_a_mapped_page", 4, "pt_map refuses a page already mapped", 3.0),
    KTest("pt_unmap_frees_empty_tables", 7, "pt_unmap frees the tables it empties", 3.0),
    KTest("pt_unmap_keeps_tables_still_in_use", 5, "pt_unmap keeps tables that still map a page", 3.0),
    KTest("pt_kernel_survives_the_switch", 5, "the kernel keeps running on your page table", 3.0),
    KTest("pt_read_only_pages_refuse_writes", 5, "read-only pages refuse writes", 3.0),
    KTest("pt_protect_takes_effect_at_once", 6, "pt_protect flushes the TLB", 3.0),
    KTest("pt_many_mappings", 5, "1024 mappings across a 1 GiB boundary", 3.0),
    KTest("pt_user_pages_reach_ring_3", 5, "user code in ring 3 reaches its user pages", 3.0),
    KTest("pt_seeded_operations", 8, "random maps, unmaps, protects and translations", 3.0,
          expect=pt_seeded_operations),
    # The challenge part (README.md, "Challenge part"): 2 MiB pages and pt_print.
    KTest("huge_map_translate_and_access", 8, "2 MiB pages: map, translate, access, unmap", 3.0,
          part="challenge"),
    KTest("huge_map_refuses_overlaps", 8, "2 MiB pages: misaligned and overlapping requests", 3.0,
          part="challenge"),
    KTest("huge_protect_and_unmap_flush_the_tlb", 8, "2 MiB pages: protect and unmap flush the TLB",
          3.0, part="challenge"),
    KTest("huge_split_on_4k_unmap_and_protect", 8, "4 KiB unmap and protect split a 2 MiB page",
          3.0, part="challenge"),
    KTest("huge_pages_reach_ring_3", 6, "2 MiB pages: user code in ring 3 runs and writes in one",
          3.0, part="challenge"),
    KTest("pt_print_shows_every_entry", 8, "pt_print: the page-table dump, line by line", 3.0,
          part="challenge"),
    KTest("huge_seeded_operations", 8, "random 2 MiB and 4 KiB operations: results, tables", 3.0,
          expect=huge_seeded_operations, part="challenge"),
]



# Exhausting and walking all of memory takes a few times a plain boot.
test_in_kernel = in_kernel_tests(IN_KERNEL)
