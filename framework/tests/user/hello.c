/* A static musl program for the framework's user-mode test: C library
 * start-up (thread pointer, auxiliary vector), printf, and an exit status. */
#include <stdio.h>

int main(int argc, char **argv)
{
    printf("Hello from %s, %d arguments, last \"%s\"\n", argv[0], argc, argv[argc - 1]);
    return 3;
}
