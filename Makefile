# Keel: build, boot, grade and test.
#
#   make qemu [LAB=lab1-boot]        boot the complete kernel (or a lab kernel) from a GRUB ISO
#   make bochs [LAB=…]               the same under Bochs
#   make linux [LAB=…]               the same kernel as a Linux process (AddressSanitizer on)
#   make qemu-gdb / make gdb [LAB=…] debug with gdb (two terminals)
#   make debug LAB=… TEST=name       one in-kernel test in gdb, stopped at its start [PLATFORM=linux]
#   make run PROG=prog [ARGS='a "b c"']  run a static x86_64 program on the complete kernel [PLATFORM=linux]
#                                    (ARGS split as by a shell; tools/keel-run PROG ARG…: exit 250 = kernel failed;
#                                    in a lab 5 handout both run on your own lab 5 kernel)
#   make grade LAB=lab1-boot [SOLUTION=1] [CHECKED=1] [PLATFORM=linux]
#   make handout LAB=lab1-boot       dist/lab1-boot-handout.tar.gz
#   make test                        everything (pytest)
#   make bench                       benchmarks
#   make doctor                      check this machine's set-up
#
# The same Makefile runs inside a student handout, where the framework comes
# prebuilt (lib/libkeel.a) instead of from framework/ sources.

.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
SHELL := /bin/bash
ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
BUILD ?= build
PYTHON ?= /usr/bin/python3
JOBS ?= $(shell nproc)
HOST_PYTHON ?= $(shell command -v /usr/bin/python3 || command -v python3)

-include config.mk
LAB ?= complete
SOLUTION ?=
# PLATFORM=linux: the kernel as a Linux process (always with AddressSanitizer
# and the undefined-behaviour sanitizer); pc (the default): a bootable kernel.
PLATFORM ?= pc
ifneq ($(filter linux,$(MAKECMDGOALS)),)
override PLATFORM := linux
endif
ifeq ($(filter pc linux,$(PLATFORM)),)
$(error PLATFORM=$(PLATFORM): Keel runs on PLATFORM=pc (QEMU, Bochs, real PCs) or PLATFORM=linux)
endif
ON_LINUX := $(filter linux,$(PLATFORM))
PLATFORM_SUFFIX := $(if $(ON_LINUX),-linux,)
# CHECKED=1: build with the undefined-behaviour sanitizer (framework and lab).
CHECKED ?=
CHECKED_SUFFIX := $(if $(ON_LINUX),,$(if $(filter 1 yes true,$(CHECKED)),-checked,))
# DEBUG=1: lab code compiled for gdb, in a build directory of its own
# (…-debug) that graded builds never use; `make debug` sets it (tools/debug.mk).
# -O0, not -Og: at -Og gcc 12 still drops an argument once past its last use
# (gdb shows lab 2's pt_map(root=<optimized out>, va=<optimized out>) a few
# lines in); at -O0 every argument and local keeps its value. The framework
# and other labs' reference code stay as they are shipped (-O2).
DEBUG ?=
ifneq ($(filter debug,$(MAKECMDGOALS)),)
override DEBUG := 1
endif
DEBUG_SUFFIX := $(if $(filter 1 yes true,$(DEBUG)),-debug,)
DEBUG_CFLAGS := $(if $(DEBUG_SUFFIX),-O0,)
SOURCES_FROM := $(if $(filter 1 yes true,$(SOLUTION)),solution,student)
# SOLUTION_DIR=/abs/dir builds the reference from other sources (the test
# suite's deliberately broken implementations); VARIANT_TAG names the build.
SOLUTION_DIR ?=
VARIANT_TAG ?=
# USE_MINE=lab1-boot,lab2-mm: link your own earlier labs instead of their
# reference solutions (every lab kernel is independent by default).
USE_MINE ?=
comma := ,
# $(call shell_quote,TEXT): TEXT as one word for the shell, whatever it holds.
shell_quote = '$(subst ','\'',$(1))'
space := $(eval) $(eval)
MINE_LABS := $(subst $(comma),$(space),$(USE_MINE))
VARIANT := $(SOURCES_FROM)$(CHECKED_SUFFIX)$(PLATFORM_SUFFIX)$(if $(VARIANT_TAG),-$(VARIANT_TAG))$(if $(MINE_LABS),-mine-$(subst $(space),-,$(MINE_LABS)))$(DEBUG_SUFFIX)
HAVE_FRAMEWORK_SOURCES := $(if $(wildcard framework/core/start.c),1,)

# Goals that compile nothing (they run the graders, which build in the
# sandbox, or print what this Makefile knows): make does not read the
# compiler's dependency files for them, ~20 ms of every `make grade`.
NO_COMPILE_GOALS := grade doctor help clean print-kernel-dir qemu-args student-files \
	reference-objects used-labs
dependency_files = $(if $(filter-out $(NO_COMPILE_GOALS),$(or $(MAKECMDGOALS),help)),$(1:.o=.d))

# V=1 shows the full commands.
Q := $(if $(filter 1,$(V)),,@)

# ---- toolchain -------------------------------------------------------------
CC := gcc
USER_CC := musl-gcc
LD := ld
AR := ar
KERNEL_CFLAGS := -std=gnu17 -ffreestanding -fno-pic -fno-pie -mcmodel=kernel -mno-red-zone \
	-mno-sse -mno-sse2 -mno-mmx -mno-80387 -fno-stack-protector -fno-omit-frame-pointer \
	-mno-omit-leaf-frame-pointer -fno-asynchronous-unwind-tables -fno-unwind-tables \
	-fno-strict-aliasing -fno-common -fno-optimize-sibling-calls -fcf-protection=none -g -O2 -Wall \
	-Wextra -Werror -MMD -MP -Iframework/include
KERNEL_CFLAGS += $(if $(CHECKED_SUFFIX),-fsanitize=undefined -fno-sanitize-recover=all -DKEEL_CHECKED=1,)
KERNEL_ASFLAGS := -g -MMD -MP -Iframework/include
KERNEL_LDFLAGS := -nostdlib -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments

# The Linux platform: the same code as an ordinary (non-PIE) program, with
# AddressSanitizer and UBSan (whose runtime is the framework's own ubsan.c).
# platform/linux itself is hosted code: it includes the C library's headers.
SANITIZE_LINUX := -fsanitize=address,undefined -fno-sanitize-recover=all
LINUX_COMMON_CFLAGS := -std=gnu17 -fno-pie -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-strict-aliasing -fno-common -fno-optimize-sibling-calls -fcf-protection=none -g -O1 -Wall \
	-Wextra -Werror -MMD -MP -Iframework/include -DKEEL_PLATFORM_LINUX=1 -DKEEL_HOSTED=1 -DKEEL_CHECKED=1
LINUX_KERNEL_CFLAGS := $(LINUX_COMMON_CFLAGS) -ffreestanding -mno-sse -mno-sse2 -mno-mmx \
	-mno-80387 -fno-stack-protector $(SANITIZE_LINUX)
LINUX_HOSTED_CFLAGS := $(LINUX_COMMON_CFLAGS) -D_GNU_SOURCE $(SANITIZE_LINUX)
# Where the Linux platform's kernel image is loaded: not at 0x400000, where static user
# programs live, so that the kernel touching a user address directly (not through
# copy_from_user) faults instead of reading its own image (below 2 GiB: AddressSanitizer's
# low memory).
LINUX_IMAGE_BASE := 0x40000000
# What physical_memory.c and the backtraces expect from a linker script, from the program's
# own layout: the image "occupies" physical memory from 1 MiB as on a PC.
LINUX_LDFLAGS := -no-pie -fsanitize=address -Wl,-z,noexecstack -Wl,-Ttext-segment=$(LINUX_IMAGE_BASE) \
	-Wl,--defsym=__text_start=__executable_start -Wl,--defsym=__text_end=etext \
	-Wl,--defsym=__kernel_end=_end -Wl,--defsym=__kernel_phys_start=0x100000 \
	-Wl,--defsym=__kernel_virtual_offset=__executable_start-0x100000 \
	-Wl,--defsym=__kernel_phys_end=_end-__executable_start+0x100000 \
	-Wl,--defsym=__ktests_start=__start_keel_tests -Wl,--defsym=__ktests_end=__stop_keel_tests
ifeq ($(ON_LINUX),linux)
KERNEL_CFLAGS := $(LINUX_KERNEL_CFLAGS)
endif

# ---- the framework library ---------------------------------------------------
ifeq ($(HAVE_FRAMEWORK_SOURCES),1)
KEEL_LIB_DIR := $(BUILD)/framework
# The one place that picks the machine code: the portable core, the x86_64
# code every platform compiles, and the platform's own (privileged PC code,
# or the Linux process's stand-ins for it). No file lists: each directory is
# taken whole.
ARCH := x86_64
FRAMEWORK_DIRS := framework/core framework/arch/$(ARCH) framework/platform/$(PLATFORM)
FRAMEWORK_SOURCES := $(wildcard $(addsuffix /*.c,$(FRAMEWORK_DIRS)) $(addsuffix /*.S,$(FRAMEWORK_DIRS)))
OBJ_DIR := $(KEEL_LIB_DIR)/obj$(CHECKED_SUFFIX)$(PLATFORM_SUFFIX)
FRAMEWORK_OBJECTS := $(patsubst %,$(OBJ_DIR)/%.o,$(FRAMEWORK_SOURCES))

$(KEEL_LIB_DIR)/libkeel$(CHECKED_SUFFIX)$(PLATFORM_SUFFIX).a: $(FRAMEWORK_OBJECTS)
	@rm -f $@
	@echo "  AR      $@"
	$(Q)$(AR) rcs $@ $^

$(KEEL_LIB_DIR)/keel.ld: framework/platform/pc/kernel.ld
	@mkdir -p $(@D)
	$(Q)cp $< $@

# The sanitizer's own runtime must not be instrumented.
$(KEEL_LIB_DIR)/obj-checked/framework/core/ubsan.c.o: KERNEL_CFLAGS += -fno-sanitize=all
$(KEEL_LIB_DIR)/obj-linux/framework/core/ubsan.c.o: KERNEL_CFLAGS += -fno-sanitize=undefined
$(KEEL_LIB_DIR)/obj-linux/framework/platform/linux/%.c.o: KERNEL_CFLAGS = $(LINUX_HOSTED_CFLAGS)
# The signal handlers that build trap frames must not be instrumented either:
# they run on whatever stack the interrupted code had.
$(KEEL_LIB_DIR)/obj-linux/framework/platform/linux/signals.c.o: KERNEL_CFLAGS = \
	$(LINUX_COMMON_CFLAGS) -D_GNU_SOURCE

$(OBJ_DIR)/%.c.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(KERNEL_CFLAGS) -c $< -o $@

$(OBJ_DIR)/%.S.o: %.S
	@mkdir -p $(@D)
	@echo "  AS      $<"
	$(Q)$(CC) $(KERNEL_ASFLAGS) -c $< -o $@

-include $(call dependency_files,$(FRAMEWORK_OBJECTS))
else
KEEL_LIB_DIR := lib
endif
KEEL_LIB := $(KEEL_LIB_DIR)/libkeel$(CHECKED_SUFFIX)$(PLATFORM_SUFFIX).a $(if $(ON_LINUX),,$(KEEL_LIB_DIR)/keel.ld)

.PHONY: lib
lib: $(KEEL_LIB)
ifeq ($(HAVE_FRAMEWORK_SOURCES),1)
	@$(MAKE) --no-print-directory $(KEEL_LIB_DIR)/libkeel-checked.a CHECKED=1 PLATFORM=pc
	@$(MAKE) --no-print-directory $(KEEL_LIB_DIR)/libkeel-linux.a PLATFORM=linux
endif

# ---- labs: what each one provides and uses ----------------------------------
# A lab directory's lab.mk names its files relative to that directory:
#   LAB_STUDENT_SOURCES  what the student writes (solution/ holds the reference)
#   LAB_COMMON_SOURCES   lab code the student does not edit
#   LAB_TEST_SOURCES     in-kernel tests
#   LAB_PROVIDES         the files of the lab's feature that later labs run on:
#                        its student sources and the common sources they need
#   LAB_USES             the earlier labs this lab's kernel runs on (their
#                        LAB_PROVIDES: the reference, or the student's own
#                        with USE_MINE); their directories are on the include path
#   LAB_PROGRAMS, LAB_FILES  user programs and data files for its boot archive
#   LAB_EXTRA_CFLAGS     more compiler flags for its code (rarely needed)
# Every lab's LAB_PROVIDES and LAB_STUDENT_SOURCES are kept as
# LAB_PROVIDES.<lab> and LAB_STUDENT_SOURCES.<lab>. A handout has only its own
# lab.mk: its config.mk carries LAB_PROVIDES.<lab> of the labs it uses.
LAB_VARIABLES := LAB_STUDENT_SOURCES LAB_COMMON_SOURCES LAB_TEST_SOURCES LAB_PROVIDES LAB_USES \
	LAB_PROGRAMS LAB_FILES LAB_EXTRA_CFLAGS
LABS := $(patsubst %/lab.mk,%,$(wildcard lab[0-9]-*/lab.mk))
forget_lab = $(foreach v,$(LAB_VARIABLES),$(eval $(v) :=))
define read_lab
$(forget_lab)
LAB_DIR := $(1)
include $(1)/lab.mk
LAB_PROVIDES.$(1) := $$(LAB_PROVIDES)
LAB_STUDENT_SOURCES.$(1) := $$(LAB_STUDENT_SOURCES)
endef
$(foreach lab,$(LABS),$(eval $(call read_lab,$(lab))))
# What lab $(1) provides, as its reference solution has it and as the student
# wrote it (root-relative paths).
reference_of_lab = $(foreach f,$(LAB_PROVIDES.$(1)),$(1)/$(if $(filter $(f),$(LAB_STUDENT_SOURCES.$(1))),solution/)$(f))
own_of_lab = $(addprefix $(1)/,$(LAB_PROVIDES.$(1)))

# ---- one kernel: LAB × VARIANT -----------------------------------------------
$(forget_lab)
LAB_DIR := $(if $(filter framework-tests,$(LAB)),framework/tests,$(if $(filter complete calibration,$(LAB)),labs/$(LAB),$(LAB)))
-include $(LAB_DIR)/lab.mk
in_lab = $(patsubst $(ROOT)/%,%,$(abspath $(addprefix $(LAB_DIR)/,$(1))))
# The labs this kernel runs on: the student's own for those in USE_MINE
# (compiled as lab code), the reference for the rest (compiled apart; in a
# handout they come prebuilt).
USED_MINE := $(filter $(MINE_LABS),$(LAB_USES))
USED_REFERENCE := $(filter-out $(MINE_LABS),$(LAB_USES))
$(foreach lab,$(USED_MINE),$(if $(LAB_PROVIDES.$(lab)),,$(error USE_MINE=$(USE_MINE): this tree does \
	not say which files $(lab) provides (no $(lab)/lab.mk))))
MINE_COMPILED := $(foreach lab,$(USED_MINE),$(call own_of_lab,$(lab)))
REFERENCE_COMPILED := $(if $(HAVE_FRAMEWORK_SOURCES),$(foreach lab,$(USED_REFERENCE),$(call reference_of_lab,$(lab))))
# The lab's student files as this build takes them: as the student wrote
# them, or with SOLUTION=1 the reference (from SOLUTION_DIR if set: the test
# suite's deliberately broken implementations).
STUDENT_IN_LAB := $(call in_lab,$(LAB_STUDENT_SOURCES))
SOLUTION_IN_LAB := $(call in_lab,$(addprefix solution/,$(LAB_STUDENT_SOURCES)))
SOLUTION_ELSEWHERE := $(addprefix $(SOLUTION_DIR)/,$(LAB_STUDENT_SOURCES))
STUDENT_CODE_SOURCES := $(if $(filter solution,$(SOURCES_FROM)),$(if $(SOLUTION_DIR),$(SOLUTION_ELSEWHERE),$(SOLUTION_IN_LAB)),$(STUDENT_IN_LAB))
# Lab code (checked by the rules below): the student's files and their own
# earlier labs. Lab sources: that, the lab's own common code and tests, and
# what every lab kernel has.
LAB_CODE_SOURCES := $(MINE_COMPILED) $(STUDENT_CODE_SOURCES)
LAB_SOURCES := $(call in_lab,$(LAB_COMMON_SOURCES) $(LAB_TEST_SOURCES)) $(LAB_CODE_SOURCES) \
	labs/kernel_main.c labs/ktest.c
KERNEL_DIR := $(BUILD)/$(LAB)/$(VARIANT)
LAB_CODE_OBJECTS := $(patsubst %,$(KERNEL_DIR)/obj/%.o,$(LAB_CODE_SOURCES))

# Other labs' reference solutions, compiled once per platform for every lab
# kernel that runs on them and shipped prebuilt (stripped) in handouts. They
# are compiled with -fcf-protection=branch (all other code with =none) and
# without four callee-saved registers (ABI-compatible): that changes most of
# their machine code from what the same C compiled as lab code gives, so the
# rules for lab code (grading/keelgrade/rules.py) recognise the shipped code
# if it comes back in a submission, and never mistake honest code for it.
REFERENCE_CFLAGS := -fcf-protection=branch -ffixed-rbx -ffixed-r12 -ffixed-r13 -ffixed-r14 \
	$(patsubst %,-I%,$(wildcard lab[0-9]-*)) -Ilabs/include
REFERENCE_DIR := $(BUILD)/reference/$(PLATFORM)$(CHECKED_SUFFIX)
REFERENCE_OBJECTS := $(patsubst %,$(REFERENCE_DIR)/%.o,$(REFERENCE_COMPILED))
LAB_OBJECTS := $(REFERENCE_OBJECTS) $(patsubst %,$(KERNEL_DIR)/obj/%.o,$(LAB_SOURCES))
LAB_CFLAGS := -I$(LAB_DIR) -Ilabs/include $(addprefix -I,$(LAB_USES)) $(LAB_EXTRA_CFLAGS)
KERNEL := $(KERNEL_DIR)/kernel.elf

# A lab's user programs (LAB_PROGRAMS, static musl binaries) travel next to
# its kernel as a boot archive: QEMU -initrd, GRUB module2.
PROGRAMS_DIR := $(KERNEL_DIR)/programs
PROGRAM_BINARIES := $(patsubst %.c,$(PROGRAMS_DIR)/%,$(notdir $(LAB_PROGRAMS)))
PROGRAMS_ARCHIVE := $(if $(LAB_PROGRAMS),$(KERNEL_DIR)/programs.cpio)

define program_rule
$(PROGRAMS_DIR)/%: $(1)%.c
	@mkdir -p $$(@D)
	@echo "  USERCC  $$<"
	$(Q)$(USER_CC) -static -no-pie -O1 -Wall -Wextra -Werror -o $$@ $$<
endef
$(foreach d,$(sort $(dir $(LAB_PROGRAMS))),$(eval $(call program_rule,$(d))))

# LAB_FILES: data files for the archive, under their own names.
$(KERNEL_DIR)/programs.cpio: $(PROGRAM_BINARIES) $(LAB_FILES) tools/mkprograms.py
	$(Q)$(HOST_PYTHON) tools/mkprograms.py $@ $(foreach b,$(PROGRAM_BINARIES),$(notdir $(b))=$(b)) \
	  $(foreach f,$(LAB_FILES),$(notdir $(f))=$(f))

$(KERNEL_DIR)/obj/%.c.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(KERNEL_CFLAGS) $(LAB_CFLAGS) $(DEBUG_CFLAGS) -c $< -o $@

# Lab kernels built side by side share these objects: each is written whole.
$(REFERENCE_DIR)/%.c.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $< (reference)"
	$(Q)$(CC) $(KERNEL_CFLAGS) $(REFERENCE_CFLAGS) -MT $@ -MF $(@:.o=.d) -c $< -o $@.$$$$.tmp && \
	  mv -f $@.$$$$.tmp $@

# ---- lab code keeps the rules before it is linked --------------------------------------
# (grading/keelgrade/rules.py: the lab's API only, code and data sections only,
# no reference machine code.) The API is what the lab's headers declare.
LAB_API_HEADERS := labs/include/lab.h $(wildcard $(LAB_DIR)/*.h $(addsuffix /*.h,$(MINE_LABS)))
FINGERPRINTS := $(firstword $(wildcard grading/fingerprints/$(LAB).json $(BUILD)/fingerprints/$(LAB).json))
LAB_CODE_CHECKED := $(if $(LAB_CODE_OBJECTS),$(KERNEL_DIR)/lab-code.checked)
RULES := PYTHONPATH=grading $(HOST_PYTHON) -m keelgrade.rules

$(KERNEL_DIR)/lab-code.checked: $(LAB_CODE_OBJECTS) $(LAB_API_HEADERS) $(FINGERPRINTS) \
		$(addprefix grading/keelgrade/,rules.py lab_api.py fingerprints.py elf.py)
	@echo "  CHECK   lab code"
	$(Q)$(RULES) check --cc "$(CC) $(filter-out -MMD -MP,$(KERNEL_CFLAGS)) $(LAB_CFLAGS) $(DEBUG_CFLAGS)" --headers $(LAB_API_HEADERS) \
	  --framework $(KEEL_LIB_DIR)/libkeel$(CHECKED_SUFFIX)$(PLATFORM_SUFFIX).a \
	  $(if $(FINGERPRINTS),--fingerprints $(FINGERPRINTS)) --refusal $(KERNEL_DIR)/refused.txt \
	  --cache $(BUILD) $(LAB_CODE_OBJECTS)
	@touch $@

-include $(call dependency_files,$(LAB_OBJECTS))

# In a handout, other labs' reference solutions come prebuilt.
REFERENCE_LIB := $(if $(HAVE_FRAMEWORK_SOURCES),,$(filter-out $(patsubst %,lib/libref-$(PLATFORM)-$(LAB)-%.a,$(MINE_LABS)),$(wildcard lib/libref-$(PLATFORM)-$(LAB)-*.a)))
# The framework's code starts at a random offset in each build directory (a
# padding object linked first): an address learned from one kernel, such as
# where the graders' frame writer is, is wrong in the next one.
LAYOUT := $(KERNEL_DIR)/layout.o
$(LAYOUT):
	@mkdir -p $(@D)
	$(Q)printf '.section .text.keel_layout,"ax",@progbits\n.skip %d, 0xcc\n' \
	  $$(( (RANDOM % 4096) * 16 )) | $(CC) -c -x assembler - -o $@

ifeq ($(ON_LINUX),linux)
LINK_KERNEL = $(CC) $(LINUX_LDFLAGS) -o $@ $(LAYOUT) -Wl,--whole-archive \
	$(KEEL_LIB_DIR)/libkeel$(PLATFORM_SUFFIX).a $(REFERENCE_LIB) -Wl,--no-whole-archive $(LAB_OBJECTS)
else
LINK_KERNEL = $(LD) $(KERNEL_LDFLAGS) -T $(KEEL_LIB_DIR)/keel.ld -o $@ $(LAYOUT) \
	--whole-archive $(KEEL_LIB_DIR)/libkeel$(CHECKED_SUFFIX).a $(REFERENCE_LIB) --no-whole-archive \
	$(LAB_OBJECTS)
endif

# The files a student hands in for the lab (what grading a submission takes
# from it), relative to the lab's directory.
.PHONY: student-files
student-files:
	@echo $(LAB_STUDENT_SOURCES)

# Where this kernel is built (the graders ask; only this Makefile knows).
.PHONY: print-kernel-dir
print-kernel-dir:
	@echo $(KERNEL_DIR)

# The reference objects of the labs in LAB_USES ("lab:object" words), for
# the handout builder.
.PHONY: reference-objects
reference-objects:
	@echo $(foreach lab,$(LAB_USES),$(foreach p,$(call reference_of_lab,$(lab)),$(lab):$(REFERENCE_DIR)/$(p).o))

# What a handout's config.mk says of the labs in LAB_USES: the files each
# provides, which USE_MINE compiles from the student's own copy.
.PHONY: used-labs
used-labs:
	@:$(foreach lab,$(LAB_USES),; echo 'LAB_PROVIDES.$(lab) := $(LAB_PROVIDES.$(lab))')

ifeq ($(ON_LINUX),linux)
# No linker script on Linux: the table object brings its own bounds, and pass
# 1 links an empty one.
symbols_object = printf '.section .rodata.keel_symbols,"a"\n.balign 8\n.globl __keel_symbols_start, __keel_symbols_end\n__keel_symbols_start:\n%s\n__keel_symbols_end:\n' $(1) | $(CC) -c -x assembler - -o $(2)
PASS1_EXTRA := $(KERNEL_DIR)/symbols.empty.o
$(KERNEL_DIR)/symbols.empty.o:
	@mkdir -p $(@D)
	$(Q)$(call symbols_object,,$@)
else
symbols_object = printf '.section .keel_symbols,"a"\n.balign 8\n%s\n' $(1) | $(CC) -c -x assembler - -o $(2)
PASS1_EXTRA :=
endif

# Two passes: the symbol table for backtraces is made from pass 1 and linked
# in after the code, so no code address moves between the passes.
$(KERNEL_DIR)/kernel.pass1.elf: $(LAB_OBJECTS) $(KEEL_LIB) $(REFERENCE_LIB) $(PASS1_EXTRA) $(LAB_CODE_CHECKED) \
		$(LAYOUT)
	@echo "  LD      $@"
	$(Q)$(LINK_KERNEL) $(PASS1_EXTRA)

$(KERNEL_DIR)/symbols.bin: $(KERNEL_DIR)/kernel.pass1.elf tools/mksyms.py
	@echo "  SYMS    $@"
	$(Q)$(HOST_PYTHON) tools/mksyms.py $< $@ --strip-prefix $(ROOT)/

$(KERNEL_DIR)/symbols.o: $(KERNEL_DIR)/symbols.bin
	$(Q)$(call symbols_object,'.incbin "$<"',$@)

$(KERNEL): $(KERNEL_DIR)/kernel.pass1.elf $(KERNEL_DIR)/symbols.o
	@echo "  LD      $@"
	$(Q)$(LINK_KERNEL) $(KERNEL_DIR)/symbols.o
	@cmp -s <(nm $(KERNEL_DIR)/kernel.pass1.elf | grep -i ' t ') <(nm $@ | grep -i ' t ') || \
	  { echo "error: code moved between the two link passes" >&2; rm -f $@; exit 1; }

.PHONY: kernel
kernel: deps-build $(KERNEL) $(PROGRAMS_ARCHIVE)
	@echo "built $(KERNEL)"

# ---- user programs (static, musl) for the framework's tests ---------------------
USER_PROGRAMS := $(patsubst framework/tests/user/%.c,$(BUILD)/user/%,$(wildcard framework/tests/user/*.c))

$(BUILD)/user/%: framework/tests/user/%.c
	@mkdir -p $(@D)
	@echo "  USERCC  $<"
	$(Q)$(USER_CC) -static -no-pie -O2 -Wall -Wextra -Werror -o $@ $<

.PHONY: user-programs
user-programs: $(USER_PROGRAMS)

# ---- images ----------------------------------------------------------------------
CMDLINE ?=
ISO := $(KERNEL_DIR)/keel.iso

$(ISO): $(KERNEL) $(PROGRAMS_ARCHIVE) tools/mkiso.sh FORCE
	@tools/mkiso.sh $(KERNEL) $@ "$(CMDLINE)" $(if $(PROGRAMS_ARCHIVE),programs=$(PROGRAMS_ARCHIVE))

.PHONY: iso FORCE
iso: deps-boot $(ISO)
FORCE:

# ---- running -----------------------------------------------------------------------
QEMU := qemu-system-x86_64
QEMU_MACHINE := -accel tcg -M q35 -m 128M -cpu qemu64,+smep,+smap -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
# Every emulator make starts dies with the recipe that started it, however
# that ends (timeout, SIGTERM, SIGHUP, the terminal closing): no QEMU, Bochs
# or kernel process is left behind (tools/guard; tools/bochs/run-bochs.sh,
# tools/run-program and the graders see to their own).
GUARD := tools/guard
QEMU_RUN = $(GUARD) $(QEMU) $(QEMU_MACHINE) -display none -serial mon:stdio
# The machine, for the graders, make bench and the scripts in tools/: what
# make starts finds it in KEEL_QEMU, anything else asks `make -s qemu-args`.
export KEEL_QEMU := $(QEMU) $(QEMU_MACHINE)
.PHONY: qemu-args
qemu-args:
	@echo $(KEEL_QEMU)

.PHONY: qemu qemu-direct
qemu: deps-boot $(ISO)
	@echo "Booting $(ISO) in QEMU. Serial console below; quit with Ctrl-A then X."
	@$(QEMU_RUN) -cdrom $(ISO); status=$$?; \
	  [ $$status -eq 0 -o $$status -eq 1 ] || echo "(QEMU exited with status $$status)"

qemu-direct: deps-boot $(KERNEL) $(PROGRAMS_ARCHIVE)
	@$(QEMU_RUN) -kernel $(KERNEL) $(if $(PROGRAMS_ARCHIVE),-initrd $(PROGRAMS_ARCHIVE)) -append "$(CMDLINE)"; true

# make linux [LAB=…] [CMDLINE=…]: the same kernel as a Linux process, the
# serial console on the terminal (quit with Ctrl-C).
LINUX_RUN_ARGS = $(if $(PROGRAMS_ARCHIVE),--initrd=$(PROGRAMS_ARCHIVE)) $(CMDLINE)
.PHONY: linux
linux: deps-build $(KERNEL) $(PROGRAMS_ARCHIVE)
	@echo "Running $(KERNEL) as a Linux process. Serial console below; quit with Ctrl-C."
	@$(GUARD) $(KERNEL) $(LINUX_RUN_ARGS); status=$$?; \
	  [ $$status -eq 1 -o $$status -eq 64 -o $$status -eq 130 ] || echo "(the kernel exited with status $$status)"

# make run PROG=/path/to/static-elf [ARGS='a "b c"'] [PLATFORM=linux]: the
# complete kernel runs it as its first process and prints its output; a
# nonzero exit status (128 + signal if killed) is printed, and is the exit
# code of tools/run-program (make itself reports any failure as 2). ARGS is
# split as a shell splits words (quotes group, backslash escapes; a literal
# $ is $$ for make); tools/keel-run takes the arguments as they are. Standard
# input reaches the program, with end-of-file at its end.
# In a handout (no framework sources, so no complete kernel) the kernel is
# the student's own lab kernel, if its lab runs user programs (has
# LAB_PROGRAMS: lab 5), with lab 5's main.c taking keel.run and run.args;
# standard input is then the serial console (lab 5's read), without an end.
RUN_LAB := $(if $(HAVE_FRAMEWORK_SOURCES),complete,$(LAB))
RUN_SOLUTION := $(if $(HAVE_FRAMEWORK_SOURCES),1)
.PHONY: run run-kernel
run-kernel: $(if $(ON_LINUX),deps-build,deps-boot)
	@[ -n "$(HAVE_FRAMEWORK_SOURCES)" ] || [ -n "$(LAB_PROGRAMS)" ] || { echo "make run and \
	tools/keel-run run user programs on a lab kernel that has processes: lab 5's. This $(LAB) \
	handout's kernel has none yet; run 'make qemu' to boot it." >&2; exit 2; }
	@$(MAKE) --no-print-directory -s kernel LAB=$(RUN_LAB) SOLUTION=$(RUN_SOLUTION) </dev/null >/dev/null
	@$(MAKE) --no-print-directory -s print-kernel-dir LAB=$(RUN_LAB) SOLUTION=$(RUN_SOLUTION)

run:
	@[ -n "$(PROG)" ] || { echo 'make run needs PROG=/path/to/a/static/program' >&2; exit 2; }
	@dir=$$($(MAKE) --no-print-directory -s run-kernel | tail -n 1) && [ -n "$$dir" ] && \
	  ARGS=$(call shell_quote,$(ARGS)) $(GUARD) tools/run-program --words \
	  "$$dir" $(call shell_quote,$(PROG)) "$$ARGS"

include tools/tools.mk
-include grading/grading.mk

# ---- fingerprints of the reference ------------------------------------------------------
# make fingerprints LAB=lab2-mm: hashes of the lab's reference solution as the
# handouts of later labs ship it, on both platforms, for the lab's graders to
# recognise it in a submission (grading/keelgrade/rules.py). The reference
# compiled as lab code (SOLUTION=1) is what a student writing the same C gets:
# its functions are left out.
FINGERPRINT_PLATFORMS := pc linux
reference_of = $(foreach p,$(FINGERPRINT_PLATFORMS),$(foreach s,$(LAB_STUDENT_SOURCES),$(BUILD)/reference/$(p)/$(LAB)/solution/$(s).o))
plain_of = $(foreach v,solution solution-linux,$(foreach s,$(LAB_STUDENT_SOURCES),$(BUILD)/$(LAB)/$(v)/obj/$(LAB)/solution/$(s).o))

.PHONY: fingerprints
fingerprints: deps-build
	@[ "$(LAB)" != complete ] || { echo "make fingerprints needs LAB=labN-…" >&2; exit 1; }
	@set -e; for p in $(FINGERPRINT_PLATFORMS); do \
	  $(MAKE) --no-print-directory -s kernel LAB=$(LAB) SOLUTION=1 PLATFORM=$$p >/dev/null; \
	  $(MAKE) --no-print-directory -s PLATFORM=$$p \
	    $(foreach s,$(LAB_STUDENT_SOURCES),$(BUILD)/reference/$$p/$(LAB)/solution/$(s).o) >/dev/null; \
	done
	@$(RULES) fingerprint --out $(BUILD)/fingerprints/$(LAB).json --reference $(reference_of) \
	  --plain $(plain_of)

# ---- handouts ----------------------------------------------------------------
# HANDOUT=path: where the archive goes (the test suite's parallel workers
# each use their own).
HANDOUT ?= dist/$(LAB)-handout.tar.gz
.PHONY: handout
handout: deps-build lib
	@[ "$(LAB)" != complete ] || { echo "make handout needs LAB=labN-…" >&2; exit 1; }
	@labs/mkhandout.sh $(LAB) $(HANDOUT)

# ---- everything ------------------------------------------------------------------
TEST_KERNELS := framework-tests:solution complete:solution calibration:solution \
	$(foreach lab,$(wildcard lab[0-9]-*),$(lab):student $(lab):solution)

.PHONY: kernels test bench fuzz
# The complete kernel for the Linux platform too: many tests run it, some
# through make run or keel-run, which build it without the graders' lock.
kernels: deps-build
	@$(MAKE) --no-print-directory -s user-programs
	@set -e; for k in $(TEST_KERNELS); do \
	  $(MAKE) --no-print-directory -s kernel LAB=$${k%%:*} \
	    SOLUTION=$$([ $${k##*:} = solution ] && echo 1); done
	@$(MAKE) --no-print-directory -s kernel LAB=complete SOLUTION=1 PLATFORM=linux

test: deps
	@$(MAKE) --no-print-directory kernels
	$(PYTHON) -m pytest -p no:cacheprovider grading/selftest -n $(JOBS)

# make fuzz [PLATFORM=pc|linux] [FUZZ_SECONDS=60] [FUZZ_CALLS=20000] [FUZZ_SEED=N]:
# the system-call fuzzer, boot after boot (FUZZ_CALLS calls each, seeds from
# FUZZ_SEED, random when not given) for FUZZ_SECONDS per platform (both when
# PLATFORM is not given on the command line), then the malformed-ELF corpus;
# prints calls per second and the seed of any failure.
FUZZ_SECONDS ?= 60
FUZZ_CALLS ?= 20000
.PHONY: fuzz
fuzz: deps-boot
	$(HOST_PYTHON) tools/fuzz/fuzz.py --platform $(if $(filter command line,$(origin PLATFORM)),$(PLATFORM),both) \
	  --seconds $(FUZZ_SECONDS) --calls $(FUZZ_CALLS) $(if $(FUZZ_SEED),--seed $(FUZZ_SEED))
	$(HOST_PYTHON) tools/fuzz/elfcorpus.py --platform $(if $(filter command line,$(origin PLATFORM)),$(PLATFORM),both) \
	  --linux $(if $(FUZZ_SEED),--seed $(FUZZ_SEED))

bench: deps
	@tools/install-deps.sh deps-bench
	@$(MAKE) --no-print-directory kernels
	$(HOST_PYTHON) tools/bench.py

# ---- set-up ---------------------------------------------------------------------
.PHONY: deps deps-build deps-boot deps-bench
deps deps-build deps-boot deps-bench:
	@tools/install-deps.sh $@

# ---- housekeeping ---------------------------------------------------------------
.PHONY: clean help
clean:
	rm -rf $(BUILD) dist grading/results

help:
	@sed -n '2,14s/^# //p' Makefile
