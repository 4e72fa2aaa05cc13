# Debugging and Bochs targets, included by the root Makefile.
#
#   make qemu-gdb [LAB=…]   QEMU waits for gdb on a port unique to you and the lab
#   make gdb [LAB=…]        gdb with the kernel's symbols and Keel's helpers, attached
#   make bochs [LAB=…]      the GRUB ISO under Bochs; the serial console is this terminal
#   make bochs-debug        the same with Bochs's own debugger (magic breakpoint on)
#   make replay LAB=… TEST=name   gdb on the recording of a failed test, going back in time

# A port per user and lab, so two students (or two labs) on one machine never
# clash: 20000 + (uid * 97 + checksum of the lab name) mod 20000.
GDB_PORT ?= $(shell echo $$(( 20000 + ( $$(id -u) * 97 + $$(printf '%s' '$(LAB)' | cksum | cut -d' ' -f1) ) % 20000 )))
GDB_SOCKET ?=
GDB_STUB = $(if $(GDB_SOCKET),-chardev socket$(comma)path=$(GDB_SOCKET)$(comma)server=on$(comma)wait=off$(comma)id=gdb -gdb chardev:gdb,-gdb tcp:127.0.0.1:$(GDB_PORT))
GDB_INIT = $(KERNEL_DIR)/gdbinit

.PHONY: qemu-gdb gdb bochs bochs-debug gdb-port
gdb-port:
	@echo $(GDB_PORT)

qemu-gdb: deps-boot $(ISO)
	@echo "QEMU is waiting for gdb on $(if $(GDB_SOCKET),$(GDB_SOCKET),port $(GDB_PORT))."
	@echo "In another terminal, in this directory: make gdb$(if $(filter complete,$(LAB)),, LAB=$(LAB))"
	@$(QEMU_RUN) -cdrom $(ISO) -S $(GDB_STUB); true

$(GDB_INIT): FORCE
	@mkdir -p $(@D)
	@printf '%s\n' \
	  'set architecture i386:x86-64' \
	  'set trust-readonly-sections on' \
	  'file $(KERNEL)' \
	  'source tools/gdb/keel.py' \
	  'target remote $(if $(GDB_SOCKET),$(GDB_SOCKET),127.0.0.1:$(GDB_PORT))' \
	  'echo Connected. The CPU has not run yet. Try: keel-guide boot, or hbreak kmain then continue.\n' >$@

ifeq ($(ON_LINUX),linux)
# On the Linux platform the kernel is a program: gdb runs it directly. The
# signals that carry its interrupts and fill its software TLB are passed on
# quietly; the kernel itself reports real faults. `run < FILE` would replace
# the kernel's arguments (gdb takes all that follows `run` as the new ones):
# keel-run-with-input FILE keeps them (tools/gdb/keel_linux.py). GDBFLAGS:
# more gdb options (the test suite's -batch -ex …).
gdb: deps-build $(KERNEL) $(PROGRAMS_ARCHIVE)
	@gdb -q -ex 'handle SIGSEGV SIGALRM SIGUSR1 SIGSYS nostop noprint pass' \
	  -ex 'set startup-with-shell off' -x tools/gdb/keel.py \
	  -ex 'echo Start the kernel with: run. With a file as its input: keel-run-with-input FILE\n' \
	  -ex 'echo (not run < FILE: that replaces the kernel'"'"'s arguments, shown by: show args).\n' \
	  $(GDBFLAGS) --args $(KERNEL) $(LINUX_RUN_ARGS)
else
gdb: deps $(KERNEL) $(GDB_INIT)
	@gdb -q -x $(GDB_INIT) $(GDBFLAGS)
endif

bochs: deps $(ISO)
	@$(GUARD) tools/bochs/run-bochs.sh $(ISO) $(KERNEL_DIR)/bochs interactive

bochs-debug: deps $(ISO)
	@$(GUARD) tools/bochs/run-bochs.sh $(ISO) $(KERNEL_DIR)/bochs debug

# make debug (one test in gdb, one terminal)
include tools/debug.mk

# ---- record and replay (grading/keelgrade/recording.py, tools/gdb/keel_replay.py) ----
# make replay LAB=… TEST=name [SOLUTION=1] [CMDLINE=…]: gdb on a QEMU recording of
# in-kernel test `name` (PC kernels), stopped where the run failed, with Keel's
# helpers and keel-reverse-continue, keel-reverse-finish and keel-reverse-stepi
# to go back in time (docs/debugging.md). The recording is the one make grade
# made when the test failed, or, if there is none (or RERECORD=1), one made now
# with CMDLINE (default keel.test=name; a failed test's verdict gives its own).
# gdb starts the replaying QEMU itself, as its child (again for each step back).
REPLAY_DIR = $(KERNEL_DIR)/replays/$(TEST)
RECORD_SECONDS ?= 60
.PHONY: replay
replay: deps
	@[ -n "$(TEST)" ] || { echo "make replay needs TEST=<an in-kernel test that failed>, e.g." \
	  "make replay LAB=lab2-mm TEST=buddy_seeded_workload" >&2; exit 2; }
	@[ -z "$(ON_LINUX)" ] || { echo "make replay replays QEMU recordings of PC kernels. On the" \
	  "Linux platform the kernel is a process: debug it with make gdb PLATFORM=linux" \
	  "LAB=$(LAB) CMDLINE='keel.test=$(TEST)', or use make replay on the PC" \
	  "(docs/debugging.md)." >&2; exit 2; }
	@if [ ! -f $(REPLAY_DIR)/replay.bin ] || [ -n "$(RERECORD)" ]; then \
	  $(MAKE) --no-print-directory -s kernel >/dev/null && \
	  PYTHONPATH=grading $(GUARD) $(HOST_PYTHON) -m keelgrade.recording $(KERNEL) $(TEST) \
	    $(call shell_quote,$(or $(CMDLINE),keel.test=$(TEST))) $(RECORD_SECONDS) || exit 1; fi
	@$(GUARD) gdb -q -ex 'set architecture i386:x86-64' -ex 'file $(REPLAY_DIR)/kernel.elf' \
	  -ex 'source tools/gdb/keel.py' -ex 'source tools/gdb/keel_replay.py' \
	  -ex 'keel-replay-open $(REPLAY_DIR)'
