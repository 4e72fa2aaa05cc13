# Lab 1 (boot): what the build compiles. Paths are relative to this directory;
# the variables are described in the root Makefile ("labs").
LAB_STUDENT_SOURCES := serial.c memmap.c monitor.c trace.c
LAB_COMMON_SOURCES := main.c trace_demo.c
LAB_TEST_SOURCES := tests/fake_uart.c tests/test_serial.c tests/test_memmap.c tests/test_monitor.c tests/test_trace.c
LAB_PROVIDES := $(LAB_STUDENT_SOURCES) trace_demo.c
