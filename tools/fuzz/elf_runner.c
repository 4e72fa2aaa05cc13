/* Runs every program named in the file "corpus.list" (one name a line), each
 * execve'd in a child of its own, and prints how each ended:
 *   elf NAME: refused errno N     execve returned -N
 *   elf NAME: exit N              it ran and exited with status N
 *   elf NAME: signal N            it was killed by signal N
 * "elf NAME: start" comes first, so a hang names the file. Ends with
 * "elf: all N done". The same program runs natively (tools/fuzz/elfcorpus.py
 * compares with Linux) and on the complete kernel; raw system calls only. */
#include <stdint.h>

enum {
    NR_read = 0,
    NR_write = 1,
    NR_open = 2,
    NR_fork = 57,
    NR_execve = 59,
    NR_wait4 = 61,
    NR_exit_group = 231
};

static long sc(long n, long a, long b, long c, long d)
{
    register long r10 __asm__("r10") = d;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
                     : "rcx", "r11", "memory");
    return ret;
}

static void put(const char *s)
{
    long n = 0;
    while (s[n])
        n++;
    sc(NR_write, 1, (long)s, n, 0);
}

static void put_num(long v)
{
    char digits[24], *p = digits + sizeof(digits) - 1;
    *p = 0;
    int negative = v < 0;
    unsigned long u = negative ? -(unsigned long)v : (unsigned long)v;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (negative)
        *--p = '-';
    put(p);
}

static char list[1 << 16];

int main(void)
{
    long fd = sc(NR_open, (long)"corpus.list", 0, 0, 0);
    long size = 0, got;
    while (fd >= 0 && size < (long)sizeof(list) - 1 &&
           (got = sc(NR_read, fd, (long)list + size, (long)sizeof(list) - 1 - size, 0)) > 0)
        size += got;
    if (fd < 0 || size == 0) {
        put("elf: cannot read corpus.list\n");
        sc(NR_exit_group, 1, 0, 0, 0);
    }
    long count = 0;
    for (char *name = list; name < list + size && *name;) {
        char *end = name;
        while (*end && *end != '\n')
            end++;
        *end = 0;
        put("elf ");
        put(name);
        put(": start\n");
        long pid = sc(NR_fork, 0, 0, 0, 0);
        if (pid == 0) {
            char *argv[] = {name, 0};
            long result = sc(NR_execve, (long)name, (long)argv, 0, 0);
            /* Still here: refused. The errno travels in the exit status. */
            sc(NR_exit_group, 200 + (result < 0 && result > -50 ? -result : 49), 0, 0, 0);
        }
        int status = 0;
        if (pid < 0 || sc(NR_wait4, pid, (long)&status, 0, 0) != pid) {
            put("elf: fork or wait4 failed\n");
            sc(NR_exit_group, 1, 0, 0, 0);
        }
        put("elf ");
        put(name);
        if (status & 0x7f) {
            put(": signal ");
            put_num(status & 0x7f);
        } else if (((status >> 8) & 0xff) >= 200) {
            put(": refused errno ");
            put_num(((status >> 8) & 0xff) - 200);
        } else {
            put(": exit ");
            put_num((status >> 8) & 0xff);
        }
        put("\n");
        count++;
        name = end + 1;
    }
    put("elf: all ");
    put_num(count);
    put(" done\n");
    sc(NR_exit_group, 0, 0, 0, 0);
}
