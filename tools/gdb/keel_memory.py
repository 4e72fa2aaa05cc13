"""Keel's GDB helpers for physical memory (loaded by keel.py).

  keel-phys PADDR [COUNT]   COUNT 8-byte words at a physical address, through the direct map
  keel-table [PADDR [LEVEL]] a page-table page's present entries, decoded (default: CR3's PML4)
  $phys(PADDR)              the direct-map pointer for a physical address, for any gdb command:
                            x/4gx $phys(0x1000), p *(pte_t (*)[512])$phys($cr3 & ~0xfff)

The kernel reaches all of RAM at one virtual address range, the direct map
(<keel/mm.h>: phys_to_virt): physical address P is at direct-map base + P.
These helpers do that sum, check P is RAM, and say what the frame is used
for. They work on both platforms (on the Linux platform "physical memory"
is the kernel process's memfd, mapped the same way)."""
import gdb

import keel

ADDRESS_BITS = 0x000FFFFFFFFFF000
LEVEL_NAMES = {4: "PML4", 3: "PDPT", 2: "page directory (PD)", 1: "page table (PT)"}


class BadAddress(Exception):
    """A physical address the helpers refuse; the message says why."""


def value_of(text):
    """An expression (number, register, C expression) as an unsigned 64-bit int."""
    try:
        return int(gdb.parse_and_eval(text)) & 0xFFFFFFFFFFFFFFFF
    except gdb.error as error:
        raise BadAddress(f"cannot evaluate '{text}': {error}")


def direct_map_base():
    try:
        return int(gdb.parse_and_eval("platform_direct_map_base")) & 0xFFFFFFFFFFFFFFFF
    except gdb.error:
        return keel.DIRECT_MAP


def ram_frames():
    """How many frames the page array covers (0 before the memory map is read)."""
    try:
        return int(gdb.parse_and_eval("'physical_memory.c'::frame_count"))
    except gdb.error:
        return 0


def frame_state(paddr):
    """What the frame holding `paddr` is used for, as keel-frames says it."""
    try:
        pages = int(gdb.parse_and_eval("'physical_memory.c'::pages"))
        size = int(gdb.parse_and_eval("sizeof(struct page)"))
        state = bytes(gdb.selected_inferior().read_memory(pages + (paddr >> 12) * size, 1))[0]
    except (gdb.error, gdb.MemoryError):
        return None
    return keel.PAGE_STATES[state] if state < len(keel.PAGE_STATES) else f"state {state}"


def direct_pointer(paddr, size=1):
    """The direct-map address of physical `paddr`, after checking that
    [paddr, paddr + size) is RAM the direct map covers."""
    frames = ram_frames()
    if frames == 0:
        raise BadAddress("the direct map is not set up yet: the kernel has not read the memory "
                         "map (try again after `hbreak kmain` and `continue`)")
    end = frames << 12
    if paddr >= 1 << 52:
        raise BadAddress(f"{paddr:#x} is not a physical address (x86_64 has at most 52 address "
                         f"bits): a virtual address? keel-pt ADDR translates one")
    if paddr + size > end:
        raise BadAddress(f"physical address {paddr:#x} is past the end of RAM: the direct map "
                         f"covers 0x0..{end - 1:#x} ({frames} frames, {end >> 20} MiB)")
    return direct_map_base() + paddr


def read_words(pointer, count):
    try:
        data = bytes(gdb.selected_inferior().read_memory(pointer, count * 8))
    except gdb.MemoryError:
        raise BadAddress(f"cannot read {count * 8} bytes at {pointer:#x}: the direct map is not "
                         f"mapped there yet (boot still running?)")
    return [int.from_bytes(data[i * 8:i * 8 + 8], "little") for i in range(count)]


def current_root():
    """The physical address of the running address space's PML4 (CR3)."""
    root = keel.control_register("cr3")
    if root is None:
        root = value_of("linux_cpu.cr3")  # the Linux platform's CR3
    return root & ADDRESS_BITS


def translate(va, root=None):
    """The physical address `va` maps to through `root` (default CR3), or None."""
    table = current_root() if root is None else root
    for level in (4, 3, 2, 1):
        index = (va >> (12 + 9 * (level - 1))) & 511
        entry = read_words(direct_pointer(table + index * 8, 8), 1)[0]
        if not entry & 1:
            return None
        if level > 1 and entry & (1 << 7):
            size = 1 << (12 + 9 * (level - 1))
            return (entry & ADDRESS_BITS & ~(size - 1)) + (va & (size - 1))
        table = entry & ADDRESS_BITS
    return table + (va & 0xFFF)


@keel.command
class KeelPhys(gdb.Command):
    """keel-phys PADDR [COUNT]: COUNT (default 16) 8-byte words at a physical address, via the direct map."""

    def __init__(self):
        super().__init__("keel-phys", gdb.COMMAND_USER)

    def invoke(self, argument, from_tty):
        words = gdb.string_to_argv(argument)
        if not 1 <= len(words) <= 2:
            keel.say("usage: keel-phys PADDR [COUNT]   e.g. keel-phys 0x101000 8, keel-phys $cr3")
            return
        try:
            paddr = value_of(words[0])
            count = value_of(words[1]) if len(words) > 1 else 16
            if not 1 <= count <= 4096:
                raise BadAddress(f"COUNT {count} words: give 1 to 4096")
            if paddr % 8:
                keel.say(f"(note: {paddr:#x} is not 8-byte aligned; words start there anyway)")
            pointer = direct_pointer(paddr, count * 8)
            values = read_words(pointer, count)
        except BadAddress as error:
            keel.say(f"keel-phys: {error}")
            return
        state = frame_state(paddr)
        keel.say(f"physical {paddr:#x} = virtual {pointer:#x} in the direct map; frame "
                 f"{paddr >> 12:#x} is {state or 'of unknown use'}")
        for i in range(0, count, 2):
            row = "  ".join(f"{v:#018x}" for v in values[i:i + 2])
            keel.say(f"  {paddr + i * 8:#014x}:  {row}")


def entry_target(entry, level):
    """What a present entry at `level` points to, in words."""
    address = entry & ADDRESS_BITS
    if level == 1:
        return f"a 4 KiB page at physical {address:#x}"
    if entry & (1 << 7):
        size = 1 << (12 + 9 * (level - 1))
        return f"a {size >> 20} MiB huge page at physical {address & ~(size - 1):#x}"
    return f"the level {level - 1} table ({LEVEL_NAMES[level - 1]}) at physical {address:#x}"


def span(index, level):
    """The virtual range one entry covers: exact for the top level, an offset below it."""
    size = 1 << (12 + 9 * (level - 1))
    if level == 4:
        start = index * size
        if start & (1 << 47):
            start |= 0xFFFF000000000000
        return f"virtual {start:#x}-{start + size - 1:#x}"
    unit = {3: "GiB", 2: "MiB", 1: "KiB"}[level]
    scale = {3: 1 << 30, 2: 1 << 20, 1: 1 << 10}[level]
    return f"+{index * size // scale} {unit} of its parent's range"


@keel.command
class KeelTable(gdb.Command):
    """keel-table [PADDR [LEVEL]]: the present entries of the page-table page at PADDR (default CR3, level 4)."""

    def __init__(self):
        super().__init__("keel-table", gdb.COMMAND_USER)

    def invoke(self, argument, from_tty):
        words = gdb.string_to_argv(argument)
        if len(words) > 2:
            keel.say("usage: keel-table [PADDR [LEVEL]]   LEVEL 4 = PML4 (the default), 3, 2, 1 = PT")
            return
        try:
            if words:
                paddr = value_of(words[0])
            else:
                paddr = current_root()
            level = value_of(words[1]) if len(words) > 1 else 4
            if level not in LEVEL_NAMES:
                raise BadAddress(f"LEVEL {level}: give 4 (PML4), 3 (PDPT), 2 (PD) or 1 (PT)")
            if paddr % 4096:
                raise BadAddress(f"{paddr:#x} is not the start of a page: a page table fills a "
                                 f"whole 4 KiB frame. If this is an entry's value, its table is "
                                 f"at {paddr & ADDRESS_BITS:#x}")
            entries = read_words(direct_pointer(paddr, 4096), 512)
        except BadAddress as error:
            keel.say(f"keel-table: {error}")
            return
        state = frame_state(paddr)
        keel.say(f"Level {level} table ({LEVEL_NAMES[level]}) at physical {paddr:#x}"
                 f" (frame {state or 'of unknown use'}):")
        if state == "free":
            keel.say("  WARNING: this frame is free: no page table should live here (a table "
                     "freed while an entry still points to it?)")
        if entries.count(0x6B6B6B6B6B6B6B6B) > 256:
            keel.say("  WARNING: it is full of 0x6b6b6b6b6b6b6b6b, the framework's poison for "
                     "freed frames: this table was freed")
        present = [(i, e) for i, e in enumerate(entries) if e & 1]
        for index, entry in present:
            keel.say(f"  [{index:3}] {keel.describe_entry(entry)}")
            keel.say(f"        {span(index, level)} -> {entry_target(entry, level)}")
        keel.say(f"{len(present)} of 512 entries present"
                 + ("" if level == 1 else "; keel-table ADDR LEVEL-1 shows a table below"))


class Phys(gdb.Function):
    """$phys(PADDR): a pointer to physical address PADDR in the direct map (checked to be RAM)."""

    def __init__(self):
        super().__init__("phys")

    def invoke(self, paddr):
        try:
            pointer = direct_pointer(int(paddr) & 0xFFFFFFFFFFFFFFFF)
        except BadAddress as error:
            raise gdb.GdbError(f"$phys: {error}")
        return gdb.Value(pointer).cast(gdb.lookup_type("void").pointer())


Phys()
keel.COMMANDS.append(Phys)  # keel-help lists it
