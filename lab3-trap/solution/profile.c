/* Lab 3, challenge part: a sampling profiler fed by the timer. (Reference
 * solution.) */
#include "lab3.h"

/* Each sample: its RIP, then its callers' return addresses, 0 after the
 * last. */
static uintptr_t samples[PROFILE_MAX_SAMPLES][PROFILE_MAX_DEPTH];
static struct profile_stats stats;
static volatile bool profiling;

void profile_start(void)
{
    irq_push_off(); /* no tick may see the counters half reset */
    stats = (struct profile_stats){0};
    profiling = true;
    irq_pop_off();
}

void profile_stop(void)
{
    profiling = false;
}

void profile_tick(const struct trap_frame *frame)
{
    if (profiling)
        profile_record(frame->rip, frame->rbp, (frame->cs & 3) == 3);
}

/* The 8 bytes at `address`, if every one can be read. */
static bool read_word(uintptr_t address, uintptr_t *out)
{
    uintptr_t value = 0;
    for (int i = 0; i < 8; i++) {
        uint8_t byte;
        if (!safe_read8((const void *)(address + (uintptr_t)i), &byte))
            return false;
        value |= (uintptr_t)byte << (8 * i);
    }
    *out = value;
    return true;
}

/* Fill `chain` (PROFILE_MAX_DEPTH entries) with rip and its callers. */
static void walk(uintptr_t *chain, uintptr_t rip, uintptr_t rbp)
{
    int depth = 0;
    chain[depth++] = rip;
    while (depth < PROFILE_MAX_DEPTH && rbp && rbp % 8 == 0) {
        uintptr_t next, ret;
        if (!read_word(rbp + 8, &ret) || !read_word(rbp, &next) || !ret)
            break;
        chain[depth++] = ret;
        if (next <= rbp)
            break;
        rbp = next;
    }
    while (depth < PROFILE_MAX_DEPTH)
        chain[depth++] = 0;
}

void profile_record(uintptr_t rip, uintptr_t rbp, bool user)
{
    if (!profiling)
        return;
    irq_push_off();
    stats.ticks++;
    if (user)
        stats.user++;
    else if (stats.kernel < PROFILE_MAX_SAMPLES)
        walk(samples[stats.kernel++], rip, rbp);
    else
        stats.dropped++;
    irq_pop_off();
}

void profile_get_stats(struct profile_stats *out)
{
    irq_push_off();
    *out = stats;
    irq_pop_off();
}

static const char *name_of(const struct profile_entry *entry)
{
    return entry->function ? entry->function : "?";
}

/* Whether `a` comes before `b` in the histogram. */
static bool hotter(const struct profile_entry *a, const struct profile_entry *b)
{
    if (a->count != b->count)
        return a->count > b->count;
    return strcmp(name_of(a), name_of(b)) < 0;
}

/* Every function with samples, at most one entry per sample. */
static struct profile_entry functions[PROFILE_MAX_SAMPLES];

size_t profile_histogram(struct profile_entry *out, size_t max)
{
    size_t n = 0;
    for (uint64_t i = 0; i < stats.kernel; i++) {
        struct symbol_info info;
        struct profile_entry key = {NULL, 0, 1};
        if (symbol_lookup(samples[i][0], &info))
            key = (struct profile_entry){info.function, info.function_start, 1};
        size_t j = 0;
        while (j < n && functions[j].start != key.start)
            j++;
        if (j < n)
            functions[j].count++;
        else
            functions[n++] = key;
    }
    /* Insertion sort: hottest first. */
    for (size_t i = 1; i < n; i++) {
        struct profile_entry entry = functions[i];
        size_t j = i;
        for (; j > 0 && hotter(&entry, &functions[j - 1]); j--)
            functions[j] = functions[j - 1];
        functions[j] = entry;
    }
    for (size_t i = 0; i < n && i < max; i++)
        out[i] = functions[i];
    return n;
}

uint64_t profile_inclusive(const char *function)
{
    uint64_t count = 0;
    for (uint64_t i = 0; i < stats.kernel; i++) {
        for (int depth = 0; depth < PROFILE_MAX_DEPTH && samples[i][depth]; depth++) {
            struct symbol_info info;
            uintptr_t address = depth ? samples[i][depth] - 1 : samples[i][depth];
            if (symbol_lookup(address, &info) && strcmp(info.function, function) == 0) {
                count++;
                break;
            }
        }
    }
    return count;
}

int profile_report(char *buf, size_t size, size_t top)
{
    size_t n = profile_histogram(NULL, 0); /* sorted in `functions` */
    const struct profile_entry *entries = functions;
    size_t used = 0;
    /* What ksnprintf would need, whether or not it fits. */
#define APPEND(...)                                                                                \
    used += (size_t)ksnprintf(buf + (used < size ? used : size), used < size ? size - used : 0,    \
                              __VA_ARGS__)
    APPEND("profile: %lu samples: %lu kernel, %lu user, %lu dropped\n", stats.ticks, stats.kernel,
           stats.user, stats.dropped);
    uint64_t rest = 0;
    for (size_t i = 0; i < n; i++) {
        if (i >= top) {
            rest += entries[i].count;
            continue;
        }
        uint64_t permille = entries[i].count * 1000 / stats.kernel;
        APPEND("%6lu %3lu.%lu%% %s\n", entries[i].count, permille / 10, permille % 10,
               name_of(&entries[i]));
    }
    if (n > top)
        APPEND("%6lu in %lu more functions\n", rest, n - top);
#undef APPEND
    return (int)used;
}
