/* execve replaces the program. */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    char *argv[] = {"hello", "from", "exec", NULL};
    char *envp[] = {NULL};
    printf("about to exec\n");
    fflush(stdout);
    execve("/hello", argv, envp);
    printf("execve failed\n");
    return 1;
}
