# Lab 4 (scheduling): what the build compiles. Paths are relative to this directory;
# the variables are described in the root Makefile ("labs").
LAB_STUDENT_SOURCES := thread.c rr.c sync.c mlfq.c priority.c
LAB_COMMON_SOURCES := main.c
LAB_TEST_SOURCES := tests/support.c tests/test_threads.c tests/test_sync.c tests/test_mlfq.c tests/test_priority.c
LAB_PROVIDES := $(LAB_STUDENT_SOURCES)
LAB_USES := lab2-mm
