/* Lab 5 challenge tests: copy-on-write fork and demand-zero memory. Each
 * runs a program from lab5-user/programs that measures itself with
 * getrusage (ru_minflt: the faults vm_fault resolved for it, which setup.c
 * counts) and sysinfo (free memory), and prints what it found. */
#include <keel/testing.h>
#include <ktest.h>

#include "support.h"

#define SIGKILL 9
#define SIGSEGV 11

/* Run the program `name`; it must exit with 0. `what` says what it checks,
 * for the verdict. */
static void expect_success(const char *name, const char *what)
{
    uint64_t cow_before, lazy_before, cow, lazy;
    vm_fault_totals(&cow_before, &lazy_before);
    const char *argv[] = {name, NULL};
    int status = run_program(argv);
    vm_fault_totals(&cow, &lazy);
    KT_ASSERT(status == 0,
              "%s: '%s' ended with wait status %#x, not exit code 0 (vm_fault resolved %lu "
              "copy-on-write and %lu demand-zero faults meanwhile). Its output:\n%s",
              what, name, status, (unsigned long)(cow - cow_before),
              (unsigned long)(lazy - lazy_before), run_output);
}

KTEST(fork_shares_pages_until_written)
{
    expect_success("cowshare", "after fork, each page the child writes must cost it exactly one "
                               "copy-on-write fault (pages are shared read-only until written), "
                               "and the parent must not see the child's writes");
}

KTEST(fork_copies_no_pages_up_front)
{
    expect_success("cowframes", "fork of a process with 1024 touched pages must not copy them "
                                "(fewer than 64 frames for page tables and the like)");
}

KTEST(brk_and_mmap_allocate_on_first_touch)
{
    expect_success("lazymem", "a 16 MiB mmap or brk must allocate no frame until touched; then "
                              "one demand-zero fault and one zeroed frame per page touched, and "
                              "munmap must give them back");
}

KTEST(bad_accesses_beyond_lazy_memory_get_sigsegv)
{
    static const char *const cases[] = {"brk", "munmap", "readonly"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *argv[] = {"lazybad", cases[i], NULL};
        int status = run_program(argv);
        KT_ASSERT(strstr(run_output, "now the bad access"),
                  "lazybad %s: it stopped before its bad access (wait status %#x): its %s must "
                  "allocate nothing up front. Output:\n%s",
                  cases[i], status, strcmp(cases[i], "brk") ? "mmap" : "brk", run_output);
        KT_ASSERT(status == SIGSEGV,
                  "lazybad %s: wait status %#x; expected SIGSEGV (11): %s is not demand-zero "
                  "memory, so vm_fault must answer VM_FAULT_BAD. Output:\n%s",
                  cases[i], status,
                  !strcmp(cases[i], "brk")      ? "a page past the break"
                  : !strcmp(cases[i], "munmap") ? "a hole munmap made in a mapping"
                                                : "a write to a PROT_READ mapping",
                  run_output);
    }
}

KTEST(read_only_pages_stay_read_only_after_fork)
{
    expect_success("cowro", "fork must share read-only pages without copying them, and a write "
                            "to one must still be a segmentation fault (never PTE_COW)");
}

KTEST(shared_frames_return_to_their_last_owner)
{
    expect_success("cowlast", "once the other sharers of its pages have exited or called "
                              "execve, a process's writes must each take one fault and no new "
                              "frame, and no shared page may be freed while someone maps it");
}

/* Frames the test holds while cowoom runs, so that it fills memory fast:
 * a list through the blocks themselves. */
static phys_addr_t hog(uint64_t leave)
{
    phys_addr_t list = 0;
    for (unsigned order = FRAME_MAX_ORDER;;) {
        uint64_t free_frames = frame_free_count();
        if (free_frames <= leave)
            break;
        while (order > 0 && (1ul << order) > free_frames - leave)
            order--;
        phys_addr_t block = frame_alloc(order);
        if (!block)
            break;
        uint64_t *head = phys_to_virt(block);
        head[0] = list;
        head[1] = order;
        list = block;
    }
    return list;
}

static void unhog(phys_addr_t list)
{
    while (list) {
        const uint64_t *head = phys_to_virt(list);
        phys_addr_t next = head[0];
        frame_free(list, (unsigned)head[1]);
        list = next;
    }
}

KTEST(out_of_memory_in_a_cow_fault_kills_only_the_child)
{
    lab5_start();
    phys_addr_t held = hog(4096);
    const char *argv[] = {"cowoom", NULL};
    int status = run_program(argv);
    unhog(held);
    KT_ASSERT(status == 0,
              "cowoom: wait status %#x, not exit code 0: when no frame is left for a "
              "copy-on-write fault, vm_fault must answer VM_FAULT_OOM (setup.c then kills the "
              "faulting child with SIGKILL), and the parent's memory must be intact. Its "
              "output:\n%s",
              status, run_output);
    KT_ASSERT(strstr(run_output, "killed by signal 9"), "cowoom: no 'killed by signal 9' line:\n%s",
              run_output);
}
