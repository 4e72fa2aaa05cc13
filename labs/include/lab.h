/* What every lab kernel provides to the shared kernel entry (labs/kernel_main.c). */
#ifndef KEEL_LAB_H
#define KEEL_LAB_H

#include <keel/bootinfo.h>

/* The lab kernel's normal run, after the in-kernel tests had their chance
 * (booting with keel.test=… runs tests and powers off before this). If it
 * returns, the machine powers off with KEEL_EXIT_SUCCESS. */
void lab_main(const struct boot_info *info);

#endif
