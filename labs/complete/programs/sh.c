/* The Keel shell: reads a command line, runs the program it names (fork,
 * execve, wait4) and says how it ended. Builtins: help, exit. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_LINE  128
#define MAX_WORDS 16

static int read_line(char *line, int size)
{
    int length = 0;
    for (;;) {
        char c;
        if (read(0, &c, 1) != 1)
            return -1;
        if (c == '\r' || c == '\n') {
            write(1, "\n", 1);
            line[length] = '\0';
            return length;
        }
        if ((c == 0x7f || c == '\b') && length > 0) {
            length--;
            write(1, "\b \b", 3);
        } else if (c >= ' ' && c < 0x7f && length < size - 1) {
            line[length++] = c;
            write(1, &c, 1);
        }
    }
}

int main(void)
{
    char line[MAX_LINE];
    printf("Keel shell. Type help for what you can do.\n");
    for (;;) {
        printf("$ ");
        fflush(stdout);
        if (read_line(line, sizeof(line)) < 0)
            return 0;
        char *words[MAX_WORDS + 1];
        int count = 0;
        for (char *word = strtok(line, " "); word && count < MAX_WORDS; word = strtok(NULL, " "))
            words[count++] = word;
        words[count] = NULL;
        if (count == 0)
            continue;
        if (strcmp(words[0], "exit") == 0)
            return 0;
        if (strcmp(words[0], "help") == 0) {
            printf("Type the name of a program to run it, with arguments: echo hello.\n"
                   "ls lists the programs, cat FILE shows one, ps lists the processes;\n"
                   "hello, forker and the other lab 5 programs are there too. exit leaves.\n");
            continue;
        }
        pid_t child = fork();
        if (child < 0) {
            printf("sh: fork failed\n");
            continue;
        }
        if (child == 0) {
            char path[MAX_LINE + 1] = "/";
            strncat(path, words[0], MAX_LINE - 1);
            char *envp[] = {"HOME=/", NULL};
            execve(path, words, envp);
            fprintf(stderr, "sh: %s: no such program\n", words[0]);
            _exit(127);
        }
        int status;
        waitpid(child, &status, 0);
        if (WIFSIGNALED(status))
            printf("sh: %s was killed by signal %d\n", words[0], WTERMSIG(status));
        else if (WEXITSTATUS(status) != 0)
            printf("sh: %s exited with %d\n", words[0], WEXITSTATUS(status));
    }
}
