/* A real static program in user mode: the musl "hello" from the boot archive
 * is loaded from its ELF headers, started with argc/argv/envp/auxv laid out
 * as Linux does, and served the few system calls its C library needs. The
 * loader here is test code; lab 5 is where students write the real one. */
#include <keel/errno.h>
#include <keel/jump.h>
#include <keel/keel.h>
#include <keel/user.h>
#include <ktest.h>

#include "../core/internal.h"

#define PT_LOAD     ELF_SEGMENT_LOAD
#define PF_X        ELF_SEGMENT_EXECUTE
#define PF_W        ELF_SEGMENT_WRITE
#define STACK_TOP   0x7ffffff000ul
#define STACK_PAGES 4

static phys_addr_t root;
static keel_jmp_buf finished;
static long exit_status;
static char output[256];
static size_t output_length;
static uint8_t trap_stack[16384] __attribute__((aligned(16)));

/* The frames map_range handed out, to give back at the end. */
static phys_addr_t frames[64];
static size_t frame_count;

/* Map [va, va + size) in `root` with fresh zeroed frames, if not yet mapped. */
static void map_range(uintptr_t va, size_t size, uint64_t flags)
{
    for (uintptr_t page = va & ~(PAGE_SIZE - 1); page < va + size; page += PAGE_SIZE) {
        if (paging_lookup(root, page, NULL))
            continue;
        KT_ASSERT(frame_count < KEEL_ARRAY_SIZE(frames), "more pages than the test expects");
        phys_addr_t frame = frame_alloc_zeroed(0);
        KT_ASSERT(frame && arch_map_page(root, page, frame, flags | PTE_USER) == 0, "map %#lx",
                  page);
        frames[frame_count++] = frame;
    }
}

/* Copy into user memory through the direct map (the pages may be read-only
 * to user code). */
static void poke(uintptr_t va, const void *data, size_t size)
{
    for (size_t done = 0; done < size;) {
        uintptr_t at = va + done;
        phys_addr_t pa = pte_address(paging_lookup(root, at, NULL)) + (at & (PAGE_SIZE - 1));
        size_t chunk = PAGE_SIZE - (at & (PAGE_SIZE - 1));
        if (chunk > size - done)
            chunk = size - done;
        memcpy(phys_to_virt(pa), (const uint8_t *)data + done, chunk);
        done += chunk;
    }
}

static uintptr_t load(const struct program_file *file, uintptr_t *phdr)
{
    struct elf_header header; /* an aligned copy: the archive aligns files to 4 bytes only */
    const struct elf_header *elf = &header;
    KT_ASSERT(file->size >= sizeof(header), "not an ELF file");
    memcpy(&header, file->data, sizeof(header));
    KT_ASSERT(memcmp(elf->ident, "\177ELF", 4) == 0 && elf->machine == 62,
              "not an x86_64 ELF file");
    *phdr = 0;
    for (unsigned i = 0; i < elf->phnum; i++) {
        struct elf_segment segment;
        memcpy(&segment, (const uint8_t *)file->data + elf->phoff + i * elf->phentsize,
               sizeof(segment));
        const struct elf_segment *seg = &segment;
        if (seg->type != PT_LOAD)
            continue;
        if (seg->offset == 0)
            *phdr = seg->vaddr + elf->phoff;
        map_range(seg->vaddr, seg->memsz,
                  ((seg->flags & PF_W) ? PTE_WRITABLE : 0) |
                      ((seg->flags & PF_X) ? 0 : PTE_NO_EXECUTE));
        poke(seg->vaddr, (const uint8_t *)file->data + seg->offset, seg->filesz);
    }
    return elf->entry;
}

/* The initial stack: argc, argv[], NULL, envp[] (empty), NULL, auxv. */
static uintptr_t setup_stack(const char *name, const char *arg, uintptr_t phdr, unsigned phnum,
                             uintptr_t entry)
{
    map_range(STACK_TOP - STACK_PAGES * PAGE_SIZE, STACK_PAGES * PAGE_SIZE,
              PTE_WRITABLE | PTE_NO_EXECUTE);
    uintptr_t sp = STACK_TOP;
    sp -= strlen(arg) + 1;
    uintptr_t arg_at = sp;
    poke(sp, arg, strlen(arg) + 1);
    sp -= strlen(name) + 1;
    uintptr_t name_at = sp;
    poke(sp, name, strlen(name) + 1);
    sp -= 16;
    uintptr_t random_at = sp; /* AT_RANDOM: 16 bytes */
    poke(sp, "0123456789abcdef", 16);
    uint64_t words[] = {
        2,  name_at,   arg_at, 0,               /* argc, argv */
        0,                                      /* envp */
        3,  phdr,      4,      56,    5, phnum, /* AT_PHDR, AT_PHENT, AT_PHNUM */
        6,  PAGE_SIZE, 9,      entry,           /* AT_PAGESZ, AT_ENTRY */
        25, random_at, 0,      0,               /* AT_RANDOM, AT_NULL */
    };
    sp = (sp - sizeof(words)) & ~15ul;
    poke(sp, words, sizeof(words));
    return sp;
}

static bool serve(struct trap_frame *frame)
{
    if (!trap_from_user(frame))
        return false;
    switch (frame->rax) {
    case 158: /* arch_prctl: ARCH_SET_FS */
        frame->rax =
            frame->rdi == 0x1002 ? (uint64_t)user_set_fs_base(frame->rsi) : (uint64_t)-EINVAL;
        return true;
    case 218: /* set_tid_address */
        frame->rax = 1;
        return true;
    case 16: /* ioctl: not a terminal */
        frame->rax = (uint64_t)-ENOTTY;
        return true;
    case 20: { /* writev(fd, iov, count) */
        uint64_t total = 0;
        for (uint64_t i = 0; i < frame->rdx; i++) {
            uint64_t iov[2];
            if (copy_from_user(iov, frame->rsi + i * 16, sizeof(iov)) != 0) {
                frame->rax = (uint64_t)-EFAULT;
                return true;
            }
            size_t room = sizeof(output) - 1 - output_length;
            size_t n = iov[1] < room ? iov[1] : room;
            if (copy_from_user(output + output_length, iov[0], n) != 0) {
                frame->rax = (uint64_t)-EFAULT;
                return true;
            }
            output_length += n;
            total += iov[1];
        }
        frame->rax = total;
        return true;
    }
    case 231: /* exit_group */
    case 60:
        exit_status = (long)frame->rdi;
        keel_longjmp(finished, 1);
    default:
        frame->rax = (uint64_t)-ENOSYS;
        return true;
    }
}

KTEST(needs_musl_hello)
{
    const struct program_file *file = programs_find("hello");
    KT_ASSERT(file, "no 'hello' among the boot files");
    root = paging_new_root();
    KT_ASSERT(root, "out of memory");
    frame_count = 0;
    uintptr_t phdr;
    uintptr_t entry = load(file, &phdr);
    struct elf_header header;
    memcpy(&header, file->data, sizeof(header));
    uintptr_t sp = setup_stack("hello", "world", phdr, header.phnum, entry);
    output_length = 0;
    exit_status = -1;
    trap_handler_t previous = trap_set_handler(USER_SYSCALL_VECTOR, serve);
    paging_switch(root);
    if (keel_setjmp(finished) == 0)
        user_enter(entry, sp, 0, (uintptr_t)trap_stack + sizeof(trap_stack));
    paging_switch(paging_kernel_root());
    cpu_irq_disable();
    trap_set_handler(USER_SYSCALL_VECTOR, previous);
    /* Everything back for the leak check: the top-level table first (the
     * Linux platform's process behind it goes with it), then the pages. */
    frame_free(root, 0);
    while (frame_count > 0)
        frame_free(frames[--frame_count], 0);
    output[output_length] = '\0';
    KT_ASSERT(strcmp(output, "Hello from hello, 2 arguments, last \"world\"\n") == 0,
              "the program printed \"%s\"", output);
    KT_ASSERT_EQ(exit_status, 3, "exit status");
}
