/* Descriptors 0, 1 and 2: closing them, and the numbers open gives then. */
#include "difftest.h"

struct iov {
    const void *base;
    unsigned long length;
};

int main(void)
{
    char bytes[8] = {0};
    struct iov one[1] = {{"x", 1}};
    report_fd = 2;
    T("close(1)", SYS_close, 1);
    T("write(1, \"x\", 1) after close(1)", SYS_write, 1, "x", 1);
    T("writev(1, {\"x\", 1}, 1) after close(1)", SYS_writev, 1, one, 1);
    T("ioctl(1, TCGETS, bytes) after close(1)", SYS_ioctl, 1, 0x5401, bytes);
    T("read(1, bytes, 1) after close(1)", SYS_read, 1, bytes, 1);
    T("getdents64(1, bytes, 8) after close(1)", SYS_getdents64, 1, bytes, 8);
    T("close(1) again", SYS_close, 1);
    T("open(\"data.txt\", O_RDONLY): the lowest free number", SYS_open, "data.txt", 0);
    T("write(1, \"x\", 1) to the file", SYS_write, 1, "x", 1);
    T("read(1, bytes, 2) from the file", SYS_read, 1, bytes, 2);
    say("the bytes: %.2s", bytes);
    T("ioctl(1, TCGETS, bytes) on the file", SYS_ioctl, 1, 0x5401, bytes);
    T("getdents64(1, bytes, 8) on the file", SYS_getdents64, 1, bytes, 8);
    T("getdents64(2, bytes, 8) on stderr", SYS_getdents64, 2, bytes, 8);
    long pid = SYS(SYS_fork);
    if (pid == 0) {
        long got = SYS(SYS_read, 1, bytes, 2);
        T("read(1, bytes, 2) in a child", SYS_read, 1, bytes, 2);
        SYS(SYS_exit_group, (int)got);
    }
    int status = 0;
    SYS(SYS_wait4, pid, &status, 0, 0);
    report_status("the child", status);
    T("read(1, bytes, 2) in the parent after the child's reads", SYS_read, 1, bytes, 2);
    say("the bytes: %.2s", bytes);
    T("close(0)", SYS_close, 0);
    T("read(0, bytes, 1) after close(0)", SYS_read, 0, bytes, 1);
    T("open(\".\", O_RDONLY): the lowest free number", SYS_open, ".", 0);
    T("open(\"notelf\", O_RDONLY)", SYS_open, "notelf", 0);
    T("read(3, bytes, 3)", SYS_read, 3, bytes, 3);
    say("the bytes: %.3s", bytes);
    T("close(1)", SYS_close, 1);
    T("open(\"notelf\", O_RDONLY | O_CLOEXEC)", SYS_open, "notelf", 02000000);
    T("write(2, \"\", 0)", SYS_write, 2, "", 0);
    return 0;
}
