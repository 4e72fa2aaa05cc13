#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int status = 0;
    for (int i = 1; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) {
            perror(argv[i]);
            status = 1;
            continue;
        }
        char buffer[256];
        for (long n; (n = read(fd, buffer, sizeof(buffer))) > 0;)
            write(1, buffer, (size_t)n);
        close(fd);
    }
    return status;
}
