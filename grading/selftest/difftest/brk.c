/* brk: growing, shrinking, refusing; what the pages hold. */
#include "difftest.h"

int main(void)
{
    unsigned long start = SYS(SYS_brk, 0);
    report_text("brk(0)", start ? "nonzero" : "zero");
    report_text("brk(0) again", (unsigned long)SYS(SYS_brk, 0) == start ? "the same" : "moved");
    const struct {
        const char *name;
        long delta;
    } moves[] = {{"start + 1", 1},      {"start + 4096", 4096}, {"start + 100000", 100000},
                 {"start + 1", 1},      {"start", 0},           {"start - 4096", -4096},
                 {"start + 8192", 8192}};
    char what[128];
    for (int i = 0; i < 7; i++) {
        unsigned long want = start + moves[i].delta, got = SYS(SYS_brk, want);
        snprintf(what, sizeof(what), "brk(%s)", moves[i].name);
        report_text(what, got == want ? "as asked" : got == start ? "start" : "elsewhere");
    }
    unsigned long now = SYS(SYS_brk, 0);
    const unsigned long refused[] = {KERNEL_ADDR, NONCANONICAL, TOP_OF_SPACE, -1ul, 1};
    const char *const names[] = {"KERNEL_ADDR", "NONCANONICAL", "TOP_OF_SPACE", "-1", "1"};
    for (int i = 0; i < 5; i++) {
        snprintf(what, sizeof(what), "brk(%s)", names[i]);
        unsigned long got = SYS(SYS_brk, refused[i]);
        report_text(what, got == now ? "unchanged" : "changed");
    }
    /* The new memory is zero, and what was given back comes back zeroed. */
    volatile char *p = (volatile char *)start;
    int zero = 1;
    for (int i = 0; i < 8192; i++)
        zero &= p[i] == 0;
    say("fresh heap reads as zero: %s", zero ? "yes" : "no");
    for (int i = 0; i < 8192; i++)
        p[i] = 'x';
    SYS(SYS_brk, start);
    SYS(SYS_brk, start + 8192);
    zero = 1;
    for (int i = 4096; i < 8192; i++)
        zero &= p[i] == 0;
    say("a page given back and taken again reads as zero: %s", zero ? "yes" : "no");
    T("write(2, heap, 0)", SYS_write, 2, start, 0);
    SYS(SYS_brk, start);
    T("write(2, heap end, 1) after shrinking", SYS_write, 2, ((start + 4095) & ~4095ul), 1);
    return 0;
}
