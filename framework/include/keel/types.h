/* Basic types shared by every Keel header. */
#ifndef KEEL_TYPES_H
#define KEEL_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A physical address. Kept distinct from pointers so that code cannot
 * dereference one by accident: convert with phys_to_virt() first. */
typedef uint64_t phys_addr_t;

/* Attributes and helpers: a function that never returns, printf-style format
 * checking (argument positions from 1), a deliberately unused item, the
 * element count of an array (not of a pointer), and rounding `x` up or down
 * to a multiple of `a` (a power of two). */
#define KEEL_NORETURN                      __attribute__((noreturn))
#define KEEL_PRINTF(fmt_index, args_index) __attribute__((format(printf, fmt_index, args_index)))
#define KEEL_UNUSED                        __attribute__((unused))
#define KEEL_ARRAY_SIZE(a)                 (sizeof(a) / sizeof((a)[0]))
#define KEEL_ALIGN_UP(x, a)                (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define KEEL_ALIGN_DOWN(x, a)              ((x) & ~((__typeof__(x))(a)-1))

#endif
