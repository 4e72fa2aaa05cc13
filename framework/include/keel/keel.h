/* Everything a Keel kernel includes, and the entry point it provides: every
 * public header that is lab API (the graders derive what lab code may call
 * from the headers a lab's header includes, so what this file includes is
 * what every lab may use). Deliberately left out, because they are not lab
 * API and lab code that uses them is refused by the graders:
 *   <keel/protocol.h>  the grader protocol, the framework's and the test
 *                      runner's alone (a lab writing frames forges results)
 *   <keel/testing.h>   hooks for tests (console capture, pretend devices,
 *                      looking functions up by name)
 *   <keel/jump.h>      non-local jumps, for the test runner to end a failing
 *                      test: a jump out of framework code would skip its
 *                      bookkeeping (irq_pop_off, spin_unlock), which nothing
 *                      could check */
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
#include <keel/thread.h>
#include <keel/trap.h>
#include <keel/types.h>
#include <keel/user.h>

/* The kernel's own entry point, called once the framework has set up the CPU,
 * the early console, exception handling, the direct map and the page array.
 * Interrupts are disabled. If it returns, the framework powers off with
 * KEEL_EXIT_SUCCESS. Every Keel kernel defines it. */
void kmain(const struct boot_info *info);

#endif
