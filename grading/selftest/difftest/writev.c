/* writev: vector counts, vector pointers, element bases and lengths. */
#include "difftest.h"

struct iov {
    unsigned long base, length;
};

int main(void)
{
    static const char text[] = "xyz";
    char *page = straddle_page();
    struct iov one[1] = {{(unsigned long)text, 1}};
    T("writev(2, one, 0)", SYS_writev, 2, one, 0);
    T("writev(2, one, 1)", SYS_writev, 2, one, 1);
    T("writev(2, one, -1)", SYS_writev, 2, one, -1);
    T("writev(2, one, 1025)", SYS_writev, 2, one, 1025);
    T("writev(2, one, 1 << 31)", SYS_writev, 2, one, 1l << 31);
    T("writev(2, NULL, 1)", SYS_writev, 2, 0, 1);
    T("writev(2, NULL, 0)", SYS_writev, 2, 0, 0);
    T("writev(2, KERNEL_ADDR, 1)", SYS_writev, 2, KERNEL_ADDR, 1);
    T("writev(2, NONCANONICAL, 1)", SYS_writev, 2, NONCANONICAL, 1);
    T("writev(2, TOP_OF_SPACE, 1)", SYS_writev, 2, TOP_OF_SPACE, 1);
    T("writev(2, page_end-8, 1)", SYS_writev, 2, page + 4088, 1);
    T("writev(-1, one, 1)", SYS_writev, -1, one, 1);
    T("writev(7, one, 1)", SYS_writev, 7, one, 1);
    T("writev(-1, NULL, 1)", SYS_writev, -1, 0, 1);
    const unsigned long bases[] = {0, KERNEL_ADDR, NONCANONICAL, TOP_OF_SPACE, UNMAPPED_USER};
    const char *const base_names[] = {"NULL", "KERNEL_ADDR", "NONCANONICAL", "TOP_OF_SPACE",
                                      "UNMAPPED_USER"};
    const unsigned long lengths[] = {0, 1, 1ul << 63, -1ul};
    char what[128];
    for (int b = 0; b < 5; b++)
        for (int l = 0; l < 4; l++) {
            struct iov v[1] = {{bases[b], lengths[l]}};
            snprintf(what, sizeof(what), "writev(2, {%s, %#lx}, 1)", base_names[b], lengths[l]);
            T(what, SYS_writev, 2, v, 1);
        }
    for (int l = 0; l < 4; l++) {
        struct iov v[2] = {{(unsigned long)text, 1}, {(unsigned long)text, lengths[l]}};
        snprintf(what, sizeof(what), "writev(2, {text, 1}, {text, %#lx}, 2)", lengths[l]);
        if (lengths[l] <= 3)
            T(what, SYS_writev, 2, v, 2);
        struct iov w[2] = {{(unsigned long)text, 1}, {0, lengths[l]}};
        snprintf(what, sizeof(what), "writev(2, {text, 1}, {NULL, %#lx}, 2)", lengths[l]);
        T(what, SYS_writev, 2, w, 2);
    }
    /* Two lengths that are each fine but overflow together. */
    struct iov big[2] = {{(unsigned long)text, 1ul << 62}, {(unsigned long)text, 1ul << 62}};
    T("writev(2, {text, 2^62}, {text, 2^62}, 2)", SYS_writev, 2, big, 2);
    struct iov huge[2] = {{(unsigned long)text, 0x7ffffffffffffffful}, {(unsigned long)text, 1}};
    T("writev(2, {text, 2^63-1}, {text, 1}, 2)", SYS_writev, 2, huge, 2);
    struct iov many[1024];
    for (int i = 0; i < 1024; i++)
        many[i] = (struct iov){(unsigned long)text, i == 1023};
    T("writev(2, 1023 empty + {text, 1}, 1024)", SYS_writev, 2, many, 1024);
    struct iov straddle[1] = {{(unsigned long)page + 4090, 6}};
    T("writev(2, {page_end-6, 6}, 1)", SYS_writev, 2, straddle, 1);
    return 0;
}
