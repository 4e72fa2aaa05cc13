# Lab 5 (user processes): what the build compiles. Paths are relative to this directory.
LAB_STUDENT_SOURCES := elf.c process.c syscall.c
LAB_COMMON_SOURCES := main.c setup.c
LAB_TEST_SOURCES := tests/test_user.c
LAB_REFERENCE_SOURCES := ../lab2-mm/ops.c $(addprefix ../lab2-mm/solution/,buddy.c pagetable.c) \
	$(addprefix ../lab4-sched/solution/,thread.c rr.c sync.c mlfq.c)
LAB_EXTRA_CFLAGS := -Ilab2-mm -Ilab4-sched
# User programs, built with musl-gcc -static and booted as an archive.
LAB_PROGRAMS := $(wildcard $(LAB_DIR)/programs/*.c)
