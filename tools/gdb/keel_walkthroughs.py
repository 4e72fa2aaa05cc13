"""More `keel-guide` tours (loaded by keel.py): each stops the kernel at the
stages of one event and says where we are, what the CPU and the kernel just
did, the state that matters, and what happens next.

  keel-guide pagefault [--batch]  from the faulting instruction to the handler's decision
  keel-guide timer [--batch]      a timer interrupt, the scheduler's tick, a preemption
  keel-guide switch [--batch]     one context switch, register by register
  keel-guide fork [--batch]       fork, and the two returns: the child's pid, then 0
  keel-guide next                 go on to the next stage

Each tour waits for the next such event from wherever the kernel is, so start
it early (right after `make gdb`, or once stopped anywhere before the event).
Try them on the complete kernel, whose boot archive has programs made for
them: `make qemu-gdb CMDLINE=keel.run=nullptr` (a page fault), `keel.run=
timeshare` (preemption, context switches), `keel.run=forker` (fork).

Platforms: on the PC (QEMU) every stage is the CPU's own. On the Linux
platform (`make gdb PLATFORM=linux`, the kernel is a process) all four tours
work from trap_dispatch on: a page fault is a SIGSEGV that the kernel process
collects from the traced child running the program, a timer interrupt is a
signal, and the tour says so where a PC stage (the CPU's entry stub) has no
counterpart. There, the tour starts the kernel itself (`starti`) if it is not
running yet; give the program with `set args --initrd=... keel.run=NAME`
before, as `make gdb PLATFORM=linux CMDLINE=keel.run=NAME` does (and if that
has not loaded Keel's helpers, `source tools/gdb/keel.py`)."""
import gdb

import keel
import keel_memory
from keel import say

U64 = 0xFFFFFFFFFFFFFFFF
TRAP_PAGE_FAULT = 14
TIMER_VECTOR = 48
SYSCALL_VECTOR = 0x80
SYS_FORK, SYS_CLONE = 57, 56


class TourEnded(Exception):
    """The kernel stopped for another reason (it ended, or a breakpoint of yours)."""


def on_linux():
    """Whether this is the Linux platform's kernel (a process under gdb)."""
    return gdb.lookup_global_symbol("linux_cpu") is not None


def value(expression):
    return gdb.parse_and_eval(expression)


def address_of(name):
    """The address of function `name`, or None if this kernel has none."""
    try:
        return int(value(f"(long)&{name}")) & U64
    except gdb.error:
        return None


def u64(address):
    return keel.read_u64(address)


def where(pc):
    """'function+offset (file:line)' for a code address (a function's start:
    where it is defined)."""
    try:
        symbol = gdb.execute(f"info symbol {pc:#x}", to_string=True).split(" in section")[0].strip()
    except gdb.error:
        symbol = "?"
    if symbol.startswith("No symbol"):
        return f"{pc:#x}, outside the kernel's symbols (a user program: keel-user loads its)"
    if " + " not in symbol:
        function = gdb.lookup_global_symbol(symbol) or gdb.lookup_static_symbol(symbol)
        if function is not None and function.symtab is not None:
            return f"{symbol} ({function.symtab.filename}:{function.line})"
    line = gdb.find_pc_line(pc)
    if line.symtab is not None and line.line:
        return f"{symbol.replace(' + ', '+')} ({line.symtab.filename}:{line.line})"
    return symbol.replace(" + ", "+")


def here():
    """Where the kernel stopped, as gdb's own stop line says it."""
    frame = gdb.selected_frame()
    sal = frame.find_sal()
    if frame.name() and sal.symtab is not None:
        return f"{frame.name()} ({sal.symtab.filename}:{sal.line})"
    return where(frame.pc())


def instruction(pc):
    """The instruction at `pc`, read where the kernel is (or, for a user
    program's code the kernel cannot read, such as on the Linux platform,
    through the page tables and the direct map)."""
    arch = gdb.selected_frame().architecture()
    try:
        return arch.disassemble(pc, count=1)[0]["asm"]
    except (gdb.error, gdb.MemoryError, IndexError):
        pass
    try:
        physical = keel_memory.translate(pc)
        if physical is not None:
            return arch.disassemble(keel_memory.direct_pointer(physical), count=1)[0]["asm"]
    except (gdb.error, gdb.MemoryError, IndexError, keel_memory.BadAddress):
        pass
    return "(cannot read the instruction there)"


def frame_at(address):
    """The struct trap_frame at `address`, as a gdb value."""
    return value(f"*(struct trap_frame *){address:#x}")


def current_thread():
    try:
        pointer = value("'core/thread.c'::current")
    except gdb.error:
        return None
    return pointer if int(pointer) else None


def idle_thread():
    try:
        return int(value("'core/thread.c'::idle"))
    except gdb.error:
        return 0


def thread_name(pointer):
    """A thread's name, with its process's pid when it runs one (lab 5)."""
    if pointer is None or int(pointer) == 0:
        return "(none: the boot code, before scheduler_start)"
    t = pointer.dereference()
    text = f"thread {int(t['id'])} '{t['name'].string()}'"
    for p in keel.process_table() or []:
        if int(p["state"]) != 0 and int(p["thread"]) == int(pointer):
            text += f" (process {int(p['pid'])})"
    return text


def process_of(pointer):
    for p in keel.process_table() or []:
        if int(p["state"]) != 0 and int(p["thread"]) == int(pointer):
            return p
    return None


def handler_for(vector):
    try:
        return int(value(f"'trap.c'::handlers[{vector}]")) & U64
    except gdb.error:
        return 0


def expected_fault(rip):
    """Whether `rip` is one of safe.S's instructions whose faults are expected
    (and fixed up). Read when the kernel runs: before paging, memory is not
    readable at the kernel's addresses."""
    start, end = address_of("safe_fixups"), address_of("safe_fixups_end")
    if start is None or end is None:
        return False
    return any(u64(a) == rip for a in range(start, end, 16))


def make_stop(address, condition):
    """An internal breakpoint at `address` that stops when `condition` holds:
    None (always), a gdb expression (evaluated by gdb itself: cheap enough for
    code that runs at every tick, such as trap_dispatch) or a Python callable
    (for rarer places)."""
    kind = gdb.BP_BREAKPOINT if on_linux() else gdb.BP_HARDWARE_BREAKPOINT
    if callable(condition):
        stop = Stop(f"*{address:#x}", type=kind, internal=True)
        stop.condition_function = condition
    else:
        stop = Plain(f"*{address:#x}", type=kind, internal=True)
        if condition:
            stop.condition = condition
    stop.keel_address = address
    return stop


class Plain(gdb.Breakpoint):
    """A breakpoint gdb's own condition decides for (a subclass can keep our attributes)."""


class Stop(gdb.Breakpoint):
    """A breakpoint that stops only when its condition_function says so."""

    def stop(self):
        try:
            return bool(self.condition_function())
        except (gdb.error, gdb.MemoryError):
            return False


class Tour:
    """A tour is a generator (steps) that waits for events and prints stages;
    it yields after each stage so `keel-guide next` can go on."""
    name = ""
    stage_count = 0
    intro = ""

    def __init__(self, batch):
        self.batch = batch
        self.stage = 0
        self.steps = self.run()
        say(f"The {self.name} tour: {self.intro}")
        if on_linux():
            say("(Linux platform: " + self.linux_note + ")")
        if on_linux() and gdb.selected_inferior().pid == 0:
            say("The kernel is not running yet: starting it (starti).")
            gdb.execute("starti", to_string=True)
        self.next()
        while batch and self.steps is not None:
            self.next()

    linux_note = "the stages are the same from trap_dispatch on."

    def next(self):
        """Run to the next stage and show it; this tour (for keel-guide next)."""
        if self.steps is None:
            say(f"The tour is over; `keel-guide {self.name}` starts it again from here.")
            return self
        try:
            next(self.steps)
        except StopIteration:
            pass
        except TourEnded as why:
            say(f"The tour stops here: {why}")
            self.steps = None
            return self
        if self.stage < self.stage_count:
            say("" if self.batch else "Type `keel-guide next` to go on.")
        else:
            say("That was the whole tour. `continue` lets the kernel run on.")
            self.steps = None
        return self

    def header(self, title):
        self.stage += 1
        say("")
        say(f"=== Stage {self.stage} of {self.stage_count}: {title} ===")
        say(f"We are at {here()}.")

    def wait(self, points, waiting_for):
        """Run until one of `points` ((address, condition or None), ...) is
        reached; its index. Addresses that are None are left out."""
        stops = [(i, make_stop(a, c)) for i, (a, c) in enumerate(points) if a is not None]
        try:
            if not stops:
                raise TourEnded(f"this kernel has no code for {waiting_for}")
            try:
                gdb.execute("continue", to_string=True)
            except gdb.error as error:
                raise TourEnded(f"the kernel ended while waiting for {waiting_for} ({error})")
            if gdb.selected_inferior().pid == 0 or not gdb.selected_inferior().threads():
                raise TourEnded(f"the kernel ended while waiting for {waiting_for}")
            pc = keel.register("pc")
            for i, stop in stops:
                if stop.keel_address == pc:
                    return i
            raise TourEnded(f"the kernel stopped at {where(pc or 0)} (your breakpoint, or a "
                            f"signal?) while waiting for {waiting_for}; `keel-guide {self.name}` "
                            f"starts again from here")
        finally:
            for _, stop in stops:
                stop.delete()

    def run(self):
        yield


def stub(vector):
    """The PC's entry stub for `vector` (trap_entry.S: 16 bytes each), or None."""
    base = address_of("trap_stubs")
    return None if base is None or on_linux() else base + 16 * vector


def hardware_frame(rsp, error_code):
    """What the CPU pushed on entry to a trap: (error code, rip, cs, rflags, rsp, ss)."""
    words = [u64(rsp + 8 * i) for i in range(6 if error_code else 5)]
    return tuple(words) if error_code else (0, *words)


def describe_error_code(code):
    return ", ".join([
        "protection violation (the page is present)" if code & 1 else "page not present",
        "a write" if code & 2 else ("an instruction fetch" if code & 16 else "a read"),
        "from user mode (ring 3)" if code & 4 else "from kernel mode (ring 0)",
    ] + (["a reserved bit is set in a page-table entry"] if code & 8 else []))


def cr2():
    value_ = keel.control_register("cr2")
    if value_ is None:
        try:
            value_ = int(value("linux_cpu.cr2")) & U64
        except gdb.error:
            value_ = 0
    return value_


def dispatch_condition(vector, extra=""):
    """At trap_dispatch(frame), as a gdb expression: is this a trap with
    `vector` (and `extra`, about the frame f)?"""
    condition = f"((struct trap_frame *)$rdi)->vector == {vector}"
    if extra:
        condition += " && (" + extra.replace("f->", "((struct trap_frame *)$rdi)->") + ")"
    return condition


def is_current(thread):
    """A gdb expression: is `thread` (an address) the running thread?"""
    return f"(long)'core/thread.c'::current == {int(thread)}"


class PageFault(Tour):
    name = "pagefault"
    summary = ("  pagefault: the faulting instruction, CR2 and the error code, trap_dispatch, the\n"
               "    handler and its decision (try keel.run=nullptr). Linux platform: from\n"
               "    trap_dispatch on (a page fault there is a SIGSEGV).")
    stage_count = 4
    intro = "from the instruction that faults to what the kernel decides."
    linux_note = ("user programs run in traced child processes; their page faults arrive as "
                  "SIGSEGV, which the kernel process turns into the trap frame a PC's CPU would "
                  "build (run_until_trap, platform/linux/usermode.c), CR2 in linux_cpu.cr2. So "
                  "stage 1 stops in trap_dispatch, not in the CPU's entry stub")

    def run(self):
        entry = stub(TRAP_PAGE_FAULT)
        if entry is not None:
            self.wait([(entry, lambda: not expected_fault(u64(keel.register("rsp") + 8)))],
                      "a page fault")
            self.header("the CPU raises a page fault (vector 14)")
            code, rip, cs, rflags, rsp, _ = hardware_frame(keel.register("rsp"), True)
            say("An instruction touched a virtual address the page tables do not allow. The CPU")
            say("stopped it before it had any effect, wrote the address in CR2, switched to the")
            say("kernel's stack (from user mode: the TSS's rsp0), pushed SS, RSP, RFLAGS, CS, RIP")
            say("and an error code, and jumped to the IDT's entry for vector 14: this stub.")
            say(f"  faulting instruction: {where(rip)}")
            say(f"      {rip:#x}:  {instruction(rip)}")
            say(f"  CR2 (the address it touched) = {cr2():#x}"
                + ("  (the first page: a NULL pointer?)" if cr2() < 4096 else ""))
            say(f"  error code {code:#x}: {describe_error_code(code)}")
            say(f"  saved CS {cs:#x} (ring {cs & 3}), RSP {rsp:#x}, RFLAGS {rflags:#x}")
            say("Next: the stub pushes the vector number, trap_common saves every register as a")
            say("struct trap_frame and calls trap_dispatch(frame).")
            yield
        while True:  # the first page fault that safe.S does not expect
            self.wait([(address_of("trap_dispatch"), dispatch_condition(TRAP_PAGE_FAULT))],
                      "a page fault")
            if not expected_fault(int(frame_at(keel.register("rdi"))["rip"]) & U64):
                break
        frame_address = keel.register("rdi")
        frame = frame_at(frame_address)
        fault_rip = int(frame["rip"]) & U64
        if entry is None:
            self.header("a page fault reaches the kernel")
            rip = int(frame["rip"]) & U64
            say("A user program or the kernel touched memory it may not (on this platform: a")
            say("SIGSEGV). The framework built the trap frame a PC's CPU and entry stub would.")
            say(f"  faulting instruction: {where(rip)}")
            say(f"      {rip:#x}:  {instruction(rip)}")
            say(f"  CR2 (the address it touched) = {cr2():#x}")
            say(f"  error code {int(frame['error_code']):#x}: "
                f"{describe_error_code(int(frame['error_code']))}")
            yield
        self.header("trap_dispatch looks up the handler")
        handler = handler_for(TRAP_PAGE_FAULT)
        say(f"trap_dispatch(frame = {frame_address:#x}) got the saved registers; keel-tf prints")
        say("them all. It first checks the framework's fault-safe accesses (safe.S: an expected")
        say("fault resumes at a fixup), then calls the handler installed for vector 14.")
        say(f"  frame->vector = {int(frame['vector'])}, frame->error_code = "
            f"{int(frame['error_code']):#x}, frame->rip = {int(frame['rip']) & U64:#x}, "
            f"frame->cs = {int(frame['cs']):#x}")
        say(f"  handlers[14] = {where(handler) if handler else 'none: the framework reports it'}")
        yield
        return_address = None
        if handler:
            self.wait([(handler, None)], "the page-fault handler")
            return_address = u64(keel.register("rsp"))
            self.header("the page-fault handler runs")
            thread = current_thread()
            say("The handler decides what this fault means. It has the trap frame (RDI) and")
            say("reads the address from CR2 (cpu_read_cr2). A kernel can: map the page and")
            say("return true (demand paging, copy-on-write: the instruction runs again); kill the")
            say("process that faulted (a bad pointer in a user program: SIGSEGV); or return false")
            say("for a fault it cannot explain (the framework reports it and stops).")
            say(f"  CR2 = {cr2():#x}, error code {int(frame['error_code']):#x}, from "
                f"{'user' if int(frame['cs']) & 3 == 3 else 'kernel'} mode")
            say(f"  running: {thread_name(thread)}")
            yield
        else:
            self.header("no handler")
            say("No handler for vector 14: nothing to decide.")
            yield
        decision = self.wait([(return_address, None), (address_of("process_exit"), None),
                              (address_of("trap_print_report"), None)], "the handler's decision")
        self.header("the decision")
        if decision == 0:
            handled = (keel.register("rax") or 0) & 0xFF
            if handled:
                resume = int(frame_at(frame_address)["rip"]) & U64
                say("The handler returned true: the fault is dealt with. trap_dispatch returns, the")
                say(f"registers come back from the frame and iretq resumes at RIP {resume:#x}:")
                if resume != fault_rip:
                    say(f"not the faulting instruction ({fault_rip:#x}): the handler moved RIP on,")
                    say("so the access is skipped, never retried.")
                else:
                    say("the same instruction runs again; it succeeds if the page is mapped now:")
                    if not on_linux():
                        say(gdb.execute(f"keel-pt {cr2():#x}", to_string=True).rstrip())
            else:
                say("The handler returned false: it could not explain the fault. trap_dispatch")
                say("prints the framework's report (the faulting address, the cause, registers,")
                say("a backtrace) and powers off.")
        elif decision == 1:
            status = (keel.register("rdi") or 0) & 0xFFFFFFFF
            say("The handler decided the program is at fault: it calls process_exit(" + f"{status}),")
            say(f"the wait status of a process killed by signal {status & 0x7F}"
                + (" (SIGSEGV: a segmentation fault)." if status & 0x7F == 11 else ".")
                + " Its parent's wait returns, and the")
            say("faulting instruction never runs again.")
        else:
            say("Nobody handled the fault: trap_print_report prints the report you would see on")
            say("the console (address, cause, registers, backtrace), then the kernel powers off.")
        yield


class Timer(Tour):
    name = "timer"
    summary = ("  timer: a timer interrupt, the scheduler's tick, a preemption and the next thread\n"
               "    (keel.run=timeshare). Linux platform: from trap_dispatch on (a timer signal).")
    stage_count = 6
    intro = "a timer interrupt, the scheduler's decision, and a preemption."
    linux_note = ("the timer is a Linux timer signal; the framework turns it into vector 48 and "
                  "calls trap_dispatch, as the PC's entry stub does (while a user program runs, "
                  "from run_user's deliver_interrupts), so stage 1 stops in trap_dispatch")

    def run(self):
        def busy(cs):
            """A tick that interrupts real work: a user program if this kernel
            has processes (lab 5), else any thread but the idle one."""
            if keel.process_table() is not None:
                return cs & 3 == 3
            thread = current_thread()
            return thread is None or int(thread) != idle_thread()

        entry = stub(TIMER_VECTOR)
        if entry is not None:
            self.wait([(entry, lambda: busy(u64(keel.register("rsp") + 8)))], "a timer interrupt")
            self.header("the timer interrupt arrives (vector 48)")
            _, rip, cs, rflags, rsp, _ = hardware_frame(keel.register("rsp"), False)
            say("The local APIC's timer counted down and raised its interrupt. The CPU finished")
            say("the current instruction, then (interrupts were on: RFLAGS.IF) saved SS, RSP,")
            say("RFLAGS, CS and RIP on the kernel stack, cleared IF and jumped here. The code it")
            say("interrupted knows nothing of it: it will continue exactly where it was.")
            say(f"  interrupted at {where(rip)} in {'user' if cs & 3 == 3 else 'kernel'} mode")
            say(f"  saved RFLAGS {rflags:#x} (IF {'on' if rflags & 0x200 else 'off'}), RSP {rsp:#x}")
            say(f"  running: {thread_name(current_thread())}")
            yield
            condition = dispatch_condition(TIMER_VECTOR)
        else:
            condition = dispatch_condition(
                TIMER_VECTOR, "(f->cs & 3) == 3" if keel.process_table() is not None
                else "'core/thread.c'::current != 'core/thread.c'::idle")
        self.wait([(address_of("trap_dispatch"), condition)], "a timer interrupt")
        frame = frame_at(keel.register("rdi"))
        if entry is None:
            self.header("the timer interrupt arrives (vector 48)")
            say("The timer signal stopped the kernel (or the user program it was running); the")
            say("framework built a trap frame for vector 48 and calls trap_dispatch.")
            say(f"  interrupted at {where(int(frame['rip']) & U64)}")
            say(f"  running: {thread_name(current_thread())}")
            yield
        handler = handler_for(TIMER_VECTOR)
        self.header("trap_dispatch calls the timer's handler")
        say(f"  frame->vector = {int(frame['vector'])} (TIMER_VECTOR), frame->rip = "
            f"{int(frame['rip']) & U64:#x}")
        say(f"  handlers[48] = {where(handler) if handler else 'none'}")
        say("Lab 3's timer_handler only counts ticks; once scheduler_start(hz) runs (lab 4),")
        say("the framework's preempt_tick is the handler and asks the scheduler about each tick.")
        yield
        if not handler:
            raise TourEnded("no handler for the timer: nothing more to see")
        self.wait([(handler, None)], "the timer handler")
        return_address = u64(keel.register("rsp"))
        thread = current_thread()
        self.header("the handler acknowledges the tick and asks the scheduler")
        say("It sends the interrupt controller its end of interrupt (interrupt_eoi: otherwise no")
        say("further tick comes), counts the tick for the running thread, and asks the")
        say("scheduler's tick(): has this thread used up its time slice?")
        if thread is not None:
            t = thread.dereference()
            say(f"  running: {thread_name(thread)}, ticks so far "
                f"{int(t['framework']['ticks_run'])}")
            try:
                say("  scheduler: " + value("'core/thread.c'::scheduler->name").string())
            except gdb.error:
                say("  scheduler: none installed")
        yield
        switch = address_of("arch_context_switch")
        first = self.wait([(switch, None), (return_address, None)], "the end of the tick")
        self.header("the decision")
        if first == 1:
            say(f"This tick did not preempt: {thread_name(thread)} keeps the CPU (its time slice")
            say("is not used up, or no other thread is ready). The handler returned true, and")
            say("iretq resumes the interrupted code. The tour waits for a tick that preempts.")
            yield

            def preempting():
                frame = gdb.newest_frame()
                while frame is not None:
                    if frame.name() == "preempt_tick":
                        return int(value("(long)$rdi")) != idle_thread()
                    frame = frame.older()
                return False
            self.wait([(switch, preempting)], "a preempting tick")
        else:
            say("This tick preempts: the scheduler said the time slice is used up. The thread is")
            say("marked ready and put back in the ready queue (requeue_and_switch), and")
            say("switch_away asks the scheduler for the next thread to run.")
            yield
        yield from self.show_switch("preemption: the switch to another thread")

    def show_switch(self, title):
        old, new = value("(struct thread *)$rdi"), value("(struct thread *)$rsi")
        self.header(title)
        say(f"  from {thread_name(old)}, now {keel.THREAD_STATES[int(old['state'])]}")
        say(f"  to   {thread_name(new)}")
        say("  how we got here: " + " <- ".join(name for name in backtrace_names(6)))
        say("The interrupted thread's trap frame stays on its own kernel stack, below this call.")
        say("arch_context_switch saves its registers and loads the other thread's (keel-guide")
        say("switch shows that step by step).")
        resume = u64(int(new["framework"]["saved_rsp"]) + 6 * 8)
        yield
        self.wait([(resume, is_current(new))], "the next thread")
        self.header("the other thread runs")
        say(f"{thread_name(new)} runs again where it stopped: it returns from its own earlier")
        say("switch (or starts in thread_trampoline if it is new). When the preempted thread is")
        say("picked again, it returns from its switch the same way, out of preempt_tick and")
        say("trap_dispatch, and iretq resumes it at the interrupted instruction.")
        say("  its stack now: " + " <- ".join(backtrace_names(6)))
        yield


def backtrace_names(depth):
    names, frame = [], gdb.newest_frame()
    while frame is not None and len(names) < depth:
        names.append(frame.name() or f"{frame.pc():#x}")
        try:
            frame = frame.older()
        except gdb.error:
            break
    return names


def switch_instructions():
    """arch_context_switch's addresses: the load of the new RSP and its ret."""
    start = address_of("arch_context_switch")
    arch = gdb.selected_frame().architecture()
    load = ret = None
    for insn in arch.disassemble(start, count=24):
        if load is None and "(%rsi),%rsp" in insn["asm"].replace(" ", ""):
            load = insn["addr"]
        if insn["asm"].startswith("ret"):
            ret = insn["addr"]
            break
    return load, ret


class Switch(Tour):
    name = "switch"
    summary = ("  switch: one context switch, the registers saved on each stack (keel.run=\n"
               "    timeshare). The same on the Linux platform.")
    stage_count = 4
    intro = "one context switch, from one thread's stack to another's."
    linux_note = "the switch is the same code (arch/x86_64/switch.S) on both platforms."

    def run(self):
        start = address_of("arch_context_switch")
        self.wait([(start, None)], "a context switch")
        old, new = value("(struct thread *)$rdi"), value("(struct thread *)$rsi")
        self.header("the scheduler picked another thread")
        say("switch_away (core/thread.c) asked the scheduler for the next thread, set the kernel")
        say("stack for traps (TSS rsp0), the FS base and the address space (CR3), and calls")
        say("arch_context_switch(from = RDI, to = RSI).")
        say(f"  from {thread_name(old)} ({keel.THREAD_STATES[int(old['state'])]})")
        say(f"  to   {thread_name(new)}")
        say("  called by: " + " <- ".join(backtrace_names(5)[1:]))
        say("Only callee-saved registers need saving: to its caller this is an ordinary call.")
        yield
        load, ret = switch_instructions()
        self.wait([(load, None)], "the stack switch")
        rsp = keel.register("rsp")
        self.header("the old thread's context is saved")
        say("arch_context_switch pushed RBP, RBX, R12-R15 on the old thread's stack, saved its")
        say("FPU/SSE state (fxsave64) and stored RSP in from->framework.saved_rsp: that one")
        say("number is the whole saved context.")
        say(f"  from->framework.saved_rsp = {int(old['framework']['saved_rsp']) & U64:#x}"
            f" (RSP = {rsp:#x})")
        for i, name in enumerate(["r15", "r14", "r13", "r12", "rbx", "rbp"]):
            say(f"    [{rsp + 8 * i:#x}] saved {name:<3} = {u64(rsp + 8 * i):#018x}")
        say(f"    [{rsp + 48:#x}] return address = {where(u64(rsp + 48))}")
        yield
        self.wait([(load + len_of(load), None)], "the new stack")
        rsp = keel.register("rsp")
        self.header("the stack pointer now is the new thread's")
        say("One instruction, `mov (%rsi),%rsp`, loaded to->framework.saved_rsp: from here on this")
        say("CPU runs on the new thread's stack. The pops that follow restore the registers the")
        say("new thread saved when it last switched away, and `ret` returns into its code.")
        for i, name in enumerate(["r15", "r14", "r13", "r12", "rbx", "rbp"]):
            say(f"    [{rsp + 8 * i:#x}] {name:<3} to restore = {u64(rsp + 8 * i):#018x}")
        target = u64(rsp + 48)
        say(f"    [{rsp + 48:#x}] ret goes to {where(target)}")
        if target == address_of("thread_trampoline"):
            say("A new thread: thread_new built this stack to look as if it had switched away,")
            say("so its first `ret` enters thread_trampoline, which calls its entry function")
            say(f"(from R12: {where(u64(rsp + 24))}) with its argument (from R13: "
                f"{u64(rsp + 16):#x}).")
        yield
        self.wait([(target, None)], "the new thread")
        self.header("the new thread runs")
        say(f"{thread_name(current_thread())} continues here, as if its own call to")
        say("arch_context_switch had just returned.")
        say("  its stack: " + " <- ".join(backtrace_names(6)))
        yield


def len_of(address):
    arch = gdb.selected_frame().architecture()
    return arch.disassemble(address, count=1)[0]["length"]


class Fork(Tour):
    name = "fork"
    summary = ("  fork: fork's copy and its two returns, the child's pid and 0 (keel.run=forker).\n"
               "    The same on the Linux platform.")
    stage_count = 5
    intro = "fork makes a copy of a process, and returns twice: once in each."
    linux_note = ("the system call arrives from the traced child through run_user "
                  "(platform/linux/usermode.c); the rest is the same kernel code")

    def run(self):
        self.wait([(address_of("trap_dispatch"), dispatch_condition(
            SYSCALL_VECTOR, f"f->rax == {SYS_FORK} || f->rax == {SYS_CLONE}"))], "a fork")
        frame_address = keel.register("rdi")
        dispatch_return = u64(keel.register("rsp"))
        frame = frame_at(frame_address)
        parent_thread = int(current_thread())
        self.header("the fork system call arrives")
        user_rip = int(frame["rip"]) & U64
        say(f"A user program called fork(): system call {int(frame['rax'])} "
            f"({'fork' if int(frame['rax']) == SYS_FORK else 'clone'}).")
        say(f"  caller: {thread_name(current_thread())}")
        say(f"  frame->rip = {user_rip:#x}: where user code continues after the call. Both")
        say("  processes will continue from this same instruction, with different RAX.")
        yield
        fork = address_of("process_fork")
        self.wait([(fork, None)], "process_fork")
        fork_return = u64(keel.register("rsp"))
        self.header("process_fork copies the process")
        say("Lab 5's process_fork makes a new process: a new address space with a copy of every")
        say("user page, and a new thread whose first act is to return to user mode with a copy")
        say("of the parent's trap frame, in which RAX (the result) is set to 0.")
        yield
        self.wait([(fork_return, is_current(parent_thread))],
                  "process_fork's return")
        child_pid = (keel.register("rax") or 0) & 0xFFFFFFFF
        self.header("process_fork returns the child's pid")
        say(f"  process_fork returned {child_pid} (RAX): the child's pid, which the system call")
        say("  leaves in frame->rax for the parent. The processes now:")
        say(gdb.execute("keel-ps", to_string=True).rstrip())
        say("The child is ready but not running: which of the two returns first is the")
        say("scheduler's choice.")
        yield

        def is_child():
            process = process_of(current_thread())
            return process is not None and int(process["pid"]) == child_pid
        points = [(dispatch_return, is_current(parent_thread)),
                  (address_of("user_return"), is_child)]
        for _ in range(2):
            hit = self.wait([p if p is not None else (None, None) for p in points],
                            "fork's return")
            if hit == 0:
                result = int(frame_at(frame_address)["rax"])
                self.header("fork returns in the parent")
                say("The system call is done: trap_dispatch returns, and the registers come back")
                say("from the frame on the way to user mode (sysretq on a PC).")
                say(f"  the parent gets frame->rax = {result}: the child's pid")
                say(f"  and continues at {user_rip:#x}")
            else:
                child = frame_at(keel.register("rdi"))
                self.header("fork returns in the child")
                say("The child's thread runs for the first time. It calls user_return with its copy")
                say("of the parent's trap frame: the same registers, the same RIP, but RAX = 0.")
                say(f"  the child ({thread_name(current_thread())}) gets frame->rax = "
                    f"{int(child['rax'])}")
                say(f"  and continues at {int(child['rip']) & U64:#x} "
                    f"({'the same' if int(child['rip']) & U64 == user_rip else 'NOT the same'}"
                    " instruction as the parent)")
            points[hit] = None
            yield


for tour in (PageFault, Timer, Switch, Fork):
    keel.TOURS[tour.name] = tour
