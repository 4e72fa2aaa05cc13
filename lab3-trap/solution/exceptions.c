/* Lab 3, part 1: exceptions and breakpoints. (Reference solution.) */
#include "lab3.h"

#define PF_PRESENT 0x1
#define PF_WRITE   0x2
#define PF_USER    0x4
#define PF_FETCH   0x10

static uint64_t breakpoints;

int exception_describe(const struct trap_frame *frame, uint64_t fault_address, char *buf,
                       size_t size)
{
    unsigned vector = (unsigned)frame->vector;
    int n = ksnprintf(buf, size, "%s (vector %u) at RIP 0x%016lx, error code 0x%lx",
                      trap_name(vector), vector, frame->rip, frame->error_code);
    if (vector == TRAP_PAGE_FAULT && n >= 0 && (size_t)n < size) {
        uint64_t e = frame->error_code;
        const char *access = (e & PF_FETCH)   ? "instruction fetch"
                             : (e & PF_WRITE) ? "write"
                                              : "read";
        n += ksnprintf(buf + n, size - (size_t)n, "; address 0x%lx: %s, %s, %s mode", fault_address,
                       access, (e & PF_PRESENT) ? "protection violation" : "page not present",
                       (e & PF_USER) ? "user" : "kernel");
    }
    return n;
}

bool exception_handler(struct trap_frame *frame)
{
    char line[200];
    exception_describe(frame, cpu_read_cr2(), line, sizeof(line));
    kprintf("Exception: %s\n", line);
    return false;
}

bool breakpoint_handler(struct trap_frame *frame)
{
    breakpoints++;
    kprintf("Breakpoint at RIP 0x%016lx\n", frame->rip);
    return true;
}

uint64_t breakpoint_count(void)
{
    return breakpoints;
}

void lab3_install(void)
{
    for (unsigned vector = 0; vector < 32; vector++)
        trap_set_handler(vector,
                         vector == TRAP_BREAKPOINT ? breakpoint_handler : exception_handler);
    trap_set_handler(TIMER_VECTOR, timer_handler);
    trap_set_handler(irq_vector(ISA_IRQ_COM1), serial_interrupt_handler);
    trap_set_handler(SYSCALL_VECTOR, syscall_handler);
}
