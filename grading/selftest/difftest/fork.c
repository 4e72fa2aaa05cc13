/* fork: what the child gets (a copy of every kind of memory, its own pid,
 * the thread pointer) and what it cannot change in the parent. */
#include "difftest.h"

static int data = 10;
static char bss[8192];
static __thread int tls = 5;

static void end_child(int code)
{
    SYS(SYS_exit_group, code);
}

static int wait_for(long pid)
{
    int status = 0;
    SYS(SYS_wait4, pid, &status, 0, 0);
    return status;
}

int main(void)
{
    long parent = SYS(SYS_getpid);
    char *heap = (char *)SYS(SYS_brk, 0);
    SYS(SYS_brk, heap + 4096);
    heap[0] = 'h';
    char *mapped = (char *)SYS(SYS_mmap, 0, 4096, 3, 0x22, -1, 0);
    char *readonly = (char *)SYS(SYS_mmap, 0, 4096, 1, 0x22, -1, 0);
    mapped[0] = 'm';
    bss[4096] = 'b';
    int stack = 7;
    long pid = SYS(SYS_fork);
    if (pid == 0) {
        long self = SYS(SYS_getpid);
        int ok = self != parent && self > 0;
        ok &= data == 10 && bss[4096] == 'b' && heap[0] == 'h' && mapped[0] == 'm' && stack == 7;
        ok &= tls == 5;
        data = 11, bss[4096] = 'B', heap[0] = 'H', mapped[0] = 'M', stack = 8, tls = 6;
        end_child(ok ? 42 : 1);
    }
    report_text("fork() in the parent", pid > 0 && pid != parent ? "a new pid" : "wrong");
    report_status("the child, which checked its copy", wait_for(pid));
    say("the parent's memory after the child changed its copy: %d %c %c %c %d %d", data, bss[4096],
        heap[0], mapped[0], stack, tls);
    pid = SYS(SYS_fork);
    if (pid == 0) {
        *(volatile char *)readonly = 1;
        end_child(0);
    }
    report_status("a child writing to a PROT_READ page", wait_for(pid));
    /* A grandchild: the child waits for it and passes its status on. */
    pid = SYS(SYS_fork);
    if (pid == 0) {
        long grandchild = SYS(SYS_fork);
        if (grandchild == 0)
            end_child(33);
        int status = wait_for(grandchild);
        end_child((status >> 8) + 1);
    }
    report_status("a child that waited for its own child", wait_for(pid));
    T("wait4(-1, NULL, 0, NULL) with the grandchild reaped by the child", SYS_wait4, -1, 0, 0, 0);
    /* Descriptors are inherited and share their position with the parent. */
    long fd = SYS(SYS_open, "data.txt", 0);
    char bytes[8] = {0};
    SYS(SYS_read, fd, bytes, 2);
    pid = SYS(SYS_fork);
    if (pid == 0) {
        long got = SYS(SYS_read, fd, bytes, 3);
        SYS(SYS_close, fd);
        end_child(got == 3 && bytes[0] == '2' ? 3 : got < 0 ? (int)-got : 99);
    }
    report_status("a child reading the parent's open file", wait_for(pid));
    T("read(fd, bytes, 2) in the parent after the child read 3", SYS_read, fd, bytes, 2);
    say("the bytes: %.2s", bytes);
    T("close(fd) in the parent after the child closed its copy", SYS_close, fd);
    /* Many forks in a row, each reaped. */
    int sum = 0;
    for (int i = 0; i < 40; i++) {
        pid = SYS(SYS_fork);
        if (pid == 0)
            end_child(i);
        sum += wait_for(pid) >> 8;
    }
    say("40 children in turn, their codes add up to %d", sum);
    /* Sixteen at once. */
    long pids[16];
    for (int i = 0; i < 16; i++) {
        pids[i] = SYS(SYS_fork);
        if (pids[i] == 0)
            end_child(100 + i);
    }
    sum = 0;
    for (int i = 15; i >= 0; i--)
        sum += wait_for(pids[i]) >> 8;
    say("16 children at once, their codes add up to %d", sum);
    return 0;
}
