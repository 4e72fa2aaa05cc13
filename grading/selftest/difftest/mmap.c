/* mmap and munmap: flags, protections, lengths, MAP_FIXED and faults. */
#include "difftest.h"

#define PROT_NONE     0
#define PROT_READ     1
#define PROT_WRITE    2
#define PROT_EXEC     4
#define MAP_SHARED    0x01
#define MAP_PRIVATE   0x02
#define MAP_FIXED     0x10
#define MAP_ANONYMOUS 0x20
#define RW            (PROT_READ | PROT_WRITE)
#define ANON          (MAP_PRIVATE | MAP_ANONYMOUS)

/* Touch `address` in a child (read or write); report how the child ended. */
static void touch(const char *what, unsigned long address, int write)
{
    long pid = SYS(SYS_fork);
    if (pid == 0) {
        if (write)
            *(volatile char *)address = 1;
        else
            (void)*(volatile char *)address;
        SYS(SYS_exit_group, 0);
    }
    int status = 0;
    SYS(SYS_wait4, pid, &status, 0, 0);
    report_status(what, status);
}

int main(void)
{
    char what[160];
    TA("mmap(NULL, 4096, RW, ANON, -1, 0)", SYS_mmap, 0, 4096, RW, ANON, -1, 0);
    TA("mmap(NULL, 1, RW, ANON, -1, 0)", SYS_mmap, 0, 1, RW, ANON, -1, 0);
    TA("mmap(NULL, 0, RW, ANON, -1, 0)", SYS_mmap, 0, 0, RW, ANON, -1, 0);
    TA("mmap(NULL, -1, RW, ANON, -1, 0)", SYS_mmap, 0, -1ul, RW, ANON, -1, 0);
    TA("mmap(NULL, 1 << 63, RW, ANON, -1, 0)", SYS_mmap, 0, 1ul << 63, RW, ANON, -1, 0);
    TA("mmap(NULL, 1 << 47, RW, ANON, -1, 0)", SYS_mmap, 0, 1ul << 47, RW, ANON, -1, 0);
    TA("mmap(NULL, -4096, RW, ANON, -1, 0)", SYS_mmap, 0, -4096ul, RW, ANON, -1, 0);
    TA("mmap(NULL, 4096, RW, MAP_ANONYMOUS, -1, 0)", SYS_mmap, 0, 4096, RW, MAP_ANONYMOUS, -1, 0);
    TA("mmap(NULL, 4096, RW, MAP_SHARED|MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)", SYS_mmap, 0, 4096, RW,
       MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    TA("mmap(NULL, 4096, RW, MAP_PRIVATE, -1, 0)", SYS_mmap, 0, 4096, RW, MAP_PRIVATE, -1, 0);
    TA("mmap(NULL, 4096, RW, MAP_PRIVATE, 99, 0)", SYS_mmap, 0, 4096, RW, MAP_PRIVATE, 99, 0);
    TA("mmap(NULL, 4096, RW, ANON, 99, 0)", SYS_mmap, 0, 4096, RW, ANON, 99, 0);
    TA("mmap(NULL, 4096, RW, ANON, -1, 4096)", SYS_mmap, 0, 4096, RW, ANON, -1, 4096);
    TA("mmap(NULL, 4096, RW, ANON, -1, 1)", SYS_mmap, 0, 4096, RW, ANON, -1, 1);
    TA("mmap(NULL, 4096, PROT_NONE, ANON, -1, 0)", SYS_mmap, 0, 4096, PROT_NONE, ANON, -1, 0);
    TA("mmap(NULL, 4096, PROT_EXEC, ANON, -1, 0)", SYS_mmap, 0, 4096, PROT_EXEC, ANON, -1, 0);
    TA("mmap(NULL, 4096, 0x8, ANON, -1, 0)", SYS_mmap, 0, 4096, 0x8, ANON, -1, 0);
    TA("mmap(unaligned hint, 4096, RW, ANON, -1, 0)", SYS_mmap, 0x200000123, 4096, RW, ANON, -1, 0);
    TA("mmap(KERNEL_ADDR hint, 4096, RW, ANON, -1, 0)", SYS_mmap, KERNEL_ADDR, 4096, RW, ANON, -1,
       0);
    /* MAP_FIXED: exactly there, or an error. */
    const struct {
        const char *name;
        unsigned long address;
    } fixed[] = {
        {"0x200000000", 0x200000000ul},       {"0x200000123", 0x200000123ul},
        {"KERNEL_ADDR", KERNEL_ADDR},         {"NONCANONICAL", NONCANONICAL},
        {"0x7ffffffff000", 0x7ffffffff000ul}, {"TOP_OF_SPACE", TOP_OF_SPACE},
        {"0x500000000000", 0x500000000000ul},
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        long r = SYS(SYS_mmap, fixed[i].address, 8192, RW, ANON | MAP_FIXED, -1, 0);
        snprintf(what, sizeof(what), "mmap(%s, 8192, RW, ANON|MAP_FIXED, -1, 0)", fixed[i].name);
        if (r >= 0 || r < -4095)
            report_text(what, (unsigned long)r == fixed[i].address ? "the address asked for"
                                                                   : "another address");
        else
            report(what, r);
    }
    char *at = (char *)0x200000000ul;
    at[0] = 'a', at[4096] = 'b';
    long r = SYS(SYS_mmap, at + 4096, 4096, RW, ANON | MAP_FIXED, -1, 0);
    report_text("MAP_FIXED over a mapped page", r == (long)(at + 4096) ? "there" : "elsewhere");
    say("after it: first page %c, second page %d", at[0], at[4096]);
    /* The hint is taken when the place is free. */
    r = SYS(SYS_mmap, 0x300000000ul, 4096, RW, ANON, -1, 0);
    report_text("mmap(free hint 0x300000000)", r == 0x300000000l ? "at the hint" : "elsewhere");
    /* Protections. */
    long none = SYS(SYS_mmap, 0, 4096, PROT_NONE, ANON, -1, 0);
    touch("reading a PROT_NONE page", none, 0);
    touch("writing a PROT_NONE page", none, 1);
    long ro = SYS(SYS_mmap, 0, 4096, PROT_READ, ANON, -1, 0);
    touch("reading a PROT_READ page", ro, 0);
    touch("writing a PROT_READ page", ro, 1);
    long rw = SYS(SYS_mmap, 0, 8192, RW, ANON, -1, 0);
    touch("writing a RW page", rw, 1);
    say("a new mapping reads as zero: %s", *(volatile char *)rw == 0 ? "yes" : "no");
    T("write(2, PROT_NONE page, 1)", SYS_write, 2, none, 1);
    /* munmap. */
    T("munmap(rw + 4096, 4096)", SYS_munmap, rw + 4096, 4096);
    touch("reading an unmapped page", rw + 4096, 0);
    touch("reading the page before it", rw, 0);
    T("munmap(rw, 0)", SYS_munmap, rw, 0);
    T("munmap(rw + 1, 4096)", SYS_munmap, rw + 1, 4096);
    T("munmap(rw, 1)", SYS_munmap, rw, 1);
    touch("reading after munmap(rw, 1)", rw, 0);
    T("munmap(rw, 4096) again", SYS_munmap, rw, 4096);
    T("munmap(NULL, 4096)", SYS_munmap, 0, 4096);
    T("munmap(UNMAPPED_USER, 4096)", SYS_munmap, UNMAPPED_USER, 4096);
    T("munmap(KERNEL_ADDR, 4096)", SYS_munmap, KERNEL_ADDR, 4096);
    T("munmap(NONCANONICAL, 4096)", SYS_munmap, NONCANONICAL, 4096);
    T("munmap(0x7ffffffff000, 8192)", SYS_munmap, 0x7ffffffff000ul, 8192);
    T("munmap(0x1000, -4096)", SYS_munmap, 0x1000, -4096ul);
    T("munmap(0x1000, 1 << 47)", SYS_munmap, 0x1000, 1ul << 47);
    /* A hint where something is mapped is not taken. */
    r = SYS(SYS_mmap, at, 4096, RW, ANON, -1, 0);
    report_text("mmap(hint at a mapped page)", r == (long)at ? "at the hint" : "elsewhere");
    /* A PROT_NONE reservation, then MAP_FIXED pages inside it. */
    long reserve = SYS(SYS_mmap, 0, 3 * 4096, PROT_NONE, ANON, -1, 0);
    r = SYS(SYS_mmap, reserve + 4096, 4096, RW, ANON | MAP_FIXED, -1, 0);
    report_text("MAP_FIXED RW in the middle of a PROT_NONE range",
                r == reserve + 4096 ? "there" : "elsewhere");
    touch("writing the RW page", reserve + 4096, 1);
    touch("reading the PROT_NONE page before it", reserve, 0);
    touch("reading the PROT_NONE page after it", reserve + 8192, 0);
    /* A hole punched in the middle of a mapping. */
    long three = SYS(SYS_mmap, 0, 3 * 4096, RW, ANON, -1, 0);
    T("munmap(three + 4096, 4096)", SYS_munmap, three + 4096, 4096);
    touch("reading the first page", three, 0);
    touch("reading the hole", three + 4096, 0);
    touch("reading the last page", three + 8192, 0);
    T("munmap(three, 3 * 4096) across the hole", SYS_munmap, three, 3 * 4096);
    touch("reading the last page after that", three + 8192, 0);
    T("munmap(at, 8192)", SYS_munmap, at, 8192);
    touch("reading a MAP_FIXED page after munmap", (unsigned long)at, 0);
    /* Huge ranges, with (almost) nothing in them: answered at once. */
    T("munmap(0x200000000000, 32 TiB)", SYS_munmap, 0x200000000000ul, 1ul << 45);
    TA("mmap(NULL, 32 TiB, PROT_NONE, ANON, -1, 0)", SYS_mmap, 0, 1ul << 45, PROT_NONE, ANON, -1,
       0);
    return 0;
}
