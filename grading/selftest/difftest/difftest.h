/* The differential test's side inside a program (test_difftest.py runs each
 * program natively on this Linux host and on the complete Keel kernel, on
 * both platforms, and compares what they print).
 *
 * Every system call under test is made raw (SYS, the `syscall` instruction:
 * no C library wrapper retries, converts or hides a result) and reported on
 * a line of its own, "#dt what = result", where result is the number or
 * -ENAME. A result that may legitimately differ between two correct kernels
 * (an address, a pid) is reported as a property instead (REPORT_ADDR,
 * report_text). Report lines are written with a raw write to fd 1 (itself
 * not reported); the marker lets the harness find them among the kernel's
 * own messages and the bytes that the calls under test write. */
#ifndef DIFFTEST_H
#define DIFFTEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

static inline long raw_syscall(long n, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long result;
    __asm__ volatile("syscall"
                     : "=a"(result)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return result;
}

#define SYS_PICK_(n, a, b, c, d, e, f, ...)                                                        \
    raw_syscall((long)(n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
/* SYS(number, arguments...): the raw system call, up to six arguments. */
#define SYS(...) SYS_PICK_(__VA_ARGS__, 0, 0, 0, 0, 0, 0, 0)

static const char *const errno_names[] = {
    [1] = "EPERM",      [2] = "ENOENT",        [3] = "ESRCH",   [4] = "EINTR",      [5] = "EIO",
    [6] = "ENXIO",      [7] = "E2BIG",         [8] = "ENOEXEC", [9] = "EBADF",      [10] = "ECHILD",
    [11] = "EAGAIN",    [12] = "ENOMEM",       [13] = "EACCES", [14] = "EFAULT",    [16] = "EBUSY",
    [17] = "EEXIST",    [20] = "ENOTDIR",      [21] = "EISDIR", [22] = "EINVAL",    [24] = "EMFILE",
    [25] = "ENOTTY",    [27] = "EFBIG",        [28] = "ENOSPC", [29] = "ESPIPE",    [30] = "EROFS",
    [34] = "ERANGE",    [36] = "ENAMETOOLONG", [38] = "ENOSYS", [39] = "ENOTEMPTY", [40] = "ELOOP",
    [75] = "EOVERFLOW", [95] = "EOPNOTSUPP",
};

/* Where report lines go (a program that closes 1 switches to 2). */
static int report_fd = 1;

/* Print one report line (printf format; the marker is added). */
static __attribute__((unused)) void say(const char *format, ...)
{
    char line[512] = "#dt ";
    va_list args;
    va_start(args, format);
    vsnprintf(line + 4, sizeof(line) - 5, format, args);
    va_end(args);
    size_t length = strlen(line);
    line[length++] = '\n';
    raw_syscall(SYS_write, report_fd, (long)line, (long)length, 0, 0, 0);
}

/* A result as text: the number, or -ENAME for an error. */
static __attribute__((unused)) const char *result_text(long result, char *buffer, size_t size)
{
    if (result < 0 && result >= -4095) {
        long e = -result;
        if (e < (long)(sizeof(errno_names) / sizeof(errno_names[0])) && errno_names[e])
            snprintf(buffer, size, "-%s", errno_names[e]);
        else
            snprintf(buffer, size, "-errno%ld", e);
    } else {
        snprintf(buffer, size, "%ld", result);
    }
    return buffer;
}

static __attribute__((unused)) void report(const char *what, long result)
{
    char text[32];
    say("%s = %s", what, result_text(result, text, sizeof(text)));
}

static __attribute__((unused)) void report_text(const char *what, const char *text)
{
    say("%s = %s", what, text);
}

/* An address result: its properties, not its value. */
static __attribute__((unused)) void report_addr(const char *what, long result)
{
    if (result < 0 && result >= -4095)
        report(what, result);
    else
        report_text(what, result == 0                           ? "NULL"
                          : (result & 4095)                     ? "unaligned user address"
                          : (unsigned long)result < (1ul << 47) ? "page-aligned user address"
                                                                : "kernel address");
}

/* T("what", SYS_x, args...): make the call and report its result. */
#define T(what, ...) report(what, SYS(__VA_ARGS__))
/* TA: the same for a call that returns an address. */
#define TA(what, ...) report_addr(what, SYS(__VA_ARGS__))

/* A wait status as text, the same on any kernel ("exited N", "signal N";
 * Linux's core-dump bit depends on the host's ulimit and is left out). */
static __attribute__((unused)) void report_status(const char *what, int status)
{
    if ((status & 0x7f) == 0)
        say("%s = exited %d", what, (status >> 8) & 0xff);
    else
        say("%s = signal %d", what, status & 0x7f);
}

/* Addresses no program may pass as a buffer, with their names. */
#define KERNEL_ADDR    0xffffffff80100000ul
#define NONCANONICAL   0x0000800000000000ul
#define TOP_OF_SPACE   0xfffffffffffff000ul
#define UNMAPPED_USER  0x0000300000000000ul /* nothing is mapped there in these tests */
#define LAST_USER_BYTE 0x00007ffffffffffful

/* A page of ours followed by an unmapped one: `page` + PAGE - n straddles. */
static __attribute__((unused)) char *straddle_page(void)
{
    long two = SYS(SYS_mmap, 0, 8192, 3, 0x22, -1, 0);
    if (two < 0 && two >= -4095)
        return NULL;
    SYS(SYS_munmap, two + 4096, 4096);
    return (char *)two;
}

static __attribute__((unused)) int exit_now(int code)
{
    SYS(SYS_exit_group, code);
    return code;
}

#endif
