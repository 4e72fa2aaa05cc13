/* The PC's descriptor tables: the GDT (with a TSS), and the IDT pointing at
 * the entry stubs in trap_entry.S. The TSS exists for its interrupt stack
 * table: a double fault switches to a stack of its own, so a kernel stack
 * overflow is reported instead of escalating to a triple fault; and for
 * rsp0, the stack a trap from user mode arrives on. (The GDT's order is
 * what syscall/sysret need: see user_mode.c.) */
#include <keel/trap.h>
#include <keel/user.h>

#include "../../core/internal.h"
#include "pc.h"

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

#define TRAP_STUB_SIZE 16

static struct tss kernel_tss;
static uint64_t gdt[7];
static struct idt_gate idt[256];
static uint8_t double_fault_stack[EMERGENCY_STACK_SIZE] __attribute__((aligned(16)));

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

void platform_set_kernel_stack(uintptr_t top)
{
    kernel_tss.rsp[0] = top;
    kernel_tss_rsp0 = top;
}

void pc_descriptors_init(void)
{
    /* The IDT first: from here on every fault is reported. */
    idt_init();
    gdt_init();
}
