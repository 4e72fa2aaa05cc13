/* The ELF64 executable format (System V ABI and its x86-64 supplement), as
 * structures: the file header and the program headers a loader reads. Fields
 * in a file may be misaligned in memory (a boot archive aligns files to 4
 * bytes only): copy headers out with memcpy before reading them. */
#ifndef KEEL_ELF_H
#define KEEL_ELF_H

#include <keel/types.h>

/* Values of the header and segment fields a loader checks (ident bytes,
 * type, machine, segment type and permission flags). */
#define ELF_MAGIC           "\177ELF"
#define ELF_CLASS_64        2 /* ident[4] */
#define ELF_DATA_LITTLE     1 /* ident[5] */
#define ELF_TYPE_EXEC       2
#define ELF_MACHINE_X86_64  62
#define ELF_SEGMENT_LOAD    1 /* PT_LOAD */
#define ELF_SEGMENT_EXECUTE 1 /* PF_X */
#define ELF_SEGMENT_WRITE   2 /* PF_W */
#define ELF_SEGMENT_READ    4 /* PF_R */

/* The ELF64 file header (Elf64_Ehdr), at offset 0 of the file. */
struct elf_header {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

/* One program header (Elf64_Phdr): phnum of them, phentsize bytes apart,
 * from offset phoff. */
struct elf_segment {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#endif
