/* Keel's fixed limits, where Linux has (much) more room: each line here is
 * in ALLOWED (test_difftest.py), with its reason, and must keep differing. */
#include "difftest.h"

static char big[100 * 1000 + 1];

int main(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return 0; /* started by the execve below */
    char what[128];
    long fds[40];
    int opened = 0;
    for (int i = 0; i < 40; i++)
        opened += (fds[i] = SYS(SYS_open, "data.txt", 0)) >= 0;
    snprintf(what, sizeof(what), "%d", opened);
    report_text("open(\"data.txt\", O_RDONLY) 40 times: descriptors", what);
    for (int i = 0; i < 40; i++)
        if (fds[i] >= 0)
            SYS(SYS_close, fds[i]);
    long pids[40];
    int forked = 0;
    for (int i = 0; i < 40; i++) {
        pids[i] = SYS(SYS_fork);
        if (pids[i] == 0)
            SYS(SYS_exit_group, 0); /* a zombie keeps its slot until reaped */
        forked += pids[i] > 0;
    }
    for (int i = 0; i < 40; i++)
        if (pids[i] > 0)
            SYS(SYS_wait4, pids[i], 0, 0, 0);
    snprintf(what, sizeof(what), "%d", forked);
    report_text("fork() 40 times without waiting: children", what);
    TA("mmap(NULL, 256 MiB, RW, ANON, -1, 0)", SYS_mmap, 0, 256ul << 20, 3, 0x22, -1, 0);
    TA("mmap(NULL, 4096, RW, MAP_SHARED|MAP_ANONYMOUS, -1, 0)", SYS_mmap, 0, 4096, 3, 0x21, -1, 0);
    unsigned long gs = 1;
    T("arch_prctl(ARCH_GET_GS, &gs)", SYS_arch_prctl, 0x1004, &gs);
    memset(big, 'x', sizeof(big) - 1);
    char *const args[] = {"limits", big, big, big, NULL};
    long pid = SYS(SYS_fork);
    if (pid == 0) /* the status says how it went: 0 ran, else the errno */
        SYS(SYS_exit_group, -SYS(SYS_execve, "limits", args, 0));
    int status = 0;
    SYS(SYS_wait4, pid, &status, 0, 0);
    report_status("execve(\"limits\", 3 arguments of 100000 bytes, NULL) in a child", status);
    return 0;
}
