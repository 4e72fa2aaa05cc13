# Lab 2 (memory): what the build compiles. Paths are relative to this directory.
LAB_STUDENT_SOURCES := buddy.c pagetable.c
LAB_COMMON_SOURCES := main.c ops.c
LAB_TEST_SOURCES := tests/test_buddy.c tests/test_pagetable.c
