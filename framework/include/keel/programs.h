/* Files the boot loader loaded next to the kernel: user programs and their
 * data, packed in a cpio archive ("newc" format, as `tools/mkprograms.py`
 * or `cpio -o -H newc` write it) and passed as a boot module (GRUB
 * `module2`, QEMU `-initrd`). The framework finds the archives among the boot
 * modules and indexes them at boot; a damaged archive is reported and
 * ignored, never trusted. A module that is not an archive appears as one
 * file named by its command line. */
#ifndef KEEL_PROGRAMS_H
#define KEEL_PROGRAMS_H

#include <keel/types.h>

/* Capacity: files beyond the first 64 are ignored with a warning at boot;
 * longer names are cut to fit (NUL included). */
#define PROGRAMS_MAX     64
#define PROGRAM_NAME_MAX 64

/* One file of the boot archives. Owned by the framework and valid for ever
 * after boot: read it, never write it or free it. */
struct program_file {
    char name[PROGRAM_NAME_MAX]; /* path inside the archive, e.g. "bin/sh" */
    const void *data;            /* read-only contents, in the direct map */
    size_t size;
};

/* How many files there are. Any context after boot. */
size_t programs_count(void);

/* The file at `index` (0 … programs_count() - 1), or NULL. */
const struct program_file *programs_get(size_t index);

/* The file called `name`, or NULL. */
const struct program_file *programs_find(const char *name);

#endif
