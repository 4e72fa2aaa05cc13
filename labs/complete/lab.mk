# The complete kernel: the reference solution of every lab, as `make qemu`
# boots it. Paths are relative to this directory.
LAB_STUDENT_SOURCES :=
LAB_COMMON_SOURCES := main.c bench.c \
	$(addprefix ../../lab1-boot/solution/,serial.c memmap.c monitor.c) \
	../../lab2-mm/ops.c $(addprefix ../../lab2-mm/solution/,buddy.c pagetable.c) \
	../../lab3-trap/syscall_table.c $(addprefix ../../lab3-trap/solution/,exceptions.c timer.c syscall.c)
LAB_TEST_SOURCES := $(patsubst %,../../%,$(wildcard lab1-boot/tests/*.c lab2-mm/tests/*.c lab3-trap/tests/*.c))
LAB_EXTRA_CFLAGS := -Ilab1-boot -Ilab2-mm -Ilab3-trap
