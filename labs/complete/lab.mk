# The complete kernel: the reference solution of every lab, as `make qemu`
# boots it. Paths are relative to this directory.
LAB_STUDENT_SOURCES :=
LAB_COMMON_SOURCES := ../../lab1-boot/main.c \
	$(addprefix ../../lab1-boot/solution/,serial.c memmap.c monitor.c)
LAB_TEST_SOURCES := $(patsubst %,../../%,$(wildcard lab1-boot/tests/*.c))
LAB_EXTRA_CFLAGS := -Ilab1-boot
