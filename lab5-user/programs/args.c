/* Prints its arguments and environment, as the kernel laid them out. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv, char **envp)
{
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    printf("HOME=%s\n", getenv("HOME") ? getenv("HOME") : "(unset)");
    (void)envp;
    return 0;
}
