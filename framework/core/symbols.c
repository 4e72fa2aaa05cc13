/* Symbol lookup over the table tools/mksyms.py builds into the kernel (see
 * <keel/symbols.h>; the format is described at the top of mksyms.py). The
 * table is checked once; a missing or damaged one makes every lookup fail
 * instead of faulting, so a panic report never crashes on it. */
#include <keel/kprintf.h>
#include <keel/string.h>
#include <keel/symbols.h>
#include <keel/testing.h>

#include "internal.h"

#define SYMBOLS_MAGIC   0x4d59534bu
#define SYMBOLS_VERSION 1

struct symbols_header {
    uint32_t magic, version;
    uint64_t base;
    uint32_t function_count, line_count, file_count;
    uint32_t functions_offset, lines_offset, files_offset, strings_offset, strings_size;
};

struct symbols_function {
    uint32_t start, size, name;
};

struct symbols_line {
    uint32_t address;
    uint16_t file, line;
};

static const struct symbols_header *table;
static bool checked;

static bool fits(size_t offset, size_t count, size_t element, size_t total)
{
    return offset <= total && count <= (total - offset) / element;
}

static const struct symbols_header *get_table(void)
{
    if (checked)
        return table;
    checked = true;
    size_t size = (size_t)(__keel_symbols_end - __keel_symbols_start);
    const struct symbols_header *h = (const struct symbols_header *)__keel_symbols_start;
    if (size < sizeof(*h) || h->magic != SYMBOLS_MAGIC || h->version != SYMBOLS_VERSION)
        return NULL;
    if (!fits(h->functions_offset, h->function_count, sizeof(struct symbols_function), size) ||
        !fits(h->lines_offset, h->line_count, sizeof(struct symbols_line), size) ||
        !fits(h->files_offset, h->file_count, sizeof(uint32_t), size) ||
        !fits(h->strings_offset, h->strings_size, 1, size) || h->strings_size == 0 ||
        __keel_symbols_start[h->strings_offset + h->strings_size - 1] != '\0')
        return NULL;
    table = h;
    return table;
}

static const char *string_at(const struct symbols_header *h, uint32_t offset)
{
    if (offset >= h->strings_size)
        return "?";
    return (const char *)__keel_symbols_start + h->strings_offset + offset;
}

static const struct symbols_function *functions(const struct symbols_header *h)
{
    return (const struct symbols_function *)(__keel_symbols_start + h->functions_offset);
}

bool symbol_lookup(uintptr_t addr, struct symbol_info *out)
{
    const struct symbols_header *h = get_table();
    if (!h || addr < h->base || addr - h->base >= 0xffffffffu)
        return false;
    uint32_t target = (uint32_t)(addr - h->base);

    /* The last function starting at or before the address. */
    const struct symbols_function *f = functions(h);
    size_t lo = 0, hi = h->function_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f[mid].start <= target)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || target - f[lo - 1].start >= f[lo - 1].size)
        return false;
    const struct symbols_function *fn = &f[lo - 1];
    out->function = string_at(h, fn->name);
    out->function_start = h->base + fn->start;
    out->offset = target - fn->start;
    out->file = NULL;
    out->line = 0;

    /* The last line entry at or before the address, if inside this function. */
    const struct symbols_line *lines =
        (const struct symbols_line *)(__keel_symbols_start + h->lines_offset);
    lo = 0;
    hi = h->line_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (lines[mid].address <= target)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0 && lines[lo - 1].address >= fn->start && lines[lo - 1].file < h->file_count &&
        lines[lo - 1].line != 0) {
        const uint32_t *files = (const uint32_t *)(__keel_symbols_start + h->files_offset);
        out->file = string_at(h, files[lines[lo - 1].file]);
        out->line = lines[lo - 1].line;
    }
    return true;
}

uintptr_t symbol_address(const char *name)
{
    const struct symbols_header *h = get_table();
    if (!h)
        return 0;
    const struct symbols_function *f = functions(h);
    for (uint32_t i = 0; i < h->function_count; i++)
        if (strcmp(string_at(h, f[i].name), name) == 0)
            return h->base + f[i].start;
    return 0;
}

const char *symbol_describe(uintptr_t site, char *buf, size_t size)
{
    struct symbol_info where;
    if (!site)
        ksnprintf(buf, size, "an unknown place");
    else if (symbol_lookup(site - 1, &where))
        ksnprintf(buf, size, "%s (%s:%d)", where.function, where.file ? where.file : "?",
                  where.line);
    else
        ksnprintf(buf, size, "%p", (void *)site);
    return buf;
}
