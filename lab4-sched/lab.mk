# Lab 4 (scheduling): what the build compiles. Paths are relative to this directory.
LAB_STUDENT_SOURCES := thread.c rr.c sync.c mlfq.c
LAB_COMMON_SOURCES := main.c
LAB_TEST_SOURCES := tests/support.c tests/test_threads.c tests/test_sync.c tests/test_mlfq.c
LAB_REFERENCE_SOURCES := ../lab2-mm/ops.c $(addprefix ../lab2-mm/solution/,buddy.c pagetable.c)
LAB_EXTRA_CFLAGS := -Ilab2-mm
