/* Issue 11: execve of a program the loader cannot place (entry point not
 * canonical, or in the kernel's half; a segment reaching the last page below
 * 2^47, where a system call would return to a non-canonical address) kills
 * the caller with SIGSEGV on Linux. The kernel must do the same, not panic.
 *   execbad PROGRAM...   prints one line per program: "PROGRAM: signal N"
 *                        or "PROGRAM: exit N"; exits 0 if all got SIGSEGV. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int wrong = 0;
    for (int i = 1; i < argc; i++) {
        pid_t child = fork();
        if (child == 0) {
            char *args[] = {argv[i], NULL}, *environment[] = {NULL};
            execve(argv[i], args, environment);
            printf("execve(%s) failed: %s\n", argv[i], strerror(errno));
            _exit(99);
        }
        int status = 0;
        waitpid(child, &status, 0);
        if (WIFSIGNALED(status))
            printf("%s: signal %d\n", argv[i], WTERMSIG(status));
        else
            printf("%s: exit %d\n", argv[i], WEXITSTATUS(status));
        wrong += !WIFSIGNALED(status) || WTERMSIG(status) != 11;
    }
    return wrong;
}
