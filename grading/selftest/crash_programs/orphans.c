/* Issue 11: orphans must not keep their process-table slots. Each round a
 * child forks a grandchild and exits without waiting for it; the
 * grandchild, orphaned, ends too. With a 32-entry table, 64 rounds leave no
 * room for the next fork unless the kernel frees ended orphans. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    for (int round = 0; round < 64; round++) {
        pid_t child = fork();
        if (child < 0) {
            printf("round %d: fork failed: the process table is full of orphans\n", round);
            return 1;
        }
        if (child == 0) {
            pid_t grandchild = fork();
            if (grandchild == 0)
                _exit(0);
            for (volatile int spin = 0; spin < (round % 2) * 100000; spin++)
                ; /* odd rounds: give the grandchild time to end first */
            _exit(grandchild < 0 ? 1 : 0);
        }
        int status;
        if (waitpid(child, &status, 0) != child || status != 0) {
            printf("round %d: child failed (status %#x)\n", round, status);
            return 1;
        }
    }
    printf("orphans: 64 rounds\n");
    return 0;
}
