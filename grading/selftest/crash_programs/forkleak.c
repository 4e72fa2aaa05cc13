/* Issue 11: fork + exit + wait must give back every frame. The complete
 * kernel's process listing (system call 500) ends with the free memory;
 * after a first round (which may fill caches), each round of forks must
 * leave it where it was. (The PC lost a page table per ~100 kernel stacks,
 * about 400 KiB per 10,000 forks.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS 3
#define FORKS  400

static long free_kib(void)
{
    static char text[4096];
    long length = syscall(500, text, sizeof(text) - 1);
    if (length < 0)
        return -1;
    text[length] = '\0';
    char *line = strstr(text, "free memory: ");
    return line ? atol(line + strlen("free memory: ")) : -1;
}

int main(void)
{
    for (int round = 0; round < ROUNDS; round++) {
        long before = free_kib();
        for (int i = 0; i < FORKS; i++) {
            pid_t child = fork();
            if (child < 0) {
                printf("round %d: fork %d failed\n", round, i);
                return 1;
            }
            if (child == 0)
                _exit(0);
            int status;
            if (waitpid(child, &status, 0) != child) {
                printf("round %d: waitpid failed\n", round);
                return 1;
            }
        }
        long after = free_kib();
        if (before < 0 || after < 0) {
            printf("no free memory in the process listing (system call 500)\n");
            return 1;
        }
        if (round > 0 && after != before) {
            printf("round %d: %d fork+exit+wait cycles lost %ld KiB\n", round, FORKS,
                   before - after);
            return 1;
        }
    }
    printf("forkleak: no memory lost\n");
    return 0;
}
