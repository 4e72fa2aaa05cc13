/* Memory accesses that may fault without stopping the kernel: a page fault
 * or protection fault during one of these makes it return false instead.
 * For tests that check page permissions, and for code that must touch
 * memory it cannot trust. */
#ifndef KEEL_SAFE_H
#define KEEL_SAFE_H

#include <keel/types.h>

/* Read the byte at `addr` into *out; false (and *out untouched) if it faults.
 * Kernel context. */
bool safe_read8(const volatile void *addr, uint8_t *out);

/* Write `value` to the byte at `addr`; false if the write faults. */
bool safe_write8(volatile void *addr, uint8_t value);

#endif
