/* The GDT (with a TSS), and the IDT pointing at the entry stubs in
 * trap_entry.S. The TSS exists for its interrupt stack table: a double fault
 * switches to a stack of its own, so a kernel stack overflow is reported
 * instead of escalating to a triple fault. */
#include <keel/cpu.h>
#include <keel/panic.h>
#include <keel/thread.h>
#include <keel/trap.h>
#include <keel/user.h>

#include "../../core/internal.h"

#define GDT_KERNEL_CODE      0x08
#define GDT_KERNEL_DATA      0x10
#define GDT_USER_DATA        0x18 /* user selectors are these | 3 */
#define GDT_USER_CODE        0x20
#define GDT_TSS              0x28
#define DOUBLE_FAULT_IST     1
#define EMERGENCY_STACK_SIZE (8 * 1024)

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

struct idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
} __attribute__((packed));

struct descriptor_pointer {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

extern char trap_stubs[];
#define TRAP_STUB_SIZE 16

static struct tss kernel_tss;
static uint64_t gdt[7];
static struct idt_gate idt[256];
static uint8_t double_fault_stack[EMERGENCY_STACK_SIZE] __attribute__((aligned(16)));

/* Exposed for arch_stack_bounds. */
uintptr_t double_fault_stack_bottom = (uintptr_t)double_fault_stack;
uintptr_t double_fault_stack_top = (uintptr_t)double_fault_stack + EMERGENCY_STACK_SIZE;

static void gdt_init(void)
{
    uint64_t tss_base = (uint64_t)&kernel_tss;
    uint64_t tss_limit = sizeof(kernel_tss) - 1;

    gdt[0] = 0;
    gdt[1] = 0x00af9a000000ffffull; /* 64-bit code, ring 0 */
    gdt[2] = 0x00cf92000000ffffull; /* data, ring 0 */
    /* syscall/sysret need user data just below user code (see syscall.S). */
    gdt[3] = 0x00cff2000000ffffull; /* data, ring 3 */
    gdt[4] = 0x00affa000000ffffull; /* 64-bit code, ring 3 */
    /* A 64-bit TSS descriptor takes two slots. Type 0x9: available TSS. */
    gdt[5] = (tss_limit & 0xffff) | ((tss_base & 0xffffff) << 16) | (0x89ull << 40) |
             (((tss_limit >> 16) & 0xf) << 48) | (((tss_base >> 24) & 0xff) << 56);
    gdt[6] = tss_base >> 32;

    kernel_tss.ist[DOUBLE_FAULT_IST - 1] = double_fault_stack_top;
    kernel_tss.iomap_base = sizeof(kernel_tss);

    struct descriptor_pointer pointer = {sizeof(gdt) - 1, (uint64_t)gdt};
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movw %w2, %%ds\n\t"
                     "movw %w2, %%es\n\t"
                     "movw %w2, %%ss\n\t"
                     "ltr %w3"
                     :
                     : "m"(pointer), "i"(GDT_KERNEL_CODE), "r"(GDT_KERNEL_DATA), "r"(GDT_TSS)
                     : "rax", "memory");
}

static void idt_init(void)
{
    for (unsigned vector = 0; vector < 256; vector++) {
        uint64_t handler = (uint64_t)trap_stubs + vector * TRAP_STUB_SIZE;
        struct idt_gate *gate = &idt[vector];
        gate->offset_low = handler & 0xffff;
        gate->selector = GDT_KERNEL_CODE;
        gate->ist = vector == TRAP_DOUBLE_FAULT ? DOUBLE_FAULT_IST : 0;
        /* Present 64-bit interrupt gates; user code may raise only int3
         * and int $0x80 itself (privilege level 3), anything else is a
         * general protection fault. */
        bool user_may_raise = vector == TRAP_BREAKPOINT || vector == USER_SYSCALL_VECTOR;
        gate->type_attr = user_may_raise ? 0xee : 0x8e;
        gate->offset_mid = (handler >> 16) & 0xffff;
        gate->offset_high = handler >> 32;
        gate->reserved = 0;
    }
    struct descriptor_pointer pointer = {sizeof(idt) - 1, (uint64_t)idt};
    __asm__ volatile("lidt %0" ::"m"(pointer) : "memory");
}

extern uint64_t kernel_tss_rsp0; /* syscall.S reads the kernel stack here */
extern char syscall_entry[];
void arch_iret_to_user(uintptr_t rip, uintptr_t rsp, uint64_t arg) KEEL_NORETURN;

#define MSR_EFER     0xc0000080
#define MSR_STAR     0xc0000081
#define MSR_LSTAR    0xc0000082
#define MSR_SFMASK   0xc0000084
#define EFER_SYSCALL 0x1
/* Flags cleared on syscall entry: TF, IF, DF, NT, AC. */
#define SYSCALL_FLAG_MASK 0x44700

void arch_user_protection_init(void);

void arch_set_kernel_stack(uintptr_t top)
{
    kernel_tss.rsp[0] = top;
    kernel_tss_rsp0 = top;
}

void arch_syscall_init(void)
{
    cpu_write_msr(MSR_EFER, cpu_read_msr(MSR_EFER) | EFER_SYSCALL);
    /* syscall loads CS = 0x08, SS = 0x10; sysret CS = 0x10 + 16 | 3 (user
     * code), SS = 0x10 + 8 | 3 (user data): hence the GDT's order. */
    cpu_write_msr(MSR_STAR, ((uint64_t)GDT_KERNEL_DATA << 48) | ((uint64_t)GDT_KERNEL_CODE << 32));
    cpu_write_msr(MSR_LSTAR, (uint64_t)syscall_entry);
    cpu_write_msr(MSR_SFMASK, SYSCALL_FLAG_MASK);
    arch_set_kernel_stack((uintptr_t)boot_stack_top);
}

void user_enter(uintptr_t rip, uintptr_t rsp, uint64_t arg, uintptr_t kernel_stack_top)
{
    arch_set_kernel_stack(kernel_stack_top);
    arch_iret_to_user(rip, rsp, arg);
}

void arch_user_return_frame(struct trap_frame *frame) KEEL_NORETURN;

void user_return(const struct trap_frame *frame)
{
    if ((frame->cs & 3) != 3 || (frame->ss & 3) != 3)
        keel_report_bug((uintptr_t)__builtin_return_address(0),
                        "user_return with a frame that does not return to user mode (cs %#lx)",
                        frame->cs);
    /* Load a copy on our own stack; traps from user mode start again at the
     * top of this thread's kernel stack. */
    struct thread *self = thread_current();
    struct trap_frame local = *frame;
    local.rflags |= 0x200; /* interrupts on in user mode */
    arch_set_kernel_stack(self ? self->framework.stack_top : (uintptr_t)boot_stack_top);
    arch_user_return_frame(&local);
}

void arch_cpu_init(void)
{
    /* The IDT first: from here on every fault is reported. */
    idt_init();
    gdt_init();
    arch_syscall_init();
    /* FPU and SSE on (threads and user programs have their own state):
     * CR0.MP set, CR0.EM clear; CR4.OSFXSR and CR4.OSXMMEXCPT set. */
    uint64_t cr0;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    cr0 = (cr0 | (1u << 1)) & ~(uint64_t)(1u << 2);
    __asm__ volatile("mov %0, %%cr0" ::"r"(cr0));
    uint64_t cr4 = cpu_read_cr4() | (1u << 9) | (1u << 10);
    __asm__ volatile("mov %0, %%cr4" ::"r"(cr4));
    __asm__ volatile("fninit");
    arch_user_protection_init();
}
