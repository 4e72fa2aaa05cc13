# The framework's self-test kernel (make kernel LAB=framework-tests): the framework's
# own in-kernel tests, and deliberate crashes that check its reports.
LAB_STUDENT_SOURCES :=
LAB_COMMON_SOURCES := main.c
LAB_TEST_SOURCES := test_core.c test_crash.c test_memory.c test_interrupts.c test_user.c test_threads.c test_programs.c test_elf.c
