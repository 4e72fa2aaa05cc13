/* Lab 5, part 1: loading programs. (Reference solution.) */
#include "lab5.h"

#define ET_EXEC   ELF_TYPE_EXEC
#define EM_X86_64 ELF_MACHINE_X86_64
#define PT_LOAD   ELF_SEGMENT_LOAD
#define PF_X      ELF_SEGMENT_EXECUTE
#define PF_W      ELF_SEGMENT_WRITE

/* Map zeroed pages over [start, end) that are not mapped yet. */
static int map_zeroed(phys_addr_t root, uintptr_t start, uintptr_t end, uint64_t flags)
{
    for (uintptr_t page = start & ~(PAGE_SIZE - 1); page < end; page += PAGE_SIZE) {
        phys_addr_t existing;
        if (pt_translate(root, page, &existing))
            continue; /* two segments sharing a page */
        phys_addr_t frame = frame_alloc_zeroed(0);
        if (!frame)
            return -ENOMEM;
        int result = vm_map(root, page, frame, flags | PTE_USER);
        if (result < 0) {
            frame_free(frame, 0);
            return result;
        }
    }
    return 0;
}

/* The most a process's start-up data (argument and environment strings and
 * their vectors) may take on its stack. */
#define STACK_ARGS_MAX (512 * 1024ul)

/* Copy kernel bytes into user memory of `root` (not necessarily the active
 * address space) through the direct map. */
static void copy_into(phys_addr_t root, uintptr_t va, const void *data, size_t size)
{
    for (size_t done = 0; done < size;) {
        uintptr_t at = va + done;
        phys_addr_t pa = 0;
        pt_translate(root, at, &pa);
        size_t chunk = PAGE_SIZE - (at & (PAGE_SIZE - 1));
        if (chunk > size - done)
            chunk = size - done;
        memcpy(phys_to_virt(pa), (const uint8_t *)data + done, chunk);
        done += chunk;
    }
}

int elf_load(phys_addr_t root, const void *image, size_t size, struct elf_info *info)
{
    /* The file's bytes in the boot archive are only 4-byte aligned: read
     * the headers through aligned copies (a direct struct access would be
     * undefined behaviour, which CHECKED=1 reports). */
    struct elf_header header;
    const struct elf_header *elf = &header;
    if (size < sizeof(header))
        return -ENOEXEC;
    memcpy(&header, image, sizeof(header));
    if (memcmp(elf->ident, "\177ELF", 4) != 0 || elf->ident[4] != 2 || elf->ident[5] != 1 ||
        elf->type != ET_EXEC || elf->machine != EM_X86_64 ||
        elf->phentsize != sizeof(struct elf_segment) || elf->phoff > size ||
        elf->phnum > (size - elf->phoff) / sizeof(struct elf_segment))
        return -ENOEXEC;
    const uint8_t *segments = (const uint8_t *)image + elf->phoff;
    info->entry = elf->entry;
    info->phnum = elf->phnum;
    info->phdr = 0;
    info->image_end = 0;
    for (unsigned i = 0; i < elf->phnum; i++) {
        struct elf_segment segment;
        memcpy(&segment, segments + i * sizeof(segment), sizeof(segment));
        const struct elf_segment *seg = &segment;
        if (seg->type != PT_LOAD)
            continue;
        if (seg->filesz > seg->memsz || seg->offset > size || seg->filesz > size - seg->offset)
            return -ENOEXEC;
        /* User memory ends where Linux's does, a page below USER_SPACE_END
         * (a system call from that page would return to a non-canonical
         * address): a segment reaching past it cannot be loaded. */
        if (seg->vaddr >= USER_STACK_TOP || seg->memsz > USER_STACK_TOP - seg->vaddr)
            return -EFAULT;
        if (seg->offset <= elf->phoff && elf->phoff < seg->offset + seg->filesz)
            info->phdr = seg->vaddr + (elf->phoff - seg->offset);
        uint64_t flags =
            ((seg->flags & PF_W) ? PTE_WRITABLE : 0) | ((seg->flags & PF_X) ? 0 : PTE_NO_EXECUTE);
        /* Linux maps whole pages of the file: a segment whose offset lies as
         * far into its page as vaddr does also shows the file's bytes before
         * vaddr in its first page (the ELF header, say), unless an earlier
         * segment has that page. */
        uintptr_t lead = seg->vaddr % PAGE_SIZE;
        phys_addr_t existing;
        bool lead_too = seg->filesz && seg->offset % PAGE_SIZE == lead &&
                        !pt_translate(root, seg->vaddr - lead, &existing);
        int result = map_zeroed(root, seg->vaddr, seg->vaddr + seg->memsz, flags);
        if (result < 0)
            return result;
        if (lead_too)
            copy_into(root, seg->vaddr - lead, (const uint8_t *)image + seg->offset - lead, lead);
        copy_into(root, seg->vaddr, (const uint8_t *)image + seg->offset, seg->filesz);
        uintptr_t end = KEEL_ALIGN_UP(seg->vaddr + seg->memsz, PAGE_SIZE);
        if (end > info->image_end)
            info->image_end = end;
    }
    if (!info->image_end)
        return -ENOEXEC;
    return info->entry < USER_STACK_TOP ? 0 : -EFAULT; /* no user code can be there */
}

uintptr_t stack_setup(phys_addr_t root, const char *const argv[], const char *const envp[],
                      const struct elf_info *info)
{
    static const char *const none[] = {NULL};
    if (!envp)
        envp = none;
    size_t argc = 0, envc = 0, strings = 0;
    for (; argv[argc]; argc++)
        strings += strlen(argv[argc]) + 1;
    for (; envp[envc]; envc++)
        strings += strlen(envp[envc]) + 1;
    /* The strings, 16 random bytes, then (16-byte aligned) argc, argv, NULL,
     * envp, NULL and the auxiliary vector: USER_STACK_PAGES for the program
     * below what that needs (big arguments get a bigger stack, as Linux). */
    const size_t n = 1 + argc + 1 + envc + 1 + 14;
    size_t start_up = KEEL_ALIGN_UP(strings + 16 + n * sizeof(uint64_t) + 16, PAGE_SIZE);
    if (start_up > STACK_ARGS_MAX)
        return 0;
    const uintptr_t bottom = USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE - start_up;
    if (map_zeroed(root, bottom, USER_STACK_TOP, PTE_WRITABLE | PTE_NO_EXECUTE) < 0)
        return 0;
    /* Strings first, at the top; then the words that point at them. */
    uintptr_t sp = USER_STACK_TOP;
    for (size_t i = 0; i < argc + envc; i++) {
        const char *string = i < argc ? argv[i] : envp[i - argc];
        size_t length = strlen(string) + 1;
        sp -= length;
        copy_into(root, sp, string, length);
    }
    uint8_t random[16];
    for (int i = 0; i < 16; i++)
        random[i] = (uint8_t)(cpu_rdtsc() >> (i % 8));
    sp -= sizeof(random);
    copy_into(root, sp, random, sizeof(random));
    uintptr_t random_at = sp;
    sp = (sp - n * sizeof(uint64_t)) & ~15ul;
    const uint64_t count = argc;
    copy_into(root, sp, &count, sizeof(count));
    uintptr_t string = USER_STACK_TOP;
    for (size_t i = 0; i < argc + envc; i++) {
        string -= strlen(i < argc ? argv[i] : envp[i - argc]) + 1;
        size_t slot = 1 + i + (i >= argc); /* envp's come after argv's NULL */
        copy_into(root, sp + slot * sizeof(uint64_t), &string, sizeof(string));
    }
    const uint64_t auxv[] = {3,         info->phdr, 4,           56, 5,         info->phnum, 6,
                             PAGE_SIZE, 9,          info->entry, 25, random_at, 0,           0};
    copy_into(root, sp + (n - KEEL_ARRAY_SIZE(auxv)) * sizeof(uint64_t), auxv, sizeof(auxv));
    return sp;
}
