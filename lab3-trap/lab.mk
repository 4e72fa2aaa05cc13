# Lab 3 (traps): what the build compiles. Paths are relative to this directory;
# the variables are described in the root Makefile ("labs").
LAB_STUDENT_SOURCES := exceptions.c timer.c syscall.c profile.c
LAB_COMMON_SOURCES := main.c syscall_table.c
LAB_TEST_SOURCES := tests/test_exceptions.c tests/test_timer.c tests/test_syscall.c tests/test_serial_setup.c tests/test_profile.c
LAB_PROVIDES := syscall_table.c $(LAB_STUDENT_SOURCES)
LAB_USES := lab1-boot lab2-mm
