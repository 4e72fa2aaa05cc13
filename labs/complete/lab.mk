# The complete kernel: the reference solution of every lab, as `make qemu`
# boots it. What each lab provides (its LAB_PROVIDES) is compiled here as this
# kernel's own code. Paths are relative to this directory.
LAB_STUDENT_SOURCES :=
LAB_COMMON_SOURCES := main.c files.c descriptors.c bench.c $(addprefix ../../,$(foreach lab,$(LABS),$(call reference_of_lab,$(lab))))
LAB_TEST_SOURCES := $(patsubst %,../../%,$(wildcard lab1-boot/tests/*.c lab2-mm/tests/*.c lab3-trap/tests/*.c))
LAB_EXTRA_CFLAGS := $(addprefix -I,$(LABS))
# The shell, its tools, and lab 5's programs.
LAB_PROGRAMS := $(wildcard $(LAB_DIR)/programs/*.c lab5-user/programs/*.c)
LAB_FILES := $(LAB_DIR)/programs/motd.txt
