/* printf through the C library: start-up, thread pointer, writev, exit status. */
#include <stdio.h>

int main(int argc, char **argv)
{
    printf("Hello from %s with %d arguments\n", argv[0], argc);
    return 3;
}
