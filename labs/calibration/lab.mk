# The calibration kernel: the framework and the test runner, no lab code at
# all. The graders time its boot (keel.test=none) to scale their timeouts
# (grading/keelgrade/calibration.py), so nothing a student writes can make
# the grader wait longer. Paths are relative to this directory.
LAB_STUDENT_SOURCES :=
LAB_COMMON_SOURCES := main.c
LAB_TEST_SOURCES :=
