/* Lab 4's kernel: your round-robin scheduler runs three threads that share
 * the CPU and a mutex. You do not need to change this file. */
#include <lab.h>
#include <lab2.h>

#include "lab4.h"

static struct mutex print_lock;

static void worker(void *name)
{
    for (int round = 0; round < 3; round++) {
        mutex_lock(&print_lock);
        kprintf("  %s: round %d\n", (const char *)name, round);
        mutex_unlock(&print_lock);
        thread_yield();
    }
}

void lab_main(const struct boot_info *info)
{
    (void)info;
    frame_allocator_install(&buddy_allocator);
    mutex_init(&print_lock);
    scheduler_install(&rr_scheduler);
    scheduler_start(1000);
    kprintf("Scheduler: %s. Three threads take turns:\n", scheduler_current()->name);
    struct thread *threads[3];
    static const char *const names[] = {"first", "second", "third"};
    for (int i = 0; i < 3; i++)
        threads[i] = thread_create(names[i], worker, (void *)names[i]);
    for (int i = 0; i < 3; i++)
        if (!threads[i] || thread_join(threads[i]) != 0) {
            kprintf("thread_create or thread_join is not working yet.\n");
            return;
        }
    kprintf("All threads joined.\n");
}
