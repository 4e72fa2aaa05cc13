/* The calibration kernel's own run (see lab.mk): nothing; it is only ever
 * booted with keel.test=none. */
#include <ktest.h>
#include <lab.h>

void lab_main(const struct boot_info *info)
{
    (void)info;
}

/* The test runner needs one test to exist (and a way to see this kernel
 * works): booting with keel.test=all runs it. */
KTEST(calibration_kernel_boots) {}
