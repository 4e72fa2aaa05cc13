/* Shared set-up for the lab 4 tests. */
#ifndef LAB4_TEST_SUPPORT_H
#define LAB4_TEST_SUPPORT_H

#include "../lab4.h"

/* Check `ops` on a made-up thread (so a scheduler that loses threads fails
 * here, clearly, instead of hanging the kernel), install it, and start
 * scheduling with a 1000 Hz timer. With keel.perturb=SEED on the command
 * line (the graders' repeated runs of the concurrency tests), also arm
 * schedule perturbation with that seed. */
void start_scheduler(const struct scheduler_ops *ops);

/* start_scheduler without perturbation whatever the command line says: for
 * tests that count timer ticks (MLFQ's quanta and boosts). */
void start_scheduler_unperturbed(const struct scheduler_ops *ops);

/* The same, but with the timer stopped: threads switch only where they
 * yield, sleep or exit, so the order they run in follows from the scheduler's
 * rules alone and a host-checked test can predict it exactly. */
void start_scheduler_without_preemption(const struct scheduler_ops *ops);

/* thread_create that fails the test on NULL. */
struct thread *spawn(const char *name, void (*entry)(void *), void *arg);

/* thread_join that fails the test unless it returns 0. */
void join(struct thread *thread);

/* Milliseconds since boot (the framework's clock). */
uint64_t now_ms(void);

#endif
