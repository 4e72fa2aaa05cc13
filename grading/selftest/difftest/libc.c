/* The C library on top of the kernel: stdio on files, directories, malloc
 * (brk and mmap underneath), errno from failed calls, the environment. */
#include "difftest.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    FILE *file = fopen("data.txt", "r");
    say("fopen(\"data.txt\", \"r\"): %s", file ? "a stream" : strerror(errno));
    char line[64];
    int lines = 0;
    while (file && fgets(line, sizeof(line), file))
        lines++;
    say("fgets: %d lines, the last %.10s", lines, line);
    say("fclose: %d", file ? fclose(file) : -1);
    errno = 0;
    file = fopen("nosuch", "r");
    say("fopen(\"nosuch\", \"r\"): %s, errno %s", file ? "a stream" : "NULL", strerror(errno));
    errno = 0;
    int fd = open("", O_RDONLY);
    say("open(\"\"): %d, errno %s", fd, strerror(errno));
    DIR *dir = opendir(".");
    int entries = 0, dots = 0;
    for (struct dirent *entry; dir && (entry = readdir(dir));)
        entries++, dots += entry->d_name[0] == '.';
    say("opendir(\".\"), readdir: %d entries, %d starting with a dot", entries, dots);
    say("closedir: %d", dir ? closedir(dir) : -1);
    char *small = malloc(100), *big = malloc(1 << 20);
    say("malloc(100), malloc(1 MiB): %s", small && big ? "both" : "failed");
    memset(big, 1, 1 << 20);
    free(big);
    free(small);
    void *map = mmap(NULL, 12345, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    say("mmap(12345 bytes): %s", map == MAP_FAILED ? strerror(errno) : "mapped");
    say("munmap: %d", munmap(map, 12345));
    errno = 0;
    map = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, -1, 0);
    say("mmap of descriptor -1: %s", map == MAP_FAILED ? strerror(errno) : "mapped");
    say("getenv(\"HOME\"): %s, getenv(\"NOPE\"): %s", getenv("HOME"), getenv("NOPE") ?: "NULL");
    pid_t pid = fork();
    if (pid == 0)
        _exit(12);
    int status;
    say("waitpid: %s, WEXITSTATUS %d", waitpid(pid, &status, 0) == pid ? "the child" : "other",
        WEXITSTATUS(status));
    errno = 0;
    say("waitpid(-1) again: %d, errno %s", waitpid(-1, &status, 0), strerror(errno));
    errno = 0;
    say("waitpid(-1, WNOHANG) with no children: %d, errno %s", waitpid(-1, &status, WNOHANG),
        strerror(errno));
    errno = 0;
    say("write(9, ...): %zd, errno %s", write(9, "x", 1), strerror(errno));
    errno = 0;
    say("read into NULL: %zd, errno %s", read(fd >= 0 ? fd : 9, NULL, 4), strerror(errno));
    char *argv[] = {"nosuch", NULL};
    errno = 0;
    say("execv(\"nosuch\"): %d, errno %s", execv("nosuch", argv), strerror(errno));
    pid_t parent = getpid();
    pid = fork();
    if (pid == 0)
        _exit(getppid() == parent ? 1 : 2);
    waitpid(pid, &status, 0);
    say("getppid() in a child is its parent's getpid(): %s",
        WEXITSTATUS(status) == 1 ? "yes" : "no");
    report_text("gettid() == getpid()", SYS(SYS_gettid) == getpid() ? "yes" : "no");
    return 3;
}
