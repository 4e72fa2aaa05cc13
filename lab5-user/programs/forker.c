/* fork, the child's own copy of memory, wait4 and exit statuses. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    int shared = 10;
    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0)
        return 100;
    if (child == 0) {
        shared = 20;
        printf("child %d of %d\n", getpid(), parent);
        return 7;
    }
    int status = 0;
    if (waitpid(child, &status, 0) != child)
        return 101;
    printf("parent: child exited with %d, my copy is still %d\n", WEXITSTATUS(status), shared);
    if (waitpid(-1, &status, 0) != -1)
        return 102; /* no more children: ECHILD */
    return WIFEXITED(status) && WEXITSTATUS(status) == 7 && shared == 10 ? 8 : 103;
}
