/* Lab 1, part 3: the kernel monitor. (Reference solution.) */
#include "lab1.h"

#define MAX_LINE       128
#define MAX_WORDS      8
#define MAX_FRAMES     32
#define MAX_FRAME_SIZE (64 * 1024) /* a frame pointer further up is implausible */

struct command {
    const char *name;
    const char *help;
    void (*run)(int argc, char **argv);
};

static void command_help(int argc, char **argv);

static void command_mem(int argc, char **argv)
{
    (void)argc, (void)argv;
    memmap_print(boot_info_get()->multiboot2);
}

static void command_backtrace(int argc, char **argv)
{
    (void)argc, (void)argv;
    monitor_backtrace();
}

static void command_reboot(int argc, char **argv)
{
    (void)argc, (void)argv;
    kernel_reboot();
}

/* A decimal number, or false if `word` is not one (or too large). */
static bool parse_number(const char *word, uint64_t *out)
{
    uint64_t value = 0;
    if (!*word)
        return false;
    for (; *word; word++) {
        if (*word < '0' || *word > '9' || value > (UINT64_MAX - 9) / 10)
            return false;
        value = value * 10 + (uint64_t)(*word - '0');
    }
    *out = value;
    return true;
}

#define TRACE_MAX_ARGUMENT 1000

static void command_trace(int argc, char **argv)
{
    static struct trace trace;
    static const struct {
        const char *name, *function;
        uint64_t (*run)(uint64_t);
    } targets[] = {{"loop", "trace_demo_loop", trace_demo_loop},
                   {"calls", "trace_demo_calls", trace_demo_calls}};
    uint64_t n = 0;
    size_t t = 0;
    while (argc == 3 && t < KEEL_ARRAY_SIZE(targets) && strcmp(argv[1], targets[t].name) != 0)
        t++;
    if (argc != 3 || t == KEEL_ARRAY_SIZE(targets) || !parse_number(argv[2], &n) ||
        n > TRACE_MAX_ARGUMENT) {
        kprintf("Usage: trace loop|calls N (N from 0 to %d)\n", TRACE_MAX_ARGUMENT);
        return;
    }
    int result = trace_call(targets[t].run, n, &trace);
    if (result < 0) {
        kprintf("trace_call failed: %d\n", result);
        return;
    }
    for (size_t i = 0; i < trace.recorded; i++) {
        struct symbol_info where;
        if (!symbol_lookup(trace.rip[i], &where))
            kprintf("  %lu: 0x%lx ?\n", i + 1, trace.rip[i]);
        else if (where.file && where.line)
            kprintf("  %lu: 0x%lx %s+0x%lx (%s:%d)\n", i + 1, trace.rip[i], where.function,
                    where.offset, where.file, where.line);
        else
            kprintf("  %lu: 0x%lx %s+0x%lx\n", i + 1, trace.rip[i], where.function, where.offset);
    }
    if (trace.steps > trace.recorded)
        kprintf("  ... %lu more\n", trace.steps - trace.recorded);
    kprintf("%lu instructions; %s(%lu) returned %lu\n", trace.steps, targets[t].function, n,
            trace.result);
}

static const struct command commands[] = {
    {"help", "list the commands", command_help},
    {"mem", "show the memory map and the total usable memory", command_mem},
    {"backtrace", "show the chain of function calls that led here", command_backtrace},
    {"reboot", "restart the machine", command_reboot},
    {"trace", "single-step trace_demo_loop or trace_demo_calls: trace loop|calls N", command_trace},
};

static void command_help(int argc, char **argv)
{
    (void)argc, (void)argv;
    for (size_t i = 0; i < KEEL_ARRAY_SIZE(commands); i++)
        kprintf("  %-10s %s\n", commands[i].name, commands[i].help);
}

size_t monitor_readline(char *buf, size_t size)
{
    size_t len = 0;
    for (;;) {
        int c = console_getc_blocking();
        if (c == '\r' || c == '\n') {
            kprintf("\n");
            break;
        }
        if (c == 0x08 || c == 0x7f) {
            if (len > 0) {
                len--;
                kprintf("\b \b");
            }
        } else if (c >= 0x20 && c < 0x7f && len + 1 < size) {
            buf[len++] = (char)c;
            kprintf("%c", c);
        }
    }
    if (size)
        buf[len] = '\0';
    return len;
}

void monitor_exec(const char *line)
{
    char copy[MAX_LINE];
    strlcpy(copy, line, sizeof(copy));
    char *argv[MAX_WORDS];
    int argc = 0;
    for (char *p = copy; *p && argc < MAX_WORDS;) {
        while (*p == ' ')
            *p++ = '\0';
        if (!*p)
            break;
        argv[argc++] = p;
        while (*p && *p != ' ')
            p++;
    }
    if (argc == 0)
        return;
    for (size_t i = 0; i < KEEL_ARRAY_SIZE(commands); i++) {
        if (strcmp(argv[0], commands[i].name) == 0) {
            commands[i].run(argc, argv);
            return;
        }
    }
    kprintf("Unknown command '%s'. Type 'help' for a list of commands.\n", argv[0]);
}

void monitor_backtrace(void)
{
    const uintptr_t *frame = __builtin_frame_address(0);
    kprintf("Backtrace (most recent call first):\n");
    for (int depth = 0; depth < MAX_FRAMES; depth++) {
        uintptr_t return_address = frame[1];
        if (return_address == 0)
            break;
        struct symbol_info where;
        if (symbol_lookup(return_address - 1, &where))
            kprintf("  #%-2d %p %s+%#lx (%s:%d)\n", depth, (void *)return_address, where.function,
                    where.offset + 1, where.file ? where.file : "?", where.line);
        else
            kprintf("  #%-2d %p ?\n", depth, (void *)return_address);
        const uintptr_t *next = (const uintptr_t *)frame[0];
        if (next == NULL || (uintptr_t)next % 8 != 0 || next <= frame ||
            (uintptr_t)next - (uintptr_t)frame > MAX_FRAME_SIZE)
            break;
        frame = next;
    }
}

void monitor_run(void)
{
    char line[MAX_LINE];
    kprintf("\nKeel monitor. Type 'help' for a list of commands.\n");
    for (;;) {
        kprintf("K> ");
        monitor_readline(line, sizeof(line));
        monitor_exec(line);
    }
}
