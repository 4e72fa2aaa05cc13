/* The Linux platform's boot: the kernel is an ordinary program.
 *
 *   kernel.elf [--memory=MIB] [--initrd=FILE] [--cmdline-fd=FD] [WORD...]
 *
 * The words are the kernel command line (keel.test=NAME, ...), after those
 * read from FD (the graders' way). Physical
 * memory is a memfd of MIB MiB (128 by default, as the PC's QEMU gets),
 * mapped at LINUX_DIRECT_MAP_BASE; the Multiboot2 block GRUB would give is
 * built here with a PC's memory map (low memory, a hole below 1 MiB, the
 * rest usable), the command line and FILE as a boot module. Without
 * --initrd, FILE is the programs.cpio the build put next to the kernel, if
 * there is one (so plain `gdb kernel.elf` or `./kernel.elf` finds the lab's
 * programs); --initrd= with no file boots without any. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <keel/kprintf.h>
#include <keel/mm.h>
#include <keel/multiboot2.h>
#include <keel/panic.h>
#include <keel/power.h>
#include <keel/protocol.h>
#include <keel/symbols.h>

#include "../../core/internal.h"
#include "linux.h"

const uintptr_t platform_direct_map_base = LINUX_DIRECT_MAP_BASE;
int linux_memfd = -1;
uint64_t linux_ram_bytes;

#define LOW_MEMORY_END 0x9f000ul
#define HIGH_MEMORY    0x100000ul

/* AddressSanitizer: the kernel handles its own faults; a report ends the run
 * with the kernel's panic status and a PANIC frame for the graders. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0:handle_segv=0:handle_sigbus=0:handle_sigill=0:handle_sigfpe=0:"
           "handle_abort=0:allow_user_segv_handler=1:use_sigaltstack=0:exitcode=5:"
           "print_legend=0:detect_stack_use_after_return=0";
}

static const char *sanitizer_report;

static void remember_report(const char *report)
{
    sanitizer_report = report;
}

static void sanitizer_died(void)
{
    char summary[240] = "AddressSanitizer found a memory error (its report is above)";
    const char *line =
        sanitizer_report ? strstr(sanitizer_report, "ERROR: AddressSanitizer: ") : NULL;
    if (line) {
        line += strlen("ERROR: ");
        size_t length = strcspn(line, "\n");
        int shown = (int)(length < 100 ? length : 100);
        if (strncmp(line, "AddressSanitizer: use-after-poison", 34) == 0)
            snprintf(summary, sizeof(summary),
                     "%.*s (memory the kernel heap or frame allocator says is not in use: "
                     "outside a kmalloc block, or freed)",
                     shown, line);
        else
            snprintf(summary, sizeof(summary), "%.*s", shown, line);
    }
    protocol_emit("PANIC", "%s", summary);
    linux_terminal_restore();
}

/* The kernel's writable data (.data and .bss, but for the part the dynamic
 * linker makes read-only after relocating it) moves into physical memory,
 * at the frames virt_to_phys names for it: its direct-map alias is then the
 * same memory, as on a PC. Code and constants stay the program's own. Runs
 * first, before anything else writes a variable of the kernel's. The copy
 * crosses the sanitizer's red zones between variables: it is not checked. */
__attribute__((no_sanitize("address"))) static void data_into_physical_memory(void)
{
    const Elf64_Phdr *headers = (const Elf64_Phdr *)getauxval(AT_PHDR);
    size_t count = getauxval(AT_PHNUM);
    uintptr_t start = 0, end = 0, relro_end = 0;
    for (size_t i = 0; headers && i < count; i++) {
        if (headers[i].p_type == PT_LOAD && (headers[i].p_flags & PF_W)) {
            start = headers[i].p_vaddr;
            end = headers[i].p_vaddr + headers[i].p_memsz;
        } else if (headers[i].p_type == PT_GNU_RELRO) {
            relro_end = headers[i].p_vaddr + headers[i].p_memsz;
        }
    }
    start = KEEL_ALIGN_UP(start > relro_end ? start : relro_end, PAGE_SIZE);
    end = KEEL_ALIGN_UP(end, PAGE_SIZE);
    if (start >= end)
        return;
    phys_addr_t pa = virt_to_phys((void *)start);
    volatile uint64_t *to = phys_to_virt(pa);
    const volatile uint64_t *from = (const uint64_t *)start;
    for (size_t i = 0; i < (end - start) / sizeof(uint64_t); i++)
        to[i] = from[i];
    if (mmap((void *)start, end - start, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
             linux_memfd, (off_t)pa) != (void *)start) {
        fprintf(stderr, "cannot place the kernel's data in physical memory: %s\n", strerror(errno));
        exit(2);
    }
}

static void usage(const char *program, const char *problem)
{
    fprintf(stderr,
            "%s\nusage: %s [--memory=MIB] [--initrd=FILE] [--cmdline-fd=FD] [KERNEL COMMAND LINE "
            "WORD...]\n",
            problem, program);
    exit(2);
}

/* Append the words read from `fd` (until its end) to the command line: how
 * the graders pass it, so that no process list shows the grader's nonce. */
static void read_cmdline(int fd, char *cmdline, size_t size)
{
    size_t length = strlen(cmdline);
    if (length && length + 1 < size)
        cmdline[length++] = ' ';
    ssize_t n = 0;
    while (length + 1 < size && (n = read(fd, cmdline + length, size - 1 - length)) > 0)
        length += (size_t)n;
    if (n < 0 || length + 1 >= size)
        usage("kernel", "--cmdline-fd: cannot read the command line, or it is too long");
    cmdline[length] = '\0';
    for (char *p = cmdline; *p; p++)
        if (*p == '\n' || *p == '\t')
            *p = ' ';
    close(fd);
}

static phys_addr_t load_initrd(const char *path, phys_addr_t at, struct mb2_tag_module **tag)
{
    int fd = open(path, O_RDONLY);
    struct stat status;
    if (fd < 0 || fstat(fd, &status) != 0) {
        fprintf(stderr, "cannot read the boot archive %s: %s\n", path, strerror(errno));
        exit(2);
    }
    if (at + (uint64_t)status.st_size > linux_ram_bytes / 2) {
        fprintf(stderr, "the boot archive %s does not fit in memory; use --memory\n", path);
        exit(2);
    }
    char *dst = phys_to_virt(at);
    for (off_t done = 0; done < status.st_size;) {
        ssize_t n = read(fd, dst + done, (size_t)(status.st_size - done));
        if (n <= 0) {
            fprintf(stderr, "cannot read the boot archive %s\n", path);
            exit(2);
        }
        done += n;
    }
    close(fd);
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    *tag = mb2_add_tag(MB2_TAG_MODULE, (uint32_t)(sizeof(**tag) + strlen(name) + 1));
    (*tag)->mod_start = (uint32_t)at;
    (*tag)->mod_end = (uint32_t)(at + (uint64_t)status.st_size);
    memcpy((*tag)->cmdline, name, strlen(name) + 1);
    return at + (uint64_t)status.st_size;
}

/* The boot archive next to this program (build/LAB/VARIANT/programs.cpio
 * beside kernel.elf), in `path`, or NULL if there is none. */
static const char *archive_beside_kernel(char *path, size_t size)
{
    static const char name[] = "programs.cpio";
    ssize_t n = readlink("/proc/self/exe", path, size - sizeof(name));
    if (n <= 0)
        return NULL;
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    if (!slash)
        return NULL;
    memcpy(slash + 1, name, sizeof(name));
    return access(path, R_OK) == 0 ? path : NULL;
}

int main(int argc, char **argv)
{
    static char beside[4096];
    uint64_t mib = 128;
    const char *initrd = NULL;
    char cmdline[4096] = "";
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--memory=", 9) == 0) {
            mib = strtoull(argv[i] + 9, NULL, 10);
            if (mib < 8 || mib > 4096)
                usage(argv[0], "--memory: 8 to 4096 MiB");
        } else if (strncmp(argv[i], "--initrd=", 9) == 0) {
            initrd = argv[i] + 9;
        } else if (strncmp(argv[i], "--cmdline-fd=", 13) == 0) {
            read_cmdline(atoi(argv[i] + 13), cmdline, sizeof(cmdline));
        } else if (strncmp(argv[i], "--", 2) == 0) {
            usage(argv[0], "unknown option");
        } else {
            if (strlen(cmdline) + strlen(argv[i]) + 2 > sizeof(cmdline))
                usage(argv[0], "the kernel command line is too long");
            if (cmdline[0])
                strcat(cmdline, " ");
            strcat(cmdline, argv[i]);
        }
    }

    linux_ram_bytes = mib << 20;
    linux_memfd = memfd_create("keel-physical-memory", 0);
    if (linux_memfd < 0 || ftruncate(linux_memfd, (off_t)linux_ram_bytes) != 0 ||
        mmap((void *)LINUX_DIRECT_MAP_BASE, linux_ram_bytes, PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_FIXED_NOREPLACE, linux_memfd, 0) != (void *)LINUX_DIRECT_MAP_BASE) {
        fprintf(stderr, "cannot set up %lu MiB of physical memory: %s\n", mib, strerror(errno));
        return 2;
    }
    data_into_physical_memory();

    mb2_builder_begin();
    mb2_add_string(MB2_TAG_CMDLINE, cmdline);
    /* Only the kernel's own copy of the command line may remain: it may hold
     * the grader's nonce, which keel_start takes out of that copy (and
     * /proc/self/cmdline shows the arguments' memory). */
    explicit_bzero(cmdline, sizeof(cmdline));
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "keel.nonce=", 11) == 0)
            explicit_bzero(argv[i] + 11, strlen(argv[i] + 11));
    mb2_add_string(MB2_TAG_BOOTLOADER_NAME, "Linux user mode");
    struct mb2_tag_basic_meminfo *meminfo = mb2_add_tag(MB2_TAG_BASIC_MEMINFO, sizeof(*meminfo));
    meminfo->mem_lower = LOW_MEMORY_END / 1024;
    meminfo->mem_upper = (uint32_t)((linux_ram_bytes - HIGH_MEMORY) / 1024);
    const struct {
        uint64_t base, length;
        uint32_t type;
    } map[] = {
        {0, LOW_MEMORY_END, MB2_MEMORY_AVAILABLE},
        {LOW_MEMORY_END, HIGH_MEMORY - LOW_MEMORY_END, MB2_MEMORY_RESERVED},
        {HIGH_MEMORY, linux_ram_bytes - HIGH_MEMORY, MB2_MEMORY_AVAILABLE},
    };
    uint32_t entry_size = sizeof(struct mb2_mmap_entry);
    struct mb2_tag_mmap *mmap_tag =
        mb2_add_tag(MB2_TAG_MMAP, sizeof(*mmap_tag) + entry_size * KEEL_ARRAY_SIZE(map));
    mmap_tag->entry_size = entry_size;
    for (size_t i = 0; i < KEEL_ARRAY_SIZE(map); i++) {
        struct mb2_mmap_entry *entry =
            (struct mb2_mmap_entry *)(mmap_tag->entries + i * entry_size);
        entry->base_addr = map[i].base;
        entry->length = map[i].length;
        entry->type = map[i].type;
    }
    if (!initrd)
        initrd = archive_beside_kernel(beside, sizeof(beside));
    if (initrd && initrd[0]) {
        /* Where GRUB would put it: after the kernel image. */
        struct mb2_tag_module *module;
        load_initrd(initrd, KEEL_ALIGN_UP(mm_kernel_end(), PAGE_SIZE), &module);
    }
    mb2_builder_finish();

    __asan_set_error_report_callback(remember_report);
    __sanitizer_set_death_callback(sanitizer_died);
    mprotect(boot_stack_guard, PAGE_SIZE, PROT_NONE);
    linux_terminal_raw();
    linux_boot(MB2_BOOTLOADER_MAGIC, 0, (uintptr_t)boot_stack_top);
}

void platform_parse_boot_info(uint32_t magic, uint32_t address, struct boot_info *info)
{
    (void)magic, (void)address;
    bootinfo_from_multiboot2(mb2_builder_block(), info);
}

void platform_cpu_init(void)
{
    linux_signals_init();
}

void linux_print_hang_report(const struct trap_frame *frame)
{
    if (linux_user_print_state())
        return;
    kprintf("\n*** Keel was stopped from outside while running (a hang?). It was here:\n");
    arch_print_registers(frame);
    kprintf("Backtrace (most recent call first):\n");
    struct symbol_info where;
    if (symbol_lookup(frame->rip, &where))
        kprintf("  #0  %p %s+%#lx (%s:%d)\n", (void *)frame->rip, where.function, where.offset,
                where.file ? where.file : "?", where.line);
    backtrace_print(frame->rbp);
}
