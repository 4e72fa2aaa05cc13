/* Out of memory in a copy-on-write fault: the parent fills memory, forks,
 * and the child writes every page; when no frame is left for a copy, only
 * the child is killed (SIGKILL, as Linux's out-of-memory killer would), the
 * parent's memory is intact and the kernel goes on. (The test holds most of
 * memory itself first, so that filling the rest takes a moment.) */
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "faults.h"

#define STEP     (1 << 20)
#define HEADROOM 256 /* pages left free for the fork's page tables and stack */

int main(void)
{
    /* musl's brk() wrapper always fails on purpose: ask the kernel directly. */
    char *heap = (char *)syscall(SYS_brk, 0), *end = heap;
    while (free_pages() > HEADROOM + STEP / PAGE) {
        if ((char *)syscall(SYS_brk, end + STEP) != end + STEP)
            break;
        for (char *page = end; page < end + STEP; page += PAGE)
            *page = (char)((page - heap) / PAGE);
        end += STEP;
    }
    long pages = (end - heap) / PAGE;
    printf("cowoom: the parent filled %ld pages; %ld are left\n", pages, free_pages());
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) {
        printf("cowoom: fork failed (were the pages copied?)\n");
        return 2;
    }
    if (child == 0) {
        for (char *page = heap; page < end; page += PAGE)
            *page = 'c';
        return 3; /* the copies all fitted: the parent did not fill memory */
    }
    int status;
    if (waitpid(child, &status, 0) != child)
        return 4;
    long changed = 0;
    for (char *page = heap; page < end; page += PAGE)
        changed += *page != (char)((page - heap) / PAGE);
    printf("cowoom: child status %#x; %ld of the parent's pages changed\n", status, changed);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && changed == 0 ? 0 : 1;
}
