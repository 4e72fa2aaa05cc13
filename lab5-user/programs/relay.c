/* relay WORD...: prints the arguments it was started with, then executes
 * argecho with them in reverse order and a count added, and an environment
 * of one variable, so what argecho prints shows both the first stack a
 * process gets and the one execve builds.
 * The kernel test exec_passes_seeded_arguments runs it with seeded words. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#define WORDS_MAX 8

int main(int argc, char **argv)
{
    printf("relay: argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("relay: argv[%d]=[%s]\n", i, argv[i]);
    int words = argc - 1;
    if (words > WORDS_MAX) {
        printf("relay: at most %d words\n", WORDS_MAX);
        return 100;
    }
    char count[32];
    snprintf(count, sizeof(count), "count=%d", words);
    char *next[WORDS_MAX + 3];
    int n = 0;
    next[n++] = "argecho";
    for (int i = words; i >= 1; i--)
        next[n++] = argv[i];
    next[n++] = count;
    next[n] = NULL;
    char variable[32];
    snprintf(variable, sizeof(variable), "RELAY_WORDS=%d", words);
    char *environment[] = {variable, NULL};
    fflush(stdout); /* what is buffered would be lost with this program */
    execve("/argecho", next, environment);
    printf("relay: execve failed (errno %d)\n", errno);
    return 101;
}
