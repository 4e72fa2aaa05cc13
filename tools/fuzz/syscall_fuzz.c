/* A seeded system-call fuzzer for the complete kernel (tools/fuzz/fuzz.py
 * boots it).
 *   syscall_fuzz SEED CALLS [v]
 * Makes CALLS random system calls with random and hostile arguments (bad fds,
 * NULL, kernel and non-canonical addresses, the top of the address space,
 * buffers running into unmapped pages, huge lengths, random flags), forks
 * children that make calls of their own and then exit, exec or die by a
 * signal, and ends with "fuzz: done". The same seed makes the same calls. "v"
 * prints every call ("#N nr(a,b,c,…)=result"); otherwise a progress line
 * every 1000 calls. Before and after, a child counts how many pages mmap can
 * still get ("fuzz: free pages N"), so the host can see memory come back.
 * No C library calls: raw system calls only, so nothing here depends on the
 * thread pointer or errno, which the calls themselves may disturb. */
#include <stdint.h>

#pragma GCC diagnostic ignored "-Winfinite-recursion"

enum {
    NR_read = 0,
    NR_write = 1,
    NR_open = 2,
    NR_close = 3,
    NR_mmap = 9,
    NR_munmap = 11,
    NR_brk = 12,
    NR_ioctl = 16,
    NR_writev = 20,
    NR_getpid = 39,
    NR_fork = 57,
    NR_execve = 59,
    NR_exit = 60,
    NR_wait4 = 61,
    NR_arch_prctl = 158,
    NR_getdents64 = 217,
    NR_set_tid_address = 218,
    NR_exit_group = 231,
    NR_keel_ps = 500,
};
#define PAGE     4096ul
#define MAX_KIDS 8
#define MAX_MAPS 16
#define ENOMEM   12

static long sc(long n, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

/* ---- output without the C library ---- */
static char out[256];
static unsigned out_len;

static void flush(void)
{
    sc(NR_write, 1, (long)out, out_len, 0, 0, 0);
    out_len = 0;
}
static void put(const char *s)
{
    for (; *s; s++) {
        if (out_len == sizeof(out))
            flush();
        out[out_len++] = *s;
    }
}
static void put_num(uint64_t v, int hex)
{
    char digits[24];
    int n = 0;
    if (!hex && (int64_t)v < 0) {
        put("-");
        v = -v;
    }
    if (hex)
        put("0x");
    do {
        digits[n++] = "0123456789abcdef"[v % (hex ? 16 : 10)];
        v /= hex ? 16 : 10;
    } while (v);
    char s[2] = {0, 0};
    while (n) {
        s[0] = digits[--n];
        put(s);
    }
}

/* ---- seeded randomness (splitmix64) ---- */
static uint64_t state;
static uint64_t rnd64(void)
{
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint64_t rnd(uint64_t n)
{
    return rnd64() % n;
}

/* ---- the process's memory the arguments point into ---- */
static uint8_t *scratch;   /* one writable page */
static uint8_t *guard;     /* the unmapped page right after it */
static uint64_t heap_base; /* brk(0) at start */
static uint64_t maps[MAX_MAPS], map_sizes[MAX_MAPS];
static int kids, is_child;
/* Read-only (in .rodata), so no call can write over the fuzzer's own data
 * through it: a name longer than any the kernel takes. */
static const char big_name[] = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
                               "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
                               "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
                               "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
                               "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
                               "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz";

static uint64_t pick_pointer(void)
{
    static const uint64_t fixed[] = {
        0,
        1,
        8,
        0xfff,
        0x1000,
        0x400000, /* null page, low, usually unmapped */
        0x00007ffffffff000,
        0x00007fffffffeff8, /* the last user page (unmapped) and below */
        0x0000800000000000,
        0x00008000000000ff, /* just past user space (non-canonical) */
        0x8000000000000000,
        0x7fffffffffffffff, /* non-canonical */
        0xffff800000000000,
        0xffff800000100000, /* the kernel's direct map */
        0xffffffff80000000,
        0xffffffff80100000, /* the kernel image (PC) */
        0xfffffffffffff000,
        0xffffffffffffff00,
        0xffffffffffffffff, /* the very top */
    };
    switch (rnd(12)) {
    case 0:
    case 1:
        return fixed[rnd(sizeof(fixed) / sizeof(fixed[0]))];
    case 2:
    case 3:
        return (uint64_t)scratch + rnd(PAGE);
    case 4:
        return (uint64_t)guard - rnd(16); /* straddles into the unmapped page */
    case 5:
        return (uint64_t)guard + rnd(PAGE);
    case 6:
        return (uint64_t)&pick_pointer + rnd(64); /* read-only code */
    case 7:
        return heap_base + rnd(1ul << 22);
    case 8: {
        int i = (int)rnd(MAX_MAPS);
        return maps[i] ? maps[i] + rnd(map_sizes[i] + PAGE) : 0x100000000000ul + rnd(1ul << 24);
    }
    case 9:
        return rnd64();
    case 10:
        return rnd64() & 0x00007ffffffffffful;
    default:
        return (uint64_t)big_name + rnd(sizeof(big_name));
    }
}

static uint64_t pick_length(void)
{
    static const uint64_t fixed[] = {0,         1,         2,         7,    8,          15,
                                     16,        63,        64,        127,  128,        129,
                                     4095,      4096,      4097,      8192, 1ul << 20,  1ul << 31,
                                     1ul << 32, 1ul << 62, 1ul << 63, ~0ul, ~0ul - 4095};
    switch (rnd(4)) {
    case 0:
        return rnd(300);
    case 1:
        return rnd64();
    default:
        return fixed[rnd(sizeof(fixed) / sizeof(fixed[0]))];
    }
}

static long pick_fd(void)
{
    static const long fixed[] = {-1,           0,           1, 2, 3, 4, 5, 34, 35, 36, 0x7fffffff,
                                 -2147483648l, 0x100000001l};
    return rnd(5) ? fixed[rnd(sizeof(fixed) / sizeof(fixed[0]))] : (long)rnd64();
}

/* The pointer for a buffer of `length` bytes: now and then one whose range
 * ends exactly at 2^64 (issue 11: it once wrapped the Linux platform's page
 * loop). */
static uint64_t fix_top(uint64_t pointer, uint64_t length)
{
    if (length && length <= (1ul << 20) && rnd(16) == 0)
        pointer = 0 - length;
    return pointer;
}

static const char *const programs[] = {
    "hello",     "args",     "argecho",      "nullptr",    "divzero", "illegal",
    "kernelptr", "badptr",   "noncanonical", "privileged", "unknown", "stackoverflow",
    "memory",    "motd.txt", "run.args",     "nosuch",     ""};
static const char *const safe_paths[] = {"motd.txt", "run.args", "nosuch", "", "/", ".", "/nosuch"};

static void child_exit(void);

/* One random call; returns its result (for the log). */
static long one_call(long *nr, uint64_t a[6])
{
    for (int i = 0; i < 6; i++)
        a[i] = rnd(3) ? pick_pointer() : pick_length();
    switch (rnd(24)) {
    case 0: /* read: fd 0 only with nothing to wait for (stdin may never end) */
        *nr = NR_read;
        a[0] = pick_fd();
        a[2] = pick_length();
        if (a[0] == 0 && a[2] && a[1] > 0x1000)
            a[1] = 0;
        a[1] = fix_top(a[1], a[2]);
        break;
    case 1:
    case 2: /* write: keep what reaches the console short */
        *nr = NR_write;
        a[0] = pick_fd();
        a[2] = pick_length();
        if (((int)a[0] == 1 || (int)a[0] == 2) && a[1] < 0x0000800000000000ul)
            a[1] = (uint64_t)guard - rnd(64); /* never the program's own text on the console */
        a[1] = fix_top(a[1], a[2]);
        break;
    case 3: { /* writev: a vector of random entries in scratch */
        *nr = NR_writev;
        a[0] = pick_fd();
        uint64_t *iov = (uint64_t *)scratch;
        for (int i = 0; i < 8; i++) {
            iov[2 * i] = pick_pointer();
            iov[2 * i + 1] = rnd(2) ? rnd(64) : pick_length();
            if (iov[2 * i] < 0x0000800000000000ul)
                iov[2 * i] = (uint64_t)guard - rnd(64);
            iov[2 * i] = fix_top(iov[2 * i], iov[2 * i + 1]);
        }
        a[1] = rnd(3) ? (uint64_t)iov : pick_pointer();
        static const uint64_t counts[] = {0, 1, 2, 8, 9, 256, 1024, 1025, ~0ul, 1ul << 63};
        a[2] = counts[rnd(sizeof(counts) / sizeof(counts[0]))];
        a[1] = fix_top(a[1], a[2] * 16);
        break;
    }
    case 4:
    case 5: { /* mmap */
        *nr = NR_mmap;
        a[1] = rnd(3) ? rnd(1ul << 16) : pick_length(); /* small: fork copies it all */
        a[2] = rnd(2) ? 3 : rnd(16);
        a[3] = rnd(2) ? 0x22 : rnd(3) ? 0x22 | (rnd(2) << 4) : rnd64();
        a[4] = rnd(3) ? ~0ul : (uint64_t)pick_fd();
        a[5] = rnd(4) ? 0 : pick_length();
        if (a[1] > (1ul << 24) && rnd(32))
            a[1] &= (1ul << 24) - 1; /* filling memory (slow): now and then only */
        /* MAP_FIXED replaces what is there, as on Linux: in the fuzzer itself
         * only in an area of its own, never over its code, data or stack. */
        if (!is_child && (a[3] & 0x10) && a[0] < 0x0000800000000000ul)
            a[0] = 0x100000000000ul + rnd(1ul << 20) * PAGE + (rnd(8) ? 0 : rnd(PAGE));
        break;
    }
    case 6: { /* munmap: anything in a child; in the fuzzer only what it mapped */
        *nr = NR_munmap;
        int i = (int)rnd(MAX_MAPS);
        if (is_child || rnd(2) == 0) {
            a[0] = is_child ? pick_pointer() & ~(rnd(4) ? PAGE - 1 : 0) : pick_pointer();
            a[1] = pick_length();
            if (!is_child && a[0] < 0x0000800000000000ul && a[0] % PAGE == 0)
                a[0] |= 1; /* unaligned: refused, never the fuzzer's own memory */
        } else if (maps[i]) {
            a[0] = maps[i];
            a[1] = map_sizes[i];
        } else {
            a[0] = 0x100000000000ul + rnd(1ul << 20) * PAGE;
            a[1] = rnd(16) * PAGE;
        }
        break;
    }
    case 7: /* brk: a child may ask for anything; the fuzzer near its heap */
        *nr = NR_brk;
        if (!is_child)
            a[0] = rnd(4) == 0 ? pick_pointer() : heap_base + rnd(1ul << 20);
        if (a[0] >= heap_base + (1ul << 20) && a[0] < 0x0000800000000000ul &&
            (!is_child || rnd(32)))
            a[0] = heap_base; /* filling memory (slow): a child, now and then */
        break;
    case 8:
        *nr = NR_getpid;
        break;
    case 9: /* fork */
        /* A child's children are orphaned when it dies first; grandchildren
         * do not fork again (a tree of them makes a run crawl). */
        *nr = is_child > 1 || (is_child && rnd(4)) ? NR_getpid : NR_fork;
        break;
    case 10: { /* execve: a child may really run something */
        *nr = NR_execve;
        uint64_t *argv = (uint64_t *)(scratch + 2048);
        int n = (int)rnd(4);
        for (int i = 0; i < n; i++)
            argv[i] = rnd(3) ? (uint64_t)programs[rnd(sizeof(programs) / sizeof(programs[0]))]
                             : pick_pointer();
        argv[n] = rnd(8) ? 0 : pick_pointer();
        if (is_child)
            a[0] = rnd(2) ? (uint64_t)programs[rnd(sizeof(programs) / sizeof(programs[0]))]
                          : pick_pointer();
        else if (rnd(2))
            a[0] = (uint64_t)safe_paths[rnd(sizeof(safe_paths) / sizeof(safe_paths[0]))];
        else if ((a[0] = pick_pointer()) >= 0x10000 && a[0] < 0x0000800000000000ul)
            a[0] = (uint64_t)big_name; /* too long a name: never a program to become */
        a[1] = rnd(4) ? (uint64_t)argv : pick_pointer();
        a[2] = rnd(2) ? 0 : pick_pointer();
        break;
    }
    case 11: /* wait4 */
        *nr = NR_wait4;
        a[0] = rnd(2) ? ~0ul : rnd(3) ? rnd(64) : (uint64_t)pick_fd();
        a[1] = rnd(2) ? (uint64_t)scratch : fix_top(a[1], 4);
        a[2] = rnd(2) ? 0 : rnd64();
        if (kids == 0 && (int)a[0] == -1)
            a[0] = 0; /* nobody to wait for: not -1 either, it would block */
        break;
    case 12: /* arch_prctl: the fuzzer puts its own FS base back afterwards */
        *nr = NR_arch_prctl;
        a[0] = rnd(2) ? 0x1002 + rnd(2) : rnd(3) ? 0x1001 + rnd(4) : rnd64();
        a[1] = fix_top(a[1], 8);
        break;
    case 13:
        *nr = NR_set_tid_address;
        break;
    case 14:
        *nr = NR_ioctl;
        a[0] = pick_fd();
        break;
    case 15:
    case 16: /* open */
        *nr = NR_open;
        if (rnd(2))
            a[0] = (uint64_t)safe_paths[rnd(sizeof(safe_paths) / sizeof(safe_paths[0]))];
        a[1] = rnd(2) ? 0 : rnd(4) ? rnd(4) : rnd64();
        break;
    case 17:
        *nr = NR_close;
        a[0] = pick_fd();
        if (!is_child && (uint32_t)a[0] <= 2)
            a[0] = 3; /* the fuzzer's own output stays open (the kernel takes an int) */
        break;
    case 18: /* getdents64 */
        *nr = NR_getdents64;
        a[0] = pick_fd();
        a[2] = rnd(2) ? rnd(512) : pick_length();
        a[1] = fix_top(a[1], a[2]);
        break;
    case 19: /* Keel's process listing */
        *nr = NR_keel_ps;
        a[1] = rnd(2) ? rnd(2100) : pick_length();
        a[0] = fix_top(a[0], a[1]);
        break;
    case 20: /* read from a file */
        *nr = NR_read;
        a[0] = 3 + rnd(4);
        a[2] = pick_length();
        a[1] = fix_top(a[1], a[2]);
        break;
    case 21: { /* a number nobody implements */
        static const long odd[] = {
            -1, 0x8000000000000000l, 0x100000001l, 0x100000000l + 60, 0xffffffffl, 501, 1000, 335,
            334};
        *nr = rnd(2) ? odd[rnd(sizeof(odd) / sizeof(odd[0]))] : (long)rnd(450);
        switch (*nr) {
        case NR_read:
        case NR_write:
        case NR_open:
        case NR_mmap:
        case NR_munmap:
        case NR_brk:
        case NR_writev:
        case NR_fork:
        case NR_execve:
        case NR_exit:
        case NR_wait4:
        case NR_arch_prctl:
        case NR_getdents64:
        case NR_exit_group:
        case 24 /* sched_yield */:
        case 35 /* nanosleep */:
        case 34 /* pause */:
        case 7 /* poll */:
        case 23 /* select */:
        case 56 /* clone */:
        case 58 /* vfork */:
        case 62 /* kill */:
        case 14 /* sigprocmask */:
        case 13 /* sigaction */:
        case 15 /* sigreturn */:
        case 202 /* futex */:
        case 230 /* clock_nanosleep */:
        case 247 /* waitid */:
        case 322 /* execveat */:
        case 435 /* clone3 */:
        case 17 /* pread64 */:
        case 19 /* readv */:
        case 1 + 0x100000000l:
            *nr = NR_getpid;
        }
        if ((uint32_t)*nr == NR_close) /* as case 17: the fuzzer's output stays open */
            *nr = NR_getpid;
        break;
    }
    default: /* a child leaves, one way or another */
        if (is_child && rnd(3) == 0)
            child_exit();
        *nr = NR_getpid;
    }
    return sc(*nr, (long)a[0], (long)a[1], (long)a[2], (long)a[3], (long)a[4], (long)a[5]);
}

static __attribute__((noreturn)) void leave(int status)
{
    flush();
    for (;;)
        sc(NR_exit_group, status, 0, 0, 0, 0, 0);
}

static __attribute__((noinline)) int recurse(volatile int n)
{
    volatile char pad[512];
    pad[0] = (char)n;
    return recurse(n + 1) + pad[0];
}

/* How a child ends: an exit status, a fault or an exec. */
static __attribute__((noreturn)) void child_exit(void)
{
    switch (rnd(12)) {
    case 0:
        *(volatile int *)0 = 1;
        break;
    case 1:
        __asm__ volatile("ud2");
        break;
    case 2: {
        volatile int zero = 0;
        *(volatile int *)scratch = 1 / zero;
        break;
    }
    case 3:
        __asm__ volatile("int3");
        break;
    case 4:
        __asm__ volatile("hlt");
        break;
    case 5:
        ((void (*)(void))0xffffffff80100000ul)();
        break;
    case 6:
        recurse(0);
        break;
    case 7: { /* its own stack gone, then a system call */
        uint64_t sp;
        __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
        sc(NR_munmap, (long)((sp & ~(PAGE - 1)) - 4 * PAGE), 8 * PAGE, 0, 0, 0, 0);
        sc(NR_getpid, 0, 0, 0, 0, 0, 0);
        break;
    }
    case 8: { /* its own code gone */
        sc(NR_munmap, (long)((uint64_t)&pick_pointer & ~(PAGE - 1)), 4 * PAGE, 0, 0, 0, 0);
        break;
    }
    case 9: {
        const char *argv[] = {"hello", "from", "a", "fuzzed", "child", 0};
        sc(NR_execve, (long)"hello", (long)argv, 0, 0, 0, 0);
        break;
    }
    default:
        break;
    }
    leave((int)rnd(256));
}

static void log_call(unsigned long n, long nr, const uint64_t a[6], long result)
{
    put(is_child ? "#c" : "#");
    put_num(n, 0);
    put(" ");
    put_num((uint64_t)nr, 0);
    put("(");
    for (int i = 0; i < 6; i++) {
        put_num(a[i], 1);
        put(i < 5 ? "," : ")=");
    }
    put_num((uint64_t)result, 0);
    put("\n");
    flush();
}

static uint64_t parse(const char *s)
{
    uint64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (uint64_t)(*s - '0');
    return v;
}

/* In a child: mmap as much as there is, print it, exit. */
static void count_free_pages(const char *when)
{
    long pid = sc(NR_fork, 0, 0, 0, 0, 0, 0);
    if (pid == 0) {
        uint64_t pages = 0;
        for (uint64_t chunk = 256; chunk; chunk /= 16)
            while (sc(NR_mmap, 0, (long)(chunk * PAGE), 3, 0x22, -1, 0) > 0)
                pages += chunk;
        put("fuzz: free pages ");
        put(when);
        put(" ");
        put_num(pages, 0);
        put("\n");
        leave(0);
    }
    int status;
    if (pid > 0)
        sc(NR_wait4, pid, (long)&status, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
    uint64_t seed = argc > 1 ? parse(argv[1]) : 1, calls = argc > 2 ? parse(argv[2]) : 1000;
    int verbose = argc > 3 && argv[3][0] == 'v';
    state = seed;
    put("fuzz: seed ");
    put_num(seed, 0);
    put(" calls ");
    put_num(calls, 0);
    put("\n");
    flush();
    long mapped = sc(NR_mmap, 0, 2 * PAGE, 3, 0x22, -1, 0);
    if (mapped < 0 || sc(NR_munmap, mapped + (long)PAGE, PAGE, 0, 0, 0, 0) != 0) {
        put("fuzz: FAILED: cannot set up its pages\n");
        leave(1);
    }
    scratch = (uint8_t *)mapped;
    guard = scratch + PAGE;
    heap_base = (uint64_t)sc(NR_brk, 0, 0, 0, 0, 0, 0);
    uint64_t fs = 0;
    sc(NR_arch_prctl, 0x1003, (long)&fs, 0, 0, 0, 0);
    count_free_pages("before");

    unsigned long n = 0, child_calls = 0;
    for (; n < calls; n++) {
        long nr;
        uint64_t a[6];
        long result = one_call(&nr, a);
        if (verbose)
            log_call(n, nr, a, result);
        if (nr == NR_arch_prctl)
            sc(NR_arch_prctl, 0x1002, (long)fs, 0, 0, 0, 0);
        if (nr == NR_fork && result == 0) { /* the child: a few calls, then away */
            is_child++;
            state ^= 0x5851f42d4c957f2dull * (n + 1);
            for (child_calls = rnd(24); child_calls; child_calls--) {
                result = one_call(&nr, a);
                if (verbose)
                    log_call(n, nr, a, result);
                if (nr == NR_fork && result == 0) { /* a grandchild: its own way */
                    is_child++;
                    state ^= 0x2545f4914f6cdd1dull * child_calls;
                }
            }
            child_exit();
        }
        if (nr == NR_fork && result > 0)
            kids++;
        if (nr == NR_wait4 && result > 0)
            kids--;
        if (nr == NR_mmap && result > 0 && (uint64_t)result < 0x0000800000000000ul) {
            int i = (int)rnd(MAX_MAPS);
            if (maps[i])
                sc(NR_munmap, (long)maps[i], (long)map_sizes[i], 0, 0, 0, 0);
            maps[i] = (uint64_t)result;
            map_sizes[i] = (a[1] + PAGE - 1) & ~(PAGE - 1);
            if (map_sizes[i] > (1ul << 20)) { /* kept small: fork copies it all */
                sc(NR_munmap, (long)maps[i], (long)map_sizes[i], 0, 0, 0, 0);
                maps[i] = 0;
            }
        }
        if (nr == NR_brk && (uint64_t)result > heap_base + (1ul << 20))
            sc(NR_brk, (long)heap_base, 0, 0, 0, 0, 0);
        while (kids >= MAX_KIDS && sc(NR_wait4, -1, 0, 0, 0, 0, 0) > 0)
            kids--;
        if (!verbose && (n + 1) % 1000 == 0) {
            put("fuzz: ");
            put_num(n + 1, 0);
            put(" calls\n");
            flush();
        }
    }
    while (sc(NR_wait4, -1, 0, 0, 0, 0, 0) > 0)
        kids--;
    /* Memory the fuzzer holds goes back before counting again. */
    for (int i = 0; i < MAX_MAPS; i++)
        if (maps[i])
            sc(NR_munmap, (long)maps[i], (long)map_sizes[i], 0, 0, 0, 0);
    sc(NR_brk, (long)heap_base, 0, 0, 0, 0, 0);
    for (int fd = 3; fd < 3 + 32; fd++)
        sc(NR_close, fd, 0, 0, 0, 0, 0);
    /* Orphaned grandchildren may still be running (or not yet reaped) when
     * the fuzzer's own children are all waited for: count a few times,
     * giving them time to end; the host takes the best count. */
    for (int attempt = 0; attempt < 3; attempt++) {
        count_free_pages("after");
        for (int spin = 0; spin < 20000; spin++)
            sc(NR_getpid, 0, 0, 0, 0, 0, 0);
    }
    /* The kernel still works: every file slot opens (none kept by the dead),
     * children run and report. */
    for (int i = 0; i < 32; i++) {
        long fd = sc(NR_open, (long)"motd.txt", 0, 0, 0, 0, 0);
        if (fd < 0) {
            put("fuzz: FAILED: open(\"motd.txt\") number ");
            put_num((uint64_t)i + 1, 0);
            put(" of 32 gave ");
            put_num((uint64_t)fd, 0);
            put(" after the calls (files of exited processes never closed?)\n");
            static char listing[2048]; /* who is still there: Keel's process listing */
            long n = sc(500, (long)listing, sizeof(listing) - 1, 0, 0, 0, 0);
            listing[n > 0 ? n : 0] = '\0';
            put(listing);
            leave(1);
        }
    }
    for (int fd = 3; fd < 3 + 32; fd++)
        sc(NR_close, fd, 0, 0, 0, 0, 0);
    long pid = sc(NR_fork, 0, 0, 0, 0, 0, 0);
    if (pid == 0) {
        const char *args[] = {"hello", "after", "fuzzing", 0};
        sc(NR_execve, (long)"hello", (long)args, 0, 0, 0, 0);
        leave(99);
    }
    int status = 0;
    if (pid < 0 || sc(NR_wait4, pid, (long)&status, 0, 0, 0, 0) != pid || status != 3 << 8) {
        put("fuzz: FAILED: fork, execve(\"hello\"), wait4 after the calls gave pid ");
        put_num((uint64_t)pid, 0);
        put(" status ");
        put_num((uint64_t)status, 0);
        put("\n");
        leave(1);
    }
    put("fuzz: done seed ");
    put_num(seed, 0);
    put(" calls ");
    put_num(n, 0);
    put("\n");
    leave(0);
}
