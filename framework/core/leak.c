/* Leak checks (see <keel/testing.h>): a kmemleak for labs. The test runner
 * takes a snapshot of a few counters before each test and compares after it:
 * frames, page-table pages, heap blocks and threads that lab code holds (the
 * frame allocator, the heap and thread_new keep the counters, per kind of
 * holder: see frame_kind and heap_kind in internal.h). Only when a count grew
 * does it walk the page array and the heap for what was allocated during the
 * test and is still held, grouped by the place that allocated it.
 *
 * What the framework keeps for itself is never counted: the heap's slabs
 * (it keeps them as a cache), the idle thread and framework data (created
 * once, on first use), kernel stacks (they go with their thread). */
#include <keel/kprintf.h>
#include <keel/mm.h>
#include <keel/paging.h>
#include <keel/string.h>
#include <keel/symbols.h>
#include <keel/testing.h>
#include <keel/thread.h>

#include "internal.h"

#define MAX_GROUPS 24

enum leak_what { LEAK_THREAD, LEAK_PAGE_TABLE, LEAK_FRAMES, LEAK_HEAP };

/* Everything held that was allocated at one place. */
struct leak_group {
    enum leak_what what;
    uintptr_t site;
    uint64_t count;  /* threads, blocks */
    uint64_t amount; /* frames, or bytes for heap blocks */
    const struct thread *first;
};

struct leak_report {
    struct leak_group groups[MAX_GROUPS];
    unsigned count;
    uint64_t others; /* held, but beyond MAX_GROUPS places */
};

void leak_snapshot_take(struct leak_snapshot *snapshot)
{
    snapshot->serial = alloc_serial;
    snapshot->frames = frames_live[FRAME_KIND_LAB] + frames_live[FRAME_KIND_PAGE_TABLE];
    snapshot->heap_blocks = heap_live_blocks[HEAP_KIND_LAB];
    snapshot->threads = heap_live_blocks[HEAP_KIND_THREAD];
}

/* Whether two allocation sites are one line of source (two calls on a line
 * have two return addresses). */
static bool same_place(uintptr_t a, uintptr_t b)
{
    struct symbol_info x, y;
    if (a == b)
        return true;
    return a && b && symbol_lookup(a - 1, &x) && symbol_lookup(b - 1, &y) && x.file && y.file &&
           x.line == y.line && x.function_start == y.function_start && strcmp(x.file, y.file) == 0;
}

static void add(struct leak_report *report, enum leak_what what, uintptr_t site, uint64_t amount,
                const struct thread *thread)
{
    for (unsigned i = 0; i < report->count; i++) {
        struct leak_group *g = &report->groups[i];
        if (g->what == what && same_place(g->site, site)) {
            g->count++;
            g->amount += amount;
            return;
        }
    }
    if (report->count == MAX_GROUPS) {
        report->others++;
        return;
    }
    report->groups[report->count++] = (struct leak_group){what, site, 1, amount, thread};
}

static void visit_heap_block(void *block, size_t size, enum heap_kind kind, uintptr_t site,
                             void *context)
{
    if (kind == HEAP_KIND_LAB)
        add(context, LEAK_HEAP, site, size, NULL);
    else if (kind == HEAP_KIND_THREAD)
        add(context, LEAK_THREAD, site, 0, block);
}

/* Whether a frame allocated at `site` is a page-table page: allocated by the
 * framework for one (paging_new_root, inside vm_map), or inside the lab's
 * page-table walk. */
static bool is_page_table(const struct frame_record *record, uintptr_t site)
{
    if (record->kind == FRAME_KIND_PAGE_TABLE)
        return true;
    const struct page_table_ops *ops = page_table_ops_current();
    struct symbol_info where;
    return ops && ops->walk && symbol_lookup(site - 1, &where) &&
           where.function_start == (uintptr_t)ops->walk;
}

static void collect(struct leak_report *report, uint32_t since)
{
    for (uint64_t pfn = 0; pfn < mm_frame_count(); pfn++) {
        const struct page *page = pfn_to_page(pfn);
        const struct frame_record *record = frame_record_of(pfn);
        if (page->state != PAGE_ALLOCATED || page->block_order == 0 ||
            (int32_t)(record->serial - since) <= 0 ||
            (record->kind != FRAME_KIND_LAB && record->kind != FRAME_KIND_PAGE_TABLE))
            continue;
        add(report, is_page_table(record, page->site) ? LEAK_PAGE_TABLE : LEAK_FRAMES, page->site,
            1ull << (page->block_order - 1), NULL);
    }
    heap_for_each_since(since, visit_heap_block, report);
}

static const char *state_name(enum thread_state state)
{
    switch (state) {
    case THREAD_READY:
        return "ready";
    case THREAD_RUNNING:
        return "running";
    case THREAD_BLOCKED:
        return "blocked";
    case THREAD_DEAD:
        return "dead";
    }
    return "in an unknown state";
}

/* One group as a phrase: "2 heap blocks (48 bytes) allocated in f (file:line)";
 * shorter for the grader's one-line summary. */
static void describe(const struct leak_group *g, bool brief, char *buf, size_t size)
{
    char where[160];
    symbol_describe(g->site, where, sizeof(where));
    const char *s = g->count == 1 ? "" : "s", *at = brief ? "from" : "allocated in";
    switch (g->what) {
    case LEAK_THREAD:
        ksnprintf(buf, size,
                  "%lu thread%s ('%s', %s%s) created by %s, never freed with thread_free%s",
                  g->count, s, g->first->name, state_name(g->first->state),
                  g->count > 1 ? ", and others" : "", where,
                  brief ? "" : " (its struct and its stack stay allocated)");
        break;
    case LEAK_PAGE_TABLE:
        ksnprintf(buf, size, "%lu page-table page%s %s %s", g->amount, g->amount == 1 ? "" : "s",
                  at, where);
        break;
    case LEAK_FRAMES:
        ksnprintf(buf, size, "%lu frame%s (%lu block%s) %s %s", g->amount,
                  g->amount == 1 ? "" : "s", g->count, s, at, where);
        break;
    case LEAK_HEAP:
        ksnprintf(buf, size, "%lu heap block%s (%lu bytes) %s %s", g->count, s, g->amount, at,
                  where);
        break;
    }
}

/* Threads first, then page tables, frames and heap blocks; the most first. */
static void sort(struct leak_report *report)
{
    for (unsigned i = 1; i < report->count; i++) {
        struct leak_group g = report->groups[i];
        unsigned j = i;
        while (j > 0 &&
               (report->groups[j - 1].what > g.what || (report->groups[j - 1].what == g.what &&
                                                        report->groups[j - 1].amount < g.amount))) {
            report->groups[j] = report->groups[j - 1];
            j--;
        }
        report->groups[j] = g;
    }
}

/* Append `text` to `buf` if it fits whole; false if it did not. */
static bool append(char *buf, size_t size, const char *text)
{
    size_t used = strlen(buf), length = strlen(text);
    if (used + length + 1 > size)
        return false;
    memcpy(buf + used, text, length + 1);
    return true;
}

/* "1 more thread, 4 more frames and 2 more heap blocks" (the counts that grew). */
static void growth(const struct leak_snapshot *before, const struct leak_snapshot *now, char *buf,
                   size_t size)
{
    const char *names[] = {"thread", "frame", "heap block"};
    uint64_t was[] = {before->threads, before->frames, before->heap_blocks};
    uint64_t is[] = {now->threads, now->frames, now->heap_blocks};
    unsigned grown = 0, total = 0;
    for (unsigned i = 0; i < 3; i++)
        total += is[i] > was[i];
    buf[0] = '\0';
    for (unsigned i = 0; i < 3; i++) {
        if (is[i] <= was[i])
            continue;
        char part[48];
        uint64_t n = is[i] - was[i];
        ksnprintf(part, sizeof(part), "%s%lu more %s%s",
                  grown == 0           ? ""
                  : grown + 1 == total ? " and "
                                       : ", ",
                  n, names[i], n == 1 ? "" : "s");
        append(buf, size, part);
        grown++;
    }
}

bool leak_check(const struct leak_snapshot *before, char *reason, size_t size)
{
    struct leak_snapshot now;
    leak_snapshot_take(&now);
    if (now.threads <= before->threads && now.frames <= before->frames &&
        now.heap_blocks <= before->heap_blocks)
        return true;

    static struct leak_report report;
    memset(&report, 0, sizeof(report));
    collect(&report, before->serial);
    sort(&report);
    char counts[160], line[320];
    growth(before, &now, counts, sizeof(counts));
    ksnprintf(reason, size,
              "memory leak: the test ended holding %s than at its start. Never freed:", counts);
    kprintf("[leak] the test ended holding %s than it started with; allocated during the test "
            "and still held:\n",
            counts);
    bool complete = true;
    for (unsigned i = 0; i < report.count; i++) {
        describe(&report.groups[i], false, line, sizeof(line));
        kprintf("[leak]   %s\n", line);
        if (complete) {
            char item[330];
            describe(&report.groups[i], true, line, sizeof(line));
            ksnprintf(item, sizeof(item), "%s %s", i == 0 ? "" : ";", line);
            complete = append(reason, size, item);
        }
    }
    if (report.others)
        kprintf("[leak]   and %lu more from other places\n", report.others);
    if (report.count == 0) {
        /* A count grew, so something allocated since is held; the walk
         * found none of it: the heap's headers or the page array must
         * have been overwritten. */
        kprintf("[leak]   (none found: the heap or the page array may be damaged)\n");
        append(reason, size, " none found (the heap or the page array may be damaged)");
    } else if (!complete || report.others) {
        append(reason, size, " ... (all of it is on the console)");
    }
    return false;
}
