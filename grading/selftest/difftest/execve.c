/* execve: paths, argument and environment vectors, their sizes and bad
 * pointers. Run without arguments it is the test; "execve show ..." prints
 * what it was started with and exits. */
#include "difftest.h"

static unsigned long sum(const char *s)
{
    unsigned long h = 5381;
    for (; *s; s++)
        h = h * 33 + (unsigned char)*s;
    return h;
}

static int show(int argc, char **argv, char **envp)
{
    int envc = 0;
    while (envp[envc])
        envc++;
    say("started: argc %d, envc %d", argc, envc);
    for (int i = 0; i < argc && i < 8; i++)
        say("argv[%d]: length %zu, hash %lx", i, strlen(argv[i]), sum(argv[i]));
    for (int i = 0; i < envc && i < 8; i++)
        say("envp[%d]: %.60s", i, envp[i]);
    unsigned long total = 0;
    for (int i = 0; i < argc; i++)
        total += sum(argv[i]);
    say("all arguments: hash %lx", total);
    char bytes[4] = {0};
    T("read(3, bytes, 3): the file opened without O_CLOEXEC", SYS_read, 3, bytes, 3);
    T("read(4, bytes, 3): the file opened with O_CLOEXEC", SYS_read, 4, bytes, 3);
    return argc & 0x7f;
}

/* execve in a child; report the call's result (if it failed) and the status. */
static void try(const char *what, const char *path, char *const argv[], char *const envp[])
{
    long pid = SYS(SYS_fork);
    if (pid == 0) {
        long r = SYS(SYS_execve, path, argv, envp);
        report(what, r);
        SYS(SYS_exit_group, 100);
    }
    int status = 0;
    SYS(SYS_wait4, pid, &status, 0, 0);
    report_status(what, status);
}

static char big[300 * 1024];

int main(int argc, char **argv, char **envp)
{
    if (argc > 1 && !strcmp(argv[1], "show"))
        return show(argc, argv, envp);
    if (argc == 1 && argv[0][0] == '\0')
        return show(argc, argv, envp);
    T("open(\"data.txt\", O_RDONLY)", SYS_open, "data.txt", 0);
    T("open(\"data.txt\", O_RDONLY | O_CLOEXEC)", SYS_open, "data.txt", 02000000);
    char *const none[] = {NULL};
    char *const show_args[] = {"execve", "show", "two", NULL};
    char *const env[] = {"A=1", "LONGER_NAME=some value", "", "=", NULL};
    try("execve(\"execve\", show two, env)", "execve", show_args, env);
    try("execve(\"execve\", show two, {})", "execve", show_args, none);
    try("execve(\"execve\", show two, NULL)", "execve", show_args, NULL);
    try("execve(\"execve\", {}, env)", "execve", none, env);
    try("execve(\"execve\", NULL, env)", "execve", NULL, env);
    try("execve(\"execve\", show, KERNEL_ADDR)", "execve", show_args, (char **)KERNEL_ADDR);
    try("execve(\"execve\", show, UNMAPPED_USER)", "execve", show_args, (char **)UNMAPPED_USER);
    char *const bad_env[] = {"A=1", (char *)KERNEL_ADDR, NULL};
    try("execve(\"execve\", show, {A=1, KERNEL_ADDR})", "execve", show_args, bad_env);
    try("execve(\"execve\", KERNEL_ADDR, env)", "execve", (char **)KERNEL_ADDR, env);
    char *const bad_arg[] = {"execve", (char *)TOP_OF_SPACE, NULL};
    try("execve(\"execve\", {execve, TOP_OF_SPACE}, env)", "execve", bad_arg, env);
    try("execve(NULL, show, env)", NULL, show_args, env);
    try("execve(KERNEL_ADDR, show, env)", (char *)KERNEL_ADDR, show_args, env);
    try("execve(\"\", show, env)", "", show_args, env);
    try("execve(\"nosuch\", show, env)", "nosuch", show_args, env);
    try("execve(\"nosuch\", KERNEL_ADDR, env)", "nosuch", (char **)KERNEL_ADDR, env);
    try("execve(\"notelf\", show, env)", "notelf", show_args, env);
    try("execve(\"data.txt\", show, env)", "data.txt", show_args, env);
    static char long_path[5000];
    memset(long_path, 'p', 4200);
    try("execve(4200 x 'p', show, env)", long_path, show_args, env);
    /* Long arguments: Linux takes one of up to 128 KiB (NUL included). */
    const unsigned long lengths[] = {63, 64, 4095, 4096, 100000, 131071, 131072, 200000};
    char what[128];
    for (int i = 0; i < 8; i++) {
        memset(big, 'a' + i, lengths[i]);
        big[lengths[i]] = '\0';
        char *const args[] = {"execve", "show", big, NULL};
        snprintf(what, sizeof(what), "execve(\"execve\", show + one of %lu bytes, env)",
                 lengths[i]);
        try(what, "execve", args, env);
        char *const envs[] = {big, NULL};
        snprintf(what, sizeof(what), "execve(\"execve\", show, one of %lu bytes)", lengths[i]);
        if (lengths[i] < 4096)
            try(what, "execve", show_args, envs);
    }
    /* Many arguments. */
    static char *many[3000];
    many[0] = "execve", many[1] = "show";
    for (int i = 2; i < 2999; i++)
        many[i] = (char *)"an argument of a few words";
    many[2999] = NULL;
    try("execve(\"execve\", show + 2997 arguments, env)", "execve", many, env);
    many[400] = NULL;
    try("execve(\"execve\", show + 398 arguments, env)", "execve", many, env);
    return 0;
}
