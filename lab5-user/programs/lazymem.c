/* Demand-zero memory: a large mmap or brk allocates no frame until a page is
 * touched, then one per page touched (and a few page tables), each first
 * touch one page fault; untouched pages read as zero. */
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "faults.h"

#define SIZE    (16 << 20)
#define TOUCHED 37
#define STRIDE  97 /* pages between touches: spread over several page tables */

/* Touch TOUCHED pages of [start, start + SIZE); 0 if the faults and frames
 * are as they should be. */
static int touch(const char *what, volatile char *start, long free_before)
{
    long used = free_before - free_pages();
    long faults_before = minor_faults(), frames_before = free_pages();
    int zero = 1;
    for (int i = 0; i < TOUCHED; i++) {
        start[i * STRIDE * PAGE + 100] = 1;
        zero &= start[i * STRIDE * PAGE + 200] == 0;
    }
    long faults = minor_faults() - faults_before, frames = frames_before - free_pages();
    printf("lazymem: %s of %d MiB used %ld frames; touching %d pages took %ld faults and "
           "%ld frames; they read as zero: %s\n",
           what, SIZE >> 20, used, TOUCHED, faults, frames, zero ? "yes" : "no");
    int lazy = used < 4, exact = faults == TOUCHED;
    int frames_ok = frames >= TOUCHED && frames <= TOUCHED + 16; /* plus a few page tables */
    return lazy && exact && frames_ok && zero ? 0 : 1;
}

int main(void)
{
    long free_before = free_pages();
    volatile char *mapped =
        mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED || free_before < 0)
        return 2;
    int bad = touch("mmap", mapped, free_before);
    free_before = free_pages();
    long frames_before = free_pages();
    if (munmap((void *)mapped, SIZE) != 0)
        return 3;
    long returned = free_pages() - frames_before;
    printf("lazymem: munmap gave back %ld frames\n", returned);
    bad |= returned < TOUCHED;
    /* musl's brk() wrapper always fails on purpose: ask the kernel directly. */
    char *heap = (char *)syscall(SYS_brk, 0);
    free_before = free_pages();
    if ((char *)syscall(SYS_brk, heap + SIZE) != heap + SIZE)
        return 4;
    bad |= touch("brk", heap, free_before) << 1;
    return bad;
}
