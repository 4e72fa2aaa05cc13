# Lab 2 (memory): what the build compiles. Paths are relative to this directory;
# the variables are described in the root Makefile ("labs").
LAB_STUDENT_SOURCES := buddy.c pagetable.c
LAB_COMMON_SOURCES := main.c ops.c challenge_defaults.c
LAB_TEST_SOURCES := tests/test_buddy.c tests/support.c tests/test_pagetable.c tests/test_hugepage.c
# ops.c installs the buddy allocator and the page-table code in the framework.
LAB_PROVIDES := ops.c $(LAB_STUDENT_SOURCES)
