# make debug LAB=… TEST=name [PLATFORM=linux] [SOLUTION=1] [USE_MINE=…] [CMDLINE=…]:
# debug one in-kernel test in gdb, in one terminal (tools/debug-test). The
# kernel is built with DEBUG=1 (lab code at -O0, in its own build directory,
# never the graded one), boots with keel.test=name, and gdb stops at the
# test's first line; CMDLINE adds boot arguments (the keel.seed=… or
# keel.perturb=… a failure names). GDB_BATCH=file runs file's gdb commands
# there and quits (how the test suite drives it); GDBFLAGS adds gdb options.
.PHONY: debug
debug: $(if $(ON_LINUX),deps-build,deps-boot) $(KERNEL) $(PROGRAMS_ARCHIVE)
	@[ -n "$(TEST)" ] || { echo 'make debug needs TEST=name (one of the lab'"'"'s KTESTs;' \
	  'failing tests print the command)' >&2; exit 2; }
	@CMDLINE=$(call shell_quote,$(CMDLINE)) GDB_BATCH=$(call shell_quote,$(GDB_BATCH)) GDBFLAGS=$(call shell_quote,$(GDBFLAGS)) \
	  tools/debug-test $(PLATFORM) $(KERNEL) $(call shell_quote,$(TEST)) $(PROGRAMS_ARCHIVE)
