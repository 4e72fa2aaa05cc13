/* Everything a Keel kernel includes, and the entry point it provides. (Not
 * <keel/protocol.h>: the grader protocol is the framework's and the test
 * runner's alone; lab code that writes frames is refused by the graders.) */
#ifndef KEEL_KEEL_H
#define KEEL_KEEL_H

#include <keel/bootinfo.h>
#include <keel/cmdline.h>
#include <keel/console.h>
#include <keel/cpu.h>
#include <keel/elf.h>
#include <keel/errno.h>
#include <keel/frame.h>
#include <keel/heap.h>
#include <keel/interrupt.h>
#include <keel/io.h>
#include <keel/kprintf.h>
#include <keel/mm.h>
#include <keel/multiboot2.h>
#include <keel/paging.h>
#include <keel/panic.h>
#include <keel/power.h>
#include <keel/programs.h>
#include <keel/safe.h>
#include <keel/string.h>
#include <keel/symbols.h>
#include <keel/trap.h>
#include <keel/types.h>
#include <keel/user.h>

/* The kernel's own entry point, called once the framework has set up the CPU,
 * the early console, exception handling, the direct map and the page array.
 * Interrupts are disabled. If it returns, the framework powers off with
 * KEEL_EXIT_SUCCESS. Every Keel kernel defines it. */
void kmain(const struct boot_info *info);

#endif
