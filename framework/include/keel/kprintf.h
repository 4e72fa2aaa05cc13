/* Formatted output and kernel log levels.
 *
 * Formats: %d %i %u %x %X %o %c %s %p %%, with flags '-', '0', '+', ' ', '#',
 * a width and a precision (both may be '*'), and the length modifiers hh, h, l,
 * ll, z, j, t. %p prints 0x followed by 16 hex digits. A NULL %s prints
 * "(null)". An unknown conversion prints itself in angle brackets, e.g. <%q>,
 * so a typo shows up in the output instead of crashing. */
#ifndef KEEL_KPRINTF_H
#define KEEL_KPRINTF_H

#include <keel/types.h>
#include <stdarg.h>

/* Log levels, most to least severe. The level in force comes from the kernel
 * command line (keel.log=error|warn|info|debug), default info. */
enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Format and write to the consoles. Returns the number of characters written.
 * Any context (it takes no locks that could deadlock a panic). */
int kprintf(const char *fmt, ...) KEEL_PRINTF(1, 2);

/* kprintf with a va_list. */
int kvprintf(const char *fmt, va_list args);

/* Format into `buf` of capacity `size`, always NUL-terminating when size > 0.
 * Returns the length the full output would have had (as C's snprintf). */
int ksnprintf(char *buf, size_t size, const char *fmt, ...) KEEL_PRINTF(3, 4);

/* ksnprintf with a va_list. */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list args);

/* Print a message at `level` if the level in force lets it through, prefixed
 * with the level name, e.g. "[warn] ". */
void klog(enum log_level level, const char *fmt, ...) KEEL_PRINTF(2, 3);

/* Change the level in force (keel.log sets it at boot). */
void klog_set_level(enum log_level level);

/* The level in force. */
enum log_level klog_level(void);

/* klog at a fixed level: pr_warn("disk %d is slow\n", n). Any context. */
#define pr_error(...) klog(LOG_ERROR, __VA_ARGS__)
#define pr_warn(...)  klog(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  klog(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) klog(LOG_DEBUG, __VA_ARGS__)

#endif
