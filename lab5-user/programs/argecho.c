/* argecho ARG...: prints its arguments and environment and checks the
 * start-up stack the kernel built (lab5-user/README.md, part 1); the exit code is the total
 * length of the arguments, modulo 256. Run through relay. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

void _start(void); /* the C library's entry point, where AT_ENTRY must point */

static const char *yes(int condition)
{
    return condition ? "yes" : "no";
}

int main(int argc, char **argv, char **envp)
{
    printf("argecho: argc=%d\n", argc);
    size_t length = 0;
    for (int i = 0; i < argc; i++) {
        printf("argecho: argv[%d]=[%s]\n", i, argv[i]);
        length += strlen(argv[i]);
    }
    printf("argecho: argv[argc] is NULL: %s\n", yes(argv[argc] == NULL));
    for (int i = 0; envp[i]; i++)
        printf("argecho: envp[%d]=[%s]\n", i, envp[i]);
    /* argc sits right below argv[0], at the stack pointer the program started with. */
    printf("argecho: argc at a 16-byte aligned stack pointer: %s\n",
           yes((uintptr_t)(argv - 1) % 16 == 0));
    printf("argecho: AT_PAGESZ=%lu\n", getauxval(AT_PAGESZ));
    printf("argecho: AT_ENTRY is _start: %s\n", yes(getauxval(AT_ENTRY) == (uintptr_t)_start));
    return (int)(length & 0xff);
}
