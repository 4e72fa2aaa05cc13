# Lab 3 (traps): what the build compiles. Paths are relative to this directory.
LAB_STUDENT_SOURCES := exceptions.c timer.c syscall.c
LAB_COMMON_SOURCES := main.c syscall_table.c
LAB_TEST_SOURCES := tests/test_exceptions.c tests/test_timer.c tests/test_syscall.c
# Other labs' reference solutions this kernel runs on (prebuilt in a handout).
LAB_REFERENCE_SOURCES := $(addprefix ../lab1-boot/solution/,serial.c memmap.c monitor.c) \
	../lab2-mm/ops.c $(addprefix ../lab2-mm/solution/,buddy.c pagetable.c)
LAB_EXTRA_CFLAGS := -Ilab1-boot -Ilab2-mm
