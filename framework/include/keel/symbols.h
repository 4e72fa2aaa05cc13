/* Symbol lookup: from a code address to function, file and line.
 *
 * The build embeds a table of the kernel's functions and line numbers in the
 * kernel image (tools/mksyms.py, run between two link passes), so backtraces
 * can be printed without a debugger. */
#ifndef KEEL_SYMBOLS_H
#define KEEL_SYMBOLS_H

#include <keel/types.h>

/* What symbol_lookup found for an address. The strings live in the
 * kernel image: valid for ever, never freed. */
struct symbol_info {
    const char *function; /* name of the function containing the address */
    uintptr_t function_start;
    uintptr_t offset; /* address - function_start */
    const char *file; /* source file, relative to the project; NULL if unknown */
    int line;         /* line number, 0 if unknown */
};

/* Fill `out` for code address `addr` and return true, or return false if the
 * address is not inside a known kernel function. For a return address taken
 * from a stack frame, pass addr - 1 to get the line of the call itself. The
 * strings point into the kernel image and live forever. Any context. */
bool symbol_lookup(uintptr_t addr, struct symbol_info *out);

/* Write "function (file:line)" for return address `site` into `buf`
 * (capacity `size`), or the bare address if it is not in a known function,
 * or "an unknown place" for 0. Returns `buf`. For reports of where something
 * was allocated, freed or called from. Any context. */
const char *symbol_describe(uintptr_t site, char *buf, size_t size);

/* Print a backtrace starting from frame pointer `rbp` (0: the caller's frame),
 * one line per frame: "#N 0xADDR function+0xOFF (file:line)". Stops at the
 * end of the stack, at a frame pointer outside it, or after 32 frames. This is
 * what panic uses; it checks every frame pointer before reading through it. */
void backtrace_print(uintptr_t rbp);

#endif
