/* fork, exit and wait4: statuses, options, pids and bad pointers. */
#include "difftest.h"

#define WNOHANG    1
#define WUNTRACED  2
#define WCONTINUED 8

/* A child that ends with exit_group(code) (or spins until killed if < 0). */
static long child(int code)
{
    long pid = SYS(SYS_fork);
    if (pid == 0) {
        if (code == -1)
            *(volatile int *)8 = 1; /* SIGSEGV */
        SYS(SYS_exit_group, code);
    }
    return pid;
}

int main(void)
{
    int status = 0;
    char what[128];
    T("wait4(-1, &status, 0, NULL) without children", SYS_wait4, -1, &status, 0, 0);
    T("wait4(-1, &status, WNOHANG, NULL) without children", SYS_wait4, -1, &status, WNOHANG, 0);
    T("wait4(0, &status, 0, NULL) without children", SYS_wait4, 0, &status, 0, 0);
    T("wait4(12345, &status, 0, NULL)", SYS_wait4, 12345, &status, 0, 0);
    T("wait4(INT_MIN, &status, 0, NULL)", SYS_wait4, -2147483647 - 1, &status, 0, 0);
    const int codes[] = {0, 1, 42, 255, 256, 257, -2};
    for (int i = 0; i < 7; i++) {
        long pid = child(codes[i]);
        long got = SYS(SYS_wait4, pid, &status, 0, 0);
        snprintf(what, sizeof(what), "wait4(child, &status, 0, NULL) for exit_group(%d)", codes[i]);
        report_text(what, got == pid ? "the child" : "something else");
        report_status("its status", status);
    }
    long pid = child(-1);
    SYS(SYS_wait4, pid, &status, 0, 0);
    report_status("a child that wrote to address 8", status);
    const unsigned long options[] = {0x4,        0x10,       0x100,
                                     0x1000000,  0x10000000, 0x80000000ul,
                                     0x40000000, 0x20000000, WUNTRACED | WCONTINUED};
    for (int i = 0; i < 9; i++) {
        pid = child(3);
        snprintf(what, sizeof(what), "wait4(child, &status, %#lx, NULL)", options[i]);
        long got = SYS(SYS_wait4, pid, &status, options[i], 0);
        if (got == pid)
            report_text(what, "the child");
        else
            report(what, got);
        if (got < 0)
            SYS(SYS_wait4, pid, &status, 0, 0);
    }
    /* WNOHANG never waits: 0 while the child runs (how often that is seen
     * depends on the scheduler), then the child once it has ended. */
    pid = SYS(SYS_fork);
    if (pid == 0) {
        for (int i = 0; i < 2000; i++)
            SYS(SYS_getpid);
        SYS(SYS_exit_group, 9);
    }
    long got = 0;
    int zeros_only = 1;
    for (long i = 0; i < 100000000 && got == 0; i++) {
        got = SYS(SYS_wait4, -1, &status, WNOHANG, 0);
        zeros_only &= got == 0 || got == pid;
    }
    report_text("wait4(-1, &status, WNOHANG, NULL) until it is not 0",
                got == pid && zeros_only ? "0 (any number of times), then the child" : "other");
    report_status("its status", status);
    pid = child(5);
    got = SYS(SYS_wait4, 0, &status, 0, 0);
    report_text("wait4(0, &status, 0, NULL) with a child", got == pid ? "the child" : "other");
    pid = child(6);
    T("wait4(-12345, &status, 0, NULL)", SYS_wait4, -12345, &status, 0, 0);
    T("wait4(child + 1000, &status, 0, NULL)", SYS_wait4, pid + 1000, &status, 0, 0);
    got = SYS(SYS_wait4, pid, 0, 0, 0);
    report_text("wait4(child, NULL, 0, NULL)", got == pid ? "the child" : "other");
    /* Bad status and rusage pointers: the child is reaped all the same. */
    const struct {
        const char *name;
        unsigned long address;
    } bad[] = {{"KERNEL_ADDR", KERNEL_ADDR},
               {"TOP_OF_SPACE", TOP_OF_SPACE},
               {"UNMAPPED_USER", UNMAPPED_USER},
               {"LAST_USER_BYTE", LAST_USER_BYTE},
               {"text", (unsigned long)"constant"}};
    for (int i = 0; i < 5; i++) {
        pid = child(7);
        snprintf(what, sizeof(what), "wait4(child, %s, 0, NULL)", bad[i].name);
        T(what, SYS_wait4, pid, bad[i].address, 0, 0);
        snprintf(what, sizeof(what), "wait4(child, &status, 0, NULL) after wait4(child, %s)",
                 bad[i].name);
        T(what, SYS_wait4, pid, &status, 0, 0);
        pid = child(8);
        snprintf(what, sizeof(what), "wait4(child, &status, 0, %s)", bad[i].name);
        T(what, SYS_wait4, pid, &status, 0, bad[i].address);
        SYS(SYS_wait4, pid, &status, 0, 0);
    }
    char rusage[144];
    pid = child(10);
    got = SYS(SYS_wait4, pid, &status, 0, rusage);
    report_text("wait4(child, &status, 0, &rusage)", got == pid ? "the child" : "other");
    /* Several children, reaped by -1 in any order. */
    for (int i = 0; i < 5; i++)
        child(20 + i);
    int sum = 0;
    for (int i = 0; i < 5; i++) {
        SYS(SYS_wait4, -1, &status, 0, 0);
        sum += (status >> 8) & 0xff;
    }
    say("five children's exit codes add up to %d", sum);
    T("wait4(-1, &status, 0, NULL) after them", SYS_wait4, -1, &status, 0, 0);
    return 0;
}
