# Lab 5 (user processes): what the build compiles. Paths are relative to this directory;
# the variables are described in the root Makefile ("labs").
LAB_STUDENT_SOURCES := elf.c process.c syscall.c vm.c
LAB_COMMON_SOURCES := main.c setup.c
LAB_TEST_SOURCES := tests/support.c tests/test_user.c tests/test_vm.c
LAB_PROVIDES := setup.c $(LAB_STUDENT_SOURCES)
LAB_USES := lab2-mm lab4-sched
# User programs, built with musl-gcc -static and booted as an archive.
LAB_PROGRAMS := $(wildcard $(LAB_DIR)/programs/*.c)
