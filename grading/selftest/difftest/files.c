/* open, close, read and getdents64 on the root directory and its files. */
#include "difftest.h"

#define O_RDONLY    0
#define O_WRONLY    1
#define O_RDWR      2
#define O_DIRECTORY 0200000

/* Every name in the directory with its type, sorted (the order is the
 * file system's own). */
static void names(int fd, const char *what)
{
    char buffer[4096], list[32][64];
    int count = 0;
    long n;
    while ((n = SYS(SYS_getdents64, fd, buffer, sizeof(buffer))) > 0) {
        for (long at = 0; at < n && count < 32;) {
            unsigned short length;
            memcpy(&length, buffer + at + 16, 2);
            snprintf(list[count++], sizeof(list[0]), "%s (type %d)", buffer + at + 19,
                     buffer[at + 18]);
            at += length;
        }
    }
    report(what, n);
    for (int i = 0; i < count; i++)
        for (int j = i + 1; j < count; j++)
            if (strcmp(list[i], list[j]) > 0) {
                char swap[64];
                memcpy(swap, list[i], 64);
                memcpy(list[i], list[j], 64);
                memcpy(list[j], swap, 64);
            }
    for (int i = 0; i < count; i++)
        say("%s: %s", what, list[i]);
}

int main(void)
{
    char *page = straddle_page();
    char buffer[256];
    char what[160];
    long fd = SYS(SYS_open, "data.txt", O_RDONLY);
    report_text("open(\"data.txt\", O_RDONLY)", fd >= 3 ? "a descriptor >= 3" : "failed");
    T("read(fd, buffer, 0)", SYS_read, fd, buffer, 0);
    T("read(fd, buffer, 10)", SYS_read, fd, buffer, 10);
    say("the bytes read: %.10s", buffer);
    T("read(fd, NULL, 10)", SYS_read, fd, 0, 10);
    T("read(fd, NULL, 0)", SYS_read, fd, 0, 0);
    T("read(fd, KERNEL_ADDR, 10)", SYS_read, fd, KERNEL_ADDR, 10);
    T("read(fd, TOP_OF_SPACE, 10)", SYS_read, fd, TOP_OF_SPACE, 10);
    T("read(fd, NONCANONICAL, 10)", SYS_read, fd, NONCANONICAL, 10);
    T("read(fd, text, 10)", SYS_read, fd, "constant", 10);
    T("read(fd, page_end-4, 10)", SYS_read, fd, page + 4092, 10);
    T("read(fd, buffer, 1 << 63)", SYS_read, fd, buffer, 1ul << 63);
    T("read(fd, buffer, -1)", SYS_read, fd, buffer, -1ul);
    T("read(fd, buffer, 256)", SYS_read, fd, buffer, 256);
    T("read(fd, buffer, 256) at the end", SYS_read, fd, buffer, 256);
    T("getdents64(fd, buffer, 256) on a file", SYS_getdents64, fd, buffer, 256);
    T("write(fd, buffer, 1) on a read-only file", SYS_write, fd, buffer, 1);
    T("ioctl(fd, 0x5401, buffer) on a file", SYS_ioctl, fd, 0x5401, buffer);
    const struct {
        const char *name;
        long offset;
        int whence;
    } seeks[] = {
        {"0, SEEK_SET", 0, 0},
        {"5, SEEK_SET", 5, 0},
        {"3, SEEK_CUR", 3, 1},
        {"-4, SEEK_CUR", -4, 1},
        {"-100, SEEK_CUR", -100, 1},
        {"0, SEEK_END", 0, 2},
        {"-1, SEEK_END", -1, 2},
        {"10, SEEK_END", 10, 2},
        {"-1000, SEEK_END", -1000, 2},
        {"-1, SEEK_SET", -1, 0},

        {"LONG_MAX, SEEK_CUR", 0x7fffffffffffffffl, 1},
        {"7, SEEK_DATA", 7, 3},
        {"7, SEEK_HOLE", 7, 4},
        {"111, SEEK_DATA", 111, 3},
        {"500, SEEK_HOLE", 500, 4},
        {"-1, SEEK_DATA", -1, 3},
        {"0, 5", 0, 5},
        {"0, -1", 0, -1},
        {"2, SEEK_SET", 2, 0},
    };
    for (size_t i = 0; i < sizeof(seeks) / sizeof(seeks[0]); i++) {
        snprintf(what, sizeof(what), "lseek(fd, %s)", seeks[i].name);
        T(what, SYS_lseek, fd, seeks[i].offset, seeks[i].whence);
    }
    T("read(fd, buffer, 4) after lseek(fd, 2, SEEK_SET)", SYS_read, fd, buffer, 4);
    say("the bytes read: %.4s", buffer);
    T("lseek(1, 0, SEEK_CUR) on stdout", SYS_lseek, 1, 0, 1);
    T("lseek(99, 0, SEEK_SET)", SYS_lseek, 99, 0, 0);
    T("close(fd)", SYS_close, fd);
    T("close(fd) again", SYS_close, fd);
    T("read(fd, buffer, 1) after close", SYS_read, fd, buffer, 1);
    const int bad[] = {-1, 3, 64, 1 << 20, 0x7fffffff};
    for (int i = 0; i < 5; i++) {
        snprintf(what, sizeof(what), "close(%d)", bad[i]);
        T(what, SYS_close, bad[i]);
        snprintf(what, sizeof(what), "read(%d, buffer, 1)", bad[i]);
        T(what, SYS_read, bad[i], buffer, 1);
        snprintf(what, sizeof(what), "getdents64(%d, buffer, 256)", bad[i]);
        T(what, SYS_getdents64, bad[i], buffer, 256);
    }
    const struct {
        const char *name;
        unsigned long address;
    } paths[] = {
        {"NULL", 0},
        {"KERNEL_ADDR", KERNEL_ADDR},
        {"NONCANONICAL", NONCANONICAL},
        {"TOP_OF_SPACE", TOP_OF_SPACE},
        {"UNMAPPED_USER", UNMAPPED_USER},
        {"\"\"", (unsigned long)""},
        {"\"nosuch\"", (unsigned long)"nosuch"},
        {"\"data.txt/\"", (unsigned long)"data.txt/"},
        {"\"data.txt/x\"", (unsigned long)"data.txt/x"},
        {"\"./nosuch\"", (unsigned long)"./nosuch"},
    };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        snprintf(what, sizeof(what), "open(%s, O_RDONLY)", paths[i].name);
        T(what, SYS_open, paths[i].address, O_RDONLY);
    }
    /* A name running into an unmapped page. */
    memcpy(page + 4092, "data", 4);
    T("open(\"data\" up to the page end, O_RDONLY)", SYS_open, page + 4092, O_RDONLY);
    /* Long names: one component of 255 and 256 bytes, a path of 4096 bytes. */
    static char name[5000];
    memset(name, 'n', 255);
    T("open(255 x 'n', O_RDONLY)", SYS_open, name, O_RDONLY);
    name[255] = 'n';
    T("open(256 x 'n', O_RDONLY)", SYS_open, name, O_RDONLY);
    memset(name, 0, sizeof(name));
    for (int i = 0; i < 4094; i += 2)
        memcpy(name + i, "./", 2);
    T("open(2047 x \"./\", O_RDONLY)", SYS_open, name, O_RDONLY);
    memcpy(name + 4094, "./", 2);
    T("open(2048 x \"./\", O_RDONLY)", SYS_open, name, O_RDONLY);
    T("open(\"data.txt\", O_WRONLY)", SYS_open, "data.txt", O_WRONLY);
    T("open(\"data.txt\", O_RDWR)", SYS_open, "data.txt", O_RDWR);
    T("open(\"data.txt\", O_DIRECTORY)", SYS_open, "data.txt", O_DIRECTORY);
    fd = SYS(SYS_open, ".", O_RDONLY | O_DIRECTORY);
    report_text("open(\".\", O_DIRECTORY)", fd >= 3 ? "a descriptor >= 3" : "failed");
    T("read(dir, buffer, 10)", SYS_read, fd, buffer, 10);
    T("getdents64(dir, buffer, 0)", SYS_getdents64, fd, buffer, 0);
    T("getdents64(dir, buffer, 10)", SYS_getdents64, fd, buffer, 10);
    T("getdents64(dir, NULL, 4096)", SYS_getdents64, fd, 0, 4096);
    T("getdents64(dir, KERNEL_ADDR, 4096)", SYS_getdents64, fd, KERNEL_ADDR, 4096);
    names(fd, "getdents64(dir, buffer, 4096) until 0");
    T("lseek(dir, 0, SEEK_SET)", SYS_lseek, fd, 0, 0);
    names(fd, "getdents64(dir, buffer, 4096) after rewinding");
    T("close(dir)", SYS_close, fd);
    /* Descriptors are the lowest free ones. */
    long a = SYS(SYS_open, "data.txt", O_RDONLY), b = SYS(SYS_open, "notelf", O_RDONLY);
    report_text("two opens", b == a + 1 ? "consecutive" : "not consecutive");
    SYS(SYS_close, a);
    long c = SYS(SYS_open, "data.txt", O_RDONLY);
    report_text("open after closing the first", c == a ? "reuses it" : "does not reuse it");
    SYS(SYS_close, b);
    SYS(SYS_close, c);
    return 0;
}
