"""Keel's GDB helpers. Loaded by `make gdb` (source tools/gdb/keel.py).

Commands:
  keel-help                 list these commands
  keel-guide boot [--batch] a guided tour of the boot, stopping at each stage
  keel-guide next           go on to the next stage of the tour
  keel-pt ADDR [ROOT]       walk the page tables for a virtual address
  keel-frames               what the physical frames are used for
  keel-tf [EXPR]            the trap frame being handled (else a copy of the most recent one)
  keel-idt                  the interrupt vectors and their handlers
  keel-threads              the running thread and the scheduler's view
  keel-ps                   the processes (lab 5) and their states
  keel-user                 load the symbols of the running user program
  keel-guide syscall        a guided tour of one system call, user to kernel and back
  keel-guide pagefault|timer|switch|fork   more tours (keel_walkthroughs.py)
  keel-phys, keel-table, $phys(PADDR)      physical memory and tables (keel_memory.py)
  keel-run-with-input FILE  (PLATFORM=linux) run with the kernel's arguments, FILE as input

Each command is a class below registered with the table COMMANDS, so later
labs add theirs (keel-pt, keel-frames, ...) the same way."""
import importlib
import os
import sys

import gdb

COMMANDS = []


def command(cls):
    COMMANDS.append(cls)
    cls()
    return cls


def say(text=""):
    gdb.write(text + "\n")
    gdb.flush()


def register(name):
    """A register's value as an int, or None if this target has no such register."""
    try:
        return int(gdb.parse_and_eval(f"${name}")) & 0xFFFFFFFFFFFFFFFF
    except gdb.error:
        return None


def monitor_register(name):
    """Fallback: read a register from QEMU's 'info registers'."""
    try:
        dump = gdb.execute("monitor info registers", to_string=True)
    except gdb.error:
        return None
    import re
    match = re.search(rf"\b{name.upper()}=([0-9a-f]+)", dump)
    return int(match.group(1), 16) if match else None


def control_register(name):
    value = register(name)
    return value if value is not None else monitor_register(name)


def bits(value, names):
    if value is None:
        return "(not available)"
    return f"{value:#x} = " + ", ".join(f"{label} {'on' if value & (1 << bit) else 'off'}"
                                        for bit, label in names)


CR0_BITS = [(0, "PE (protected mode)"), (16, "WP (write protect)"), (31, "PG (paging)")]
CR4_BITS = [(5, "PAE (64-bit page table entries)"), (7, "PGE (global pages)")]
EFER_BITS = [(8, "LME (long mode enable)"), (10, "LMA (long mode active)"), (11, "NXE (no-execute)")]


def show_handoff():
    rip = register("rip") or 0
    eax = (register("rax") or 0) & 0xFFFFFFFF
    ebx = (register("rbx") or 0) & 0xFFFFFFFF
    if rip == int(gdb.parse_and_eval("(long)&pvh_entry")) & 0xFFFFFFFF:
        say("The CPU is at pvh_entry: QEMU loaded kernel.elf itself (-kernel) and jumped here,")
        say("to the address named by the kernel's PVH note. There was no BIOS and no GRUB.")
        say(f"  EBX = {ebx:#010x}: physical address of QEMU's PVH start-info block")
        say("  (memory map, command line). The framework turns it into a Multiboot2 block")
        say("  so your code sees one format however the kernel was started.")
    else:
        say("The CPU is at multiboot2_entry: GRUB found the Multiboot2 header in kernel.elf,")
        say("loaded the program segments at their physical addresses and jumped here.")
        say(f"  EAX = {eax:#010x}: {'the Multiboot2 magic (0x36d76289), so this really is GRUB' if eax == 0x36D76289 else 'should be the Multiboot2 magic 0x36d76289'}")
        say(f"  EBX = {ebx:#010x}: physical address of the Multiboot2 information block")
    say("The CPU runs 32-bit code with paging off: addresses are physical.")
    say(f"  RIP = {rip:#x}   CR0 {bits(control_register('cr0'), CR0_BITS)}")


def show_long_mode():
    say("The boot code built a small page table, turned on PAE, long mode and paging, and")
    say("jumped to long_mode_high. The CPU now runs 64-bit code at a higher-half address:")
    say("the kernel is linked at 0xffffffff80000000 + its physical address, so it stays out")
    say("of the low half, which user programs will use in later labs.")
    say(f"  RIP  = {register('rip') or 0:#x}")
    say(f"  CR0  {bits(control_register('cr0'), CR0_BITS)}")
    say(f"  CR4  {bits(control_register('cr4'), CR4_BITS)}")
    say(f"  EFER {bits(control_register('efer'), EFER_BITS)}")
    cr3 = control_register("cr3")
    say(f"  CR3  = {cr3:#x}: physical address of the top-level page table (PML4)" if cr3 is not None else "  CR3 (not available)")


def show_c_entry():
    rsp = register("rsp") or 0
    bottom = int(gdb.parse_and_eval("(long)&boot_stack_bottom")) & 0xFFFFFFFFFFFFFFFF
    top = int(gdb.parse_and_eval("(long)&boot_stack_top")) & 0xFFFFFFFFFFFFFFFF
    say("keel_start is the first C function. It receives the boot loader's magic and the")
    say("address of its information block (System V calling convention: first argument in")
    say("RDI, second in RSI). From here the framework sets up the interrupt table, the early")
    say("console, the memory map and the final page tables, then calls kmain.")
    say(f"  RDI (magic)   = {(register('rdi') or 0) & 0xFFFFFFFF:#010x}")
    say(f"  RSI (address) = {(register('rsi') or 0) & 0xFFFFFFFF:#010x}")
    where = "inside" if bottom <= rsp <= top else "OUTSIDE"
    say(f"  RSP = {rsp:#x}, {where} the boot stack {bottom:#x}..{top:#x}")


def show_kmain():
    say("kmain is where the kernel itself begins: the framework is fully up (exceptions are")
    say("reported with backtraces, all RAM is mapped at 0xffff800000000000). A lab kernel's")
    say("kmain runs the in-kernel tests if keel.test= was given, else the lab's lab_main.")
    say("Try `bt` to see how we got here, `info registers`, or `p *info` for the boot info.")


def show_console():
    name = "?"
    try:
        name = gdb.parse_and_eval("console->name").string()
    except gdb.error:
        pass
    say(f"A driver is registering the console '{name}' (console_register). In lab 1 this is")
    say("your serial driver: once it is registered, kprintf goes through your serial_putc.")
    say("Try `finish` to return to the caller, or `p *console` to see the struct.")


STAGES = [
    ("boot loader handoff", ["multiboot2_entry", "pvh_entry"], show_handoff),
    ("long mode", ["long_mode_high"], show_long_mode),
    ("C entry", ["keel_start"], show_c_entry),
    ("kernel main", ["kmain"], show_kmain),
    ("console up", ["console_register"], show_console),
]


def show_syscall_entry():
    say("A user program executed `syscall`. The CPU switched to ring 0 and jumped to the")
    say("address in the LSTAR register, syscall_entry, without changing the stack: RSP is")
    say("still the user's. It saved the user's RIP in RCX and RFLAGS in R11; the number of")
    say("the system call is in RAX, its arguments in RDI, RSI, RDX, R10, R8, R9.")
    say(f"  RAX (number) = {register('rax')}   RDI = {register('rdi') or 0:#x}   RSI = {register('rsi') or 0:#x}")
    say(f"  RCX (user RIP) = {register('rcx') or 0:#x}   RSP (user stack) = {register('rsp') or 0:#x}")
    say("Next, syscall_entry moves to the thread's kernel stack and saves every register")
    say("as a struct trap_frame.")


def show_syscall_dispatch():
    frame = gdb.parse_and_eval("frame")
    say("trap_dispatch received the trap frame (vector 0x80 for system calls) and looks up")
    say("the handler installed for that vector. keel-tf prints the whole frame.")
    say(f"  frame->rax = {int(frame['rax'])} (the number), frame->rip = {int(frame['rip']):#x} "
        f"(where user code continues)")


def show_syscall_handler():
    say("The kernel's system-call code (lab 5's syscall_handle) reads the number and the")
    say("arguments from the frame and will leave the result in frame->rax.")
    say(f"  number {int(gdb.parse_and_eval('frame->rax'))}")


def show_syscall_return():
    say("Back on the way out: the registers were restored from the frame, RSP is the user's")
    say("stack again, RCX holds the return address and R11 the flags. sysretq returns to")
    say("ring 3 at RCX. (Keel checked RCX is a canonical address first: sysret with a bad")
    say("one would fault in kernel mode on the user's stack.)")
    say(f"  RAX (result) = {register('rax')}   RCX = {register('rcx') or 0:#x}   "
        f"RSP = {register('rsp') or 0:#x}")


SYSCALL_STAGES = [
    ("the syscall instruction arrives", ["syscall_entry"], show_syscall_entry),
    ("the trap frame is dispatched", ["trap_dispatch"], show_syscall_dispatch),
    ("the system-call handler", ["syscall_handle"], show_syscall_handler),
    ("the return to user mode", ["syscall_return_to_user"], show_syscall_return),
]


class Guide:
    stage = 0
    batch = False
    stages = STAGES
    walkthrough = None  # a tour of keel_walkthroughs.py in progress

    @classmethod
    def run_stage(cls):
        STAGES_NOW = cls.stages
        title, symbols, show = STAGES_NOW[cls.stage]
        breakpoints = [gdb.Breakpoint(f"*(long)&{s}", type=gdb.BP_HARDWARE_BREAKPOINT, internal=True)
                       for s in symbols]
        try:
            gdb.execute("continue", to_string=cls.batch)
        finally:
            for b in breakpoints:
                b.delete()
        say("")
        say(f"=== Stage {cls.stage + 1} of {len(STAGES_NOW)}: {title} ===")
        show()
        cls.stage += 1
        if cls.stage < len(STAGES_NOW):
            say(f"Next: {STAGES_NOW[cls.stage][0]}." + ("" if cls.batch else " Type `keel-guide next` to go on."))
        else:
            say("That was the whole tour. `continue` lets the kernel run on.")


@command
class KeelGuide(gdb.Command):
    """keel-guide TOUR [--batch] | keel-guide next: guided tours (boot, syscall, pagefault, timer, switch, fork)."""

    def __init__(self):
        super().__init__("keel-guide", gdb.COMMAND_USER)

    def invoke(self, argument, from_tty):
        words = argument.split()
        if words[:1] in (["boot"], ["syscall"]):
            Guide.stage = 0
            Guide.walkthrough = None
            Guide.batch = "--batch" in words
            Guide.stages = STAGES if words[0] == "boot" else SYSCALL_STAGES
            say(f"The {words[0]} tour: the machine stops at each stage and this explains what just happened.")
            if Guide.batch:
                while Guide.stage < len(Guide.stages):
                    Guide.run_stage()
            else:
                Guide.run_stage()
        elif words[:1] and words[0] in TOURS:
            Guide.walkthrough = TOURS[words[0]](batch="--batch" in words)
        elif words[:1] == ["next"]:
            if Guide.walkthrough is not None:
                Guide.walkthrough = Guide.walkthrough.next()
            elif Guide.stage >= len(Guide.stages):
                say("The tour is over; `keel-guide boot` starts again (after restarting QEMU).")
            else:
                Guide.run_stage()
        else:
            say(f"usage: keel-guide {'|'.join(['boot', 'syscall', *TOURS])} [--batch] | keel-guide next")
            for tour in TOURS.values():
                say(tour.summary)


@command
class KeelHelp(gdb.Command):
    """keel-help: list Keel's GDB commands."""

    def __init__(self):
        super().__init__("keel-help", gdb.COMMAND_USER)

    def invoke(self, argument, from_tty):
        for cls in COMMANDS:
            say("  " + (cls.__doc__ or "").strip().splitlines()[0])


DIRECT_MAP = 0xFFFF800000000000
PAGE_STATES = ["not RAM", "free", "reserved by firmware", "kernel image", "framework data",
               "boot data", "allocated"]


def read_u64(address):
    data = gdb.selected_inferior().read_memory(address, 8)
    return int.from_bytes(bytes(data), "little")


def describe_entry(entry):
    flags = []
    for bit, name in [(0, "present"), (1, "writable"), (2, "user"), (3, "write-through"),
                      (4, "no-cache"), (5, "accessed"), (6, "dirty"), (7, "huge"), (8, "global"),
                      (9, "copy-on-write"), (63, "no-execute")]:
        if entry & (1 << bit):
            flags.append(name)
    return f"{entry:#018x}  -> {entry & 0x000FFFFFFFFFF000:#x}  [{', '.join(flags) or 'not present'}]"


@command
class KeelPt(gdb.Command):
    """keel-pt ADDR [ROOT]: walk the page tables (CR3, or ROOT) for a virtual address."""

    def __init__(self):
        super().__init__("keel-pt", gdb.COMMAND_USER)

    def invoke(self, argument, from_tty):
        words = gdb.string_to_argv(argument)
        if not words:
            say("usage: keel-pt ADDR [ROOT]   (ROOT: physical address of a PML4; default CR3)")
            return
        va = gdb.parse_and_eval(words[0])
        if va.type.code == gdb.TYPE_CODE_FUNC:  # keel-pt kmain: where its code is
            va = va.address
        va = int(va) & 0xFFFFFFFFFFFFFFFF
        # The direct map's base and CR3 as this platform has them (on Linux
        # both are the platform's variables: keel_memory.py).
        import keel_memory
        root = (int(gdb.parse_and_eval(words[1])) if len(words) > 1
                else keel_memory.current_root()) & 0x000FFFFFFFFFF000
        direct_map = keel_memory.direct_map_base()
        say(f"Virtual address {va:#x}, top-level table (PML4) at physical {root:#x}")
        table = root
        names = {4: "PML4", 3: "PDPT", 2: "PD  ", 1: "PT  "}
        for level in (4, 3, 2, 1):
            index = (va >> (12 + 9 * (level - 1))) & 511
            entry = read_u64(direct_map + table + index * 8)
            say(f"  level {level} {names[level]}[{index:3}] = {describe_entry(entry)}")
            if not entry & 1:
                say("  not present: this address is not mapped (an access page-faults)")
                return
            if level > 1 and entry & (1 << 7):
                size = 1 << (12 + 9 * (level - 1))
                say(f"  a huge page of {size >> 20} MiB: physical address "
                    f"{(entry & 0x000FFFFFFFFFF000 & ~(size - 1)) + (va & (size - 1)):#x}")
                return
            table = entry & 0x000FFFFFFFFFF000
        say(f"  physical address {table + (va & 0xFFF):#x}")


@command
class KeelFrames(gdb.Command):
    """keel-frames: how many physical frames are in each state, and the allocator in use."""

    def __init__(self):
        super().__init__("keel-frames", gdb.COMMAND_USER)

    def invoke(self, argument, from_tty):
        try:
            pages = int(gdb.parse_and_eval("'physical_memory.c'::pages"))
            count = int(gdb.parse_and_eval("'physical_memory.c'::frame_count"))
            size = int(gdb.parse_and_eval("sizeof(struct page)"))
        except gdb.error as error:
            say(f"the page array is not set up yet ({error})")
            return
        data = bytes(gdb.selected_inferior().read_memory(pages, count * size))
        totals = {}
        for i in range(count):
            state = data[i * size]
            totals[state] = totals.get(state, 0) + 1
        say(f"{count} frames ({count * 4 // 1024} MiB of physical address space):")
        for state, number in sorted(totals.items()):
            name = PAGE_STATES[state] if state < len(PAGE_STATES) else f"state {state}"
            say(f"  {name:<22} {number:8} frames  {number * 4:9} KiB")
        try:
            say("Frame allocator: " + gdb.parse_and_eval("'core/frame.c'::current->name").string())
        except gdb.error:
            pass


@command
class KeelTf(gdb.Command):
    """keel-tf [EXPR]: print a trap frame (default: the one trap_dispatch is handling)."""

    def __init__(self):
        super().__init__("keel-tf", gdb.COMMAND_USER)

    def invoke(self, argument, from_tty):
        expression = argument.strip()
        frame_value = None
        if expression:
            frame_value = gdb.parse_and_eval(expression)
        else:
            frame = gdb.selected_frame()
            while frame is not None and frame_value is None:
                if frame.name() == "trap_dispatch":
                    frame_value = frame.read_var("frame")
                frame = frame.older()
        copied = None
        if frame_value is None:
            try:  # trap_dispatch keeps a copy of the last frame it was given
                copied = gdb.parse_and_eval("trap_last_frame_at")
                frame_value = gdb.parse_and_eval("&trap_last_frame")
            except gdb.error:
                pass
            if frame_value is None or int(copied) == 0:
                say("no trap has arrived yet (and not inside trap_dispatch): stop in a trap handler"
                    " (e.g. hbreak trap_dispatch), or give a struct trap_frame * expression")
                return
            say(f"(not inside trap_dispatch: the most recent trap, copied when it arrived; it has "
                f"been handled since. The frame itself was at {int(copied):#x}.)")
        tf = frame_value.dereference()
        vector = int(tf["vector"])
        name = gdb.parse_and_eval(f"trap_name({vector})").string() if vector < 256 else "?"
        say(f"trap frame at {int(copied if copied is not None else frame_value):#x}: vector {vector} ({name}), error code "
            f"{int(tf['error_code']):#x}")
        say(f"  rip {int(tf['rip']):#018x}  cs {int(tf['cs']):#x}  rflags {int(tf['rflags']):#x}"
            f"  rsp {int(tf['rsp']):#018x}  ss {int(tf['ss']):#x}")
        regs = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11", "r12",
                "r13", "r14", "r15"]
        for i in range(0, len(regs), 4):
            say("  " + "  ".join(f"{r:<3} {int(tf[r]) & 0xFFFFFFFFFFFFFFFF:#018x}"
                                 for r in regs[i:i + 4]))
        rip = int(tf["rip"])
        try:
            say("  interrupted in " + gdb.execute(f"info symbol {rip:#x}", to_string=True).strip())
        except gdb.error:
            pass


@command
class KeelIdt(gdb.Command):
    """keel-idt: the interrupt vectors that have handlers installed."""

    def __init__(self):
        super().__init__("keel-idt", gdb.COMMAND_USER)

    def invoke(self, argument, from_tty):
        try:
            handlers = gdb.parse_and_eval("'trap.c'::handlers")
            idt = gdb.parse_and_eval("'pc/descriptors.c'::idt")
        except gdb.error as error:
            say(f"cannot read the interrupt table: {error}")
            return
        say("vector  name                          stub                handler")
        for vector in range(256):
            handler = int(handlers[vector])
            if vector >= 32 and not handler:
                continue
            gate = idt[vector]
            stub = (int(gate["offset_low"]) | int(gate["offset_mid"]) << 16 |
                    int(gate["offset_high"]) << 32)
            name = gdb.parse_and_eval(f"trap_name({vector})").string()
            handler_name = "framework report"
            if handler:
                handler_name = gdb.execute(f"info symbol {handler:#x}", to_string=True).split()[0]
            ist = int(gate["ist"])
            say(f"  {vector:3}   {name:<28}  {stub:#018x}  {handler_name}"
                + (f"  (own stack, IST {ist})" if ist else ""))


THREAD_STATES = ["ready", "running", "blocked", "dead"]


def thread_line(pointer, marker=" "):
    t = pointer.dereference()
    state = int(t["state"])
    name = t["name"].string()
    return (f" {marker} {int(t['id']):3}  {name:<16} {THREAD_STATES[state] if state < 4 else state:<8} "
            f"priority {int(t['priority']):2}  ticks {int(t['framework']['ticks_run']):6}  "
            f"stack {int(t['framework']['stack_bottom']):#x}-{int(t['framework']['stack_top']):#x}")


@command
class KeelThreads(gdb.Command):
    """keel-threads: the running thread, the scheduler and its ready queue (when it keeps one list)."""

    def __init__(self):
        super().__init__("keel-threads", gdb.COMMAND_USER)

    def invoke(self, argument, from_tty):
        try:
            current = gdb.parse_and_eval("'core/thread.c'::current")
        except gdb.error as error:
            say(f"no threads in this kernel ({error})")
            return
        if int(current) == 0:
            say("scheduler_start has not run yet: the boot code is running, not a thread")
            return
        try:
            say("Scheduler: " + gdb.parse_and_eval("'core/thread.c'::scheduler->name").string())
        except gdb.error:
            say("Scheduler: none installed")
        say(thread_line(current, "*") + "   (running)")
        # A lab 4 round-robin queue, if this kernel has one.
        for symbol in ("'rr.c'::head",):
            try:
                node = gdb.parse_and_eval(symbol)
            except gdb.error:
                continue
            say("Ready queue (round robin, first runs next):")
            seen = 0
            while int(node) != 0 and seen < 64:
                say(thread_line(node))
                node = node["next"]
                seen += 1
            if seen == 0:
                say("   (empty)")


PROCESS_STATES = ["free", "running", "zombie"]


def process_table():
    try:
        table = gdb.parse_and_eval("'process.c'::table")
    except gdb.error:
        return None
    return [table[i] for i in range(int(table.type.range()[1]) + 1)]


def current_process():
    table = process_table()
    if table is None:
        return None
    current = int(gdb.parse_and_eval("'core/thread.c'::current"))
    for p in table:
        if int(p["state"]) != 0 and int(p["thread"]) == current and current:
            return p
    return None


@command
class KeelPs(gdb.Command):
    """keel-ps: the processes (lab 5), their states, parents and threads."""

    def __init__(self):
        super().__init__("keel-ps", gdb.COMMAND_USER)

    def invoke(self, argument, from_tty):
        table = process_table()
        if table is None:
            say("this kernel has no process table (lab 5)")
            return
        running = current_process()
        say("  PID  PPID  STATE    THREAD    NAME")
        for p in table:
            state = int(p["state"])
            if state == 0:
                continue
            parent = int(p["parent"]["pid"]) if int(p["parent"]) else 0
            thread = p["thread"]
            thread_state = THREAD_STATES[int(thread["state"])] if int(thread) else "-"
            mark = "*" if running is not None and int(running.address) == int(p.address) else " "
            say(f"{mark}{int(p['pid']):4} {parent:5}  {PROCESS_STATES[state]:<8} {thread_state:<9} "
                f"{p['name'].string()}")


@command
class KeelUser(gdb.Command):
    """keel-user: load the symbols of the user program the CPU is running, to step through it."""

    def __init__(self):
        super().__init__("keel-user", gdb.COMMAND_USER)

    def invoke(self, argument, from_tty):
        import os
        process = current_process()
        if process is None:
            say("no user process is running on this CPU right now")
            return
        name = process["name"].string()
        kernel = gdb.current_progspace().filename or ""
        path = os.path.join(os.path.dirname(kernel), "programs", name)
        if not os.path.exists(path):
            say(f"no program file {path}: build the lab first")
            return
        gdb.execute(f"add-symbol-file {path}", to_string=True)
        say(f"Loaded the symbols of '{name}' ({path}). Its functions and lines are known now:")
        say("try `bt` in user code, `break main`, or `info symbol $pc`.")


# More commands, in files of their own next to this one (they `import keel` for
# the helpers above).
TOURS = {}  # name -> tour class, filled by keel_walkthroughs.py
sys.modules["keel"] = sys.modules[__name__]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
for module in ("keel_memory", "keel_walkthroughs", "keel_linux"):
    importlib.reload(sys.modules[module]) if module in sys.modules else importlib.import_module(module)

say("Keel GDB helpers loaded: type keel-help for the list, keel-guide boot for a tour of the boot.")
