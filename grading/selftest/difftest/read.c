/* read on the standard descriptors: what fails before any input is needed. */
#include "difftest.h"

int main(void)
{
    char buffer[16];
    char *page = straddle_page();
    T("read(0, buffer, 0)", SYS_read, 0, buffer, 0);
    T("read(0, NULL, 0)", SYS_read, 0, 0, 0);
    T("read(0, KERNEL_ADDR, 0)", SYS_read, 0, KERNEL_ADDR, 0);
    T("read(0, KERNEL_ADDR, 1)", SYS_read, 0, KERNEL_ADDR, 1);
    T("read(0, NONCANONICAL, 1)", SYS_read, 0, NONCANONICAL, 1);
    T("read(0, TOP_OF_SPACE, 1)", SYS_read, 0, TOP_OF_SPACE, 1);
    T("read(0, LAST_USER_BYTE, 1)", SYS_read, 0, LAST_USER_BYTE, 1);
    T("read(0, LAST_USER_BYTE, 0)", SYS_read, 0, LAST_USER_BYTE, 0);
    T("read(0, buffer, 1 << 63)", SYS_read, 0, buffer, 1ul << 63);
    T("read(0, buffer, -1)", SYS_read, 0, buffer, -1ul);
    T("read(0, page_end, 0)", SYS_read, 0, page + 4096, 0);
    T("read(1, buffer, 1)", SYS_read, 1, buffer, 1);
    T("read(2, buffer, 1)", SYS_read, 2, buffer, 1);
    T("read(-1, buffer, 1)", SYS_read, -1, buffer, 1);
    T("read(-1, NULL, 1)", SYS_read, -1, 0, 1);
    T("read(99, KERNEL_ADDR, 1)", SYS_read, 99, KERNEL_ADDR, 1);
    T("read(0x100000063, buffer, 1)", SYS_read, 0x100000063l, buffer, 1);
    return 0;
}
