/* platform_lock_down on a PC: the kernel is all the software the machine
 * runs, so there is nothing outside it to keep it from (the Linux platform
 * restricts the host system calls a kernel process may make). */
#include "../../core/internal.h"

void platform_lock_down(void) {}
