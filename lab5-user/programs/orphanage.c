/* Orphans: processes whose parent exits before them. Each round forks a
 * child that forks a grandchild and exits at once, without waiting for it;
 * the grandchild, now an orphan, ends too. Nobody can wait4 for an orphan,
 * so only the kernel can free its table entry: with 32 entries, 40 rounds
 * leave no room for the next fork unless it does. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS 40

int main(void)
{
    for (int round = 1; round <= ROUNDS; round++) {
        pid_t child = fork();
        if (child < 0) {
            printf("orphanage: round %d: fork failed\n", round);
            return 1;
        }
        if (child == 0) {
            pid_t grandchild = fork();
            if (grandchild == 0) {
                /* Every other orphan is still running when its parent exits. */
                for (volatile int spin = 0; spin < (round % 2) * 20000; spin++)
                    ;
                _exit(0);
            }
            _exit(grandchild < 0 ? 1 : 0);
        }
        int status = -1;
        if (waitpid(child, &status, 0) != child || status != 0) {
            printf("orphanage: round %d: the child's fork failed (status %#x)\n", round, status);
            return 1;
        }
    }
    printf("orphanage: %d rounds, %d orphans\n", ROUNDS, ROUNDS);
    return 0;
}
