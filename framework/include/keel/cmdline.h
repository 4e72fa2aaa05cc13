/* The kernel command line: "key=value" words separated by spaces, e.g.
 * "keel.test=all keel.log=debug". The framework reads the keel.* keys itself:
 *   keel.log=error|warn|info|debug  log level (default info)
 *   keel.test=NAME|all              run in-kernel tests instead of the kernel
 *   keel.nonce=WORD                 tags grader-protocol lines of this run */
#ifndef KEEL_CMDLINE_H
#define KEEL_CMDLINE_H

#include <keel/types.h>

/* The whole command line as the boot loader passed it; never NULL (empty if
 * there was none). */
const char *cmdline_raw(void);

/* Copy the value of `key` into `buf` (capacity `size`, NUL-terminated) and
 * return true, or return false if `key` is absent. A bare word "key" has the
 * value "". A value longer than the buffer is truncated. The last occurrence
 * wins. Any context after boot. */
bool cmdline_get(const char *key, char *buf, size_t size);

/* Whether `key` appears, with or without a value. */
bool cmdline_has(const char *key);

/* The value of `key` as a decimal or 0x-hex number, or `fallback` if absent or
 * not a number. */
long cmdline_get_long(const char *key, long fallback);

#endif
