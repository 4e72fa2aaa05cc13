/* Copy-on-write shares read-only pages too, and never makes them writable:
 * the child's write to the program's read-only data is a segmentation fault
 * as before fork. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "faults.h"

static const char message[8192] = "read-only data of cowro";
static volatile char scratch[64 * PAGE]; /* what a copying fork would copy */

int main(void)
{
    for (int i = 0; i < 64; i++)
        scratch[i * PAGE] = (char)i;
    long before = free_pages();
    pid_t child = fork();
    if (child < 0)
        return 2;
    if (child == 0) {
        long used = before - free_pages();
        printf("cowro: fork used %ld frames; the child writes to read-only data\n", used);
        fflush(stdout);
        if (before < 0 || used > 32)
            return 3; /* copied, not shared */
        *(volatile char *)message = 'X';
        printf("cowro: the write went through\n");
        return 0;
    }
    int status;
    if (waitpid(child, &status, 0) != child)
        return 4;
    const volatile char *read = message; /* read it, not what the compiler knows */
    int intact = read[0] == 'r' && read[5] == 'o';
    printf("cowro: child status %#x, the parent's copy is intact: %s\n", status,
           intact ? "yes" : "no");
    return intact && WIFSIGNALED(status) && WTERMSIG(status) == 11 ? 0 : 1;
}
