/* write: descriptors, sizes (0 up to 2^64 - 1) and bad buffers. */
#include "difftest.h"

int main(void)
{
    static const char text[] = "abc";
    char *page = straddle_page();
    const struct {
        const char *name;
        unsigned long address;
    } buffers[] = {
        {"NULL", 0},
        {"text", (unsigned long)text},
        {"KERNEL_ADDR", KERNEL_ADDR},
        {"NONCANONICAL", NONCANONICAL},
        {"TOP_OF_SPACE", TOP_OF_SPACE},
        {"UNMAPPED_USER", UNMAPPED_USER},
        {"LAST_USER_BYTE", LAST_USER_BYTE},
        {"page_end-2", (unsigned long)page + 4094},
    };
    const unsigned long sizes[] = {0, 1, 2, 3, 4096, 1ul << 62, 1ul << 63, -1ul};
    char what[128];
    for (size_t b = 0; b < sizeof(buffers) / sizeof(buffers[0]); b++)
        for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            snprintf(what, sizeof(what), "write(2, %s, %#lx)", buffers[b].name, sizes[s]);
            if (buffers[b].address == (unsigned long)text && sizes[s] > 3 && sizes[s] < (1ul << 62))
                continue; /* would write what follows: not a test of the kernel */
            T(what, SYS_write, 2, buffers[b].address, sizes[s]);
        }
    const int fds[] = {-1, 3, 4, 100, 1 << 20, 0x7fffffff, -2147483647 - 1};
    for (size_t f = 0; f < sizeof(fds) / sizeof(fds[0]); f++) {
        snprintf(what, sizeof(what), "write(%d, text, 1)", fds[f]);
        T(what, SYS_write, fds[f], text, 1);
        snprintf(what, sizeof(what), "write(%d, NULL, 1)", fds[f]);
        T(what, SYS_write, fds[f], 0, 1);
    }
    /* The descriptor is a 32-bit int: the upper half of the register is ignored. */
    T("write(0x100000002, text, 1)", SYS_write, 0x100000002l, text, 1);
    return 0;
}
