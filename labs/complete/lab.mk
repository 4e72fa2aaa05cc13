# The complete kernel: the reference solution of every lab, as `make qemu`
# boots it. Paths are relative to this directory.
LAB_STUDENT_SOURCES :=
LAB_COMMON_SOURCES := main.c files.c bench.c \
	$(addprefix ../../lab1-boot/solution/,serial.c memmap.c monitor.c) \
	../../lab2-mm/ops.c $(addprefix ../../lab2-mm/solution/,buddy.c pagetable.c) \
	../../lab3-trap/syscall_table.c $(addprefix ../../lab3-trap/solution/,exceptions.c timer.c syscall.c) \
	$(addprefix ../../lab4-sched/solution/,thread.c rr.c sync.c mlfq.c) \
	../../lab5-user/setup.c $(addprefix ../../lab5-user/solution/,elf.c process.c syscall.c)
LAB_TEST_SOURCES := $(patsubst %,../../%,$(wildcard lab1-boot/tests/*.c lab2-mm/tests/*.c lab3-trap/tests/*.c))
LAB_EXTRA_CFLAGS := -Ilab1-boot -Ilab2-mm -Ilab3-trap -Ilab4-sched -Ilab5-user
# The shell, its tools, and lab 5's programs.
LAB_PROGRAMS := $(wildcard $(LAB_DIR)/programs/*.c lab5-user/programs/*.c)
LAB_FILES := $(LAB_DIR)/programs/motd.txt
