/* The real program the malformed-ELF corpus is made from (tools/fuzz/elfcorpus.py):
 * no C library, a text, read-only data, data and bss segment, prints one line
 * and exits with 0 when its data arrived intact. */
static volatile int loaded = 7;  /* .data: from the file */
static volatile char zeroes[64]; /* .bss: zeroed by the loader */

static long sc(long n, long a, long b, long c)
{
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c)
                     : "rcx", "r11", "memory");
    return ret;
}

__attribute__((noreturn)) void _start(void)
{
    static const char line[] = "elf base ran\n";
    sc(1, 1, (long)line, sizeof(line) - 1);
    int bad = loaded != 7;
    for (unsigned i = 0; i < sizeof(zeroes); i++)
        bad |= zeroes[i] != 0;
    for (;;)
        sc(231, bad ? 3 : 0, 0, 0);
}
