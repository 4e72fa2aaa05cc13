/* Demand-zero memory has edges: an access past the break, into a hole that
 * munmap made, or a write to a read-only mapping is still a segmentation
 * fault. argv[1] says which; first it checks that the memory is lazy. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "faults.h"

#define SIZE (8 << 20)

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "brk";
    long before = free_pages();
    volatile char *bad = NULL;
    if (!strcmp(how, "brk")) {
        char *heap = (char *)syscall(SYS_brk, 0);
        if ((char *)syscall(SYS_brk, heap + SIZE) != heap + SIZE)
            return 2;
        heap[SIZE - 1] = 1; /* the last byte below the break */
        bad = heap + SIZE + 5 * PAGE;
    } else {
        int prot = !strcmp(how, "readonly") ? PROT_READ : PROT_READ | PROT_WRITE;
        char *mapped = mmap(NULL, SIZE, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mapped == MAP_FAILED || mapped[PAGE] != 0)
            return 2;
        if (!strcmp(how, "munmap") && munmap(mapped + 4 * PAGE, 2 * PAGE) != 0)
            return 3;
        bad = mapped + 5 * PAGE;
    }
    long used = before - free_pages();
    printf("lazybad (%s): %d MiB used %ld frames; now the bad access\n", how, SIZE >> 20, used);
    fflush(stdout);
    if (used > 8)
        return 4; /* not demand-zero */
    *bad = 1;
    printf("lazybad (%s): the bad access went through\n", how);
    return 0;
}
