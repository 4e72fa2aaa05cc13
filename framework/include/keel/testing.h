/* Hooks for tests: the framework's own tests, the labs' tests and the
 * in-kernel test runner. Not part of the API labs are written against
 * (keel.h does not include it, and the graders refuse lab code that uses
 * what it declares: see grading/README.md, "What lab code may contain"). */
#ifndef KEEL_TESTING_H
#define KEEL_TESTING_H

#include <keel/types.h>

/* Return the address of the function called `name`, or 0 if there is none.
 * Any context. (Not for lab code: it would reach any framework function,
 * the graders' own included.) */
uintptr_t symbol_address(const char *name);

/* How many traps with vector `vector` (0-255; 0 for any other) the
 * framework has dispatched since boot, whether a handler took them or not:
 * to check a lab's own count of its interrupts against the framework's.
 * Any context. */
uint64_t trap_dispatch_count(unsigned vector);

/* ---- console output (see <keel/console.h>) ----------------------------------------------- */

/* Start copying all console output into `buf` (capacity `size`, always kept
 * NUL-terminated) as well as to the consoles, to check what a function
 * printed. The caller keeps `buf` alive until console_capture_end. Returns
 * false if a capture is already active. Any context. */
bool console_capture_begin(char *buf, size_t size);

/* Stop capturing and return the number of bytes captured (output that did not
 * fit is counted but not stored). Any context. */
size_t console_capture_end(void);

/* ---- pretend devices behind I/O ports (see <keel/io.h>) ---------------------------------- */

/* A pretend device behind ports [base, base + count). While installed, every
 * io_in* / io_out* on those ports calls `read` / `write` instead of touching
 * hardware. Width is 1, 2 or 4 bytes. `ctx` is passed back unchanged. */
struct io_mock {
    uint16_t base;
    uint16_t count;
    uint32_t (*read)(struct io_mock *mock, uint16_t port, int width);
    void (*write)(struct io_mock *mock, uint16_t port, int width, uint32_t value);
    void *ctx;
};

/* Put `mock` in front of its port range; at most one mock is installed at a
 * time and installing replaces the previous one. The caller owns `mock` and
 * must keep it alive until io_mock_remove(). Any context. */
void io_mock_install(struct io_mock *mock);

/* Remove the installed mock, if any, so ports reach hardware again. Any
 * context. */
void io_mock_remove(void);

/* ---- leak checks (the test runner's, after every test) ------------------------------------ */

/* What lab code held at one moment: frames (page-table pages included), heap
 * blocks and threads, and the allocation serial number then. What the
 * framework keeps for itself (heap slabs, the idle thread, its own data,
 * kernel stacks, which go with their thread) is not counted. */
struct leak_snapshot {
    uint32_t serial;
    uint64_t frames, heap_blocks, threads;
};

/* Fill `snapshot` with what lab code holds now: a few counters, cheap.
 * Kernel context. */
void leak_snapshot_take(struct leak_snapshot *snapshot);

/* Compare what lab code holds now with `before`. True if no count grew.
 * Otherwise walk the page array and the heap for what was allocated since
 * `before` and is still held, print it on the console grouped by the place
 * that allocated it ("[leak] ..." lines: threads with their names and state,
 * page-table pages, frames, heap blocks, each with function (file:line)),
 * write a one-line summary for the grader into `reason` (capacity `size`,
 * NUL-terminated; as many places as fit), and return false. Kernel context,
 * not from an interrupt handler. */
bool leak_check(const struct leak_snapshot *before, char *reason, size_t size);

/* ---- schedule perturbation (see core/perturb.c) -------------------------------------------- */

/* Arm schedule perturbation with `seed` (0: disarm, as schedule_perturb_stop):
 * from now on the framework preempts the running thread at random where a
 * timer tick could (when interrupts are unmasked or about to be masked, so
 * at every spin_lock and spin_unlock, and in thread_current), gives every
 * preempting timer tick a random period (half to twice scheduler_start's
 * rate) and preempts at one tick in eight whatever the scheduler says, so a
 * race window in lab code is hit in a test. The same seed makes the same
 * choices at the same points. While armed, threads all asleep with only the
 * idle thread running for a second are reported as a bug (a lost wakeup or
 * a deadlock). Prints the seed. Kernel context, after scheduler_start. */
void schedule_perturb_start(uint64_t seed);

/* Disarm schedule perturbation (nothing if it is not armed); prints how
 * many preemptions it forced. Any context. */
void schedule_perturb_stop(void);

/* The armed perturbation's seed, 0 when disarmed. Any context. */
uint64_t schedule_perturb_seed(void);

/* Preemptions forced since the last schedule_perturb_start. Any context. */
uint64_t schedule_perturb_preemptions(void);

#endif
