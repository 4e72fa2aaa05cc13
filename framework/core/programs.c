/* Indexing the boot modules: cpio "newc" archives and plain files (see
 * <keel/programs.h>). Every field of an archive is checked against the
 * module's bounds before use. */
#include <keel/bootinfo.h>
#include <keel/kprintf.h>
#include <keel/mm.h>
#include <keel/programs.h>
#include <keel/string.h>

#include "internal.h"

#define NEWC_MAGIC   "070701"
#define NEWC_HEADER  110
#define NEWC_TRAILER "TRAILER!!!"

static struct program_file files[PROGRAMS_MAX];
static size_t file_count;

size_t programs_count(void)
{
    return file_count;
}

const struct program_file *programs_get(size_t index)
{
    return index < file_count ? &files[index] : NULL;
}

const struct program_file *programs_find(const char *name)
{
    for (size_t i = 0; i < file_count; i++)
        if (strcmp(files[i].name, name) == 0)
            return &files[i];
    return NULL;
}

/* The 8 hex digits of header field `index`, or -1 if they are not hex. */
static long field(const char *header, int index)
{
    long value = 0;
    for (int i = 0; i < 8; i++) {
        char c = header[6 + 8 * index + i];
        int digit = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
        if (digit < 0)
            return -1;
        value = value * 16 + digit;
    }
    return value;
}

static void add(const char *name, size_t name_length, const void *data, size_t size)
{
    if (file_count == PROGRAMS_MAX) {
        pr_warn("more than %d boot files; ignoring '%.*s'\n", PROGRAMS_MAX, (int)name_length, name);
        return;
    }
    while (name_length && name[0] == '/')
        name++, name_length--;
    if (name_length >= 2 && name[0] == '.' && name[1] == '/')
        name += 2, name_length -= 2;
    struct program_file *file = &files[file_count++];
    size_t n = name_length < PROGRAM_NAME_MAX - 1 ? name_length : PROGRAM_NAME_MAX - 1;
    memcpy(file->name, name, n);
    file->name[n] = '\0';
    file->data = data;
    file->size = size;
}

/* Index one archive; false (and nothing kept) if it is damaged. */
static bool index_archive(const char *start, size_t length, const char *module_name)
{
    size_t first = file_count;
    size_t offset = 0;
    while (offset + NEWC_HEADER <= length) {
        const char *header = start + offset;
        if (memcmp(header, NEWC_MAGIC, 6) != 0)
            break;
        long mode = field(header, 1), size = field(header, 6), name_size = field(header, 11);
        if (mode < 0 || size < 0 || name_size <= 0)
            break;
        size_t name_at = offset + NEWC_HEADER;
        size_t data_at = KEEL_ALIGN_UP(name_at + (size_t)name_size, 4);
        if (data_at > length || (size_t)size > length - data_at ||
            start[name_at + (size_t)name_size - 1] != '\0')
            break;
        const char *name = start + name_at;
        if (strcmp(name, NEWC_TRAILER) == 0)
            return true;
        if ((mode & 0170000) == 0100000) /* regular files only */
            add(name, (size_t)name_size - 1, start + data_at, (size_t)size);
        offset = KEEL_ALIGN_UP(data_at + (size_t)size, 4);
    }
    pr_warn("boot module '%s' is a damaged cpio archive (at offset %zu); ignoring it\n",
            module_name, offset);
    file_count = first;
    return false;
}

void programs_init(const struct boot_info *info)
{
    file_count = 0;
    for (size_t i = 0; i < info->module_count; i++) {
        const struct boot_module *module = &info->modules[i];
        if (module->end <= module->start)
            continue;
        const char *data = phys_to_virt(module->start);
        size_t length = module->end - module->start;
        const char *name = module->cmdline && module->cmdline[0] ? module->cmdline : "module";
        if (length >= 6 && memcmp(data, NEWC_MAGIC, 6) == 0)
            index_archive(data, length, name);
        else
            add(name, strlen(name), data, length);
    }
}
