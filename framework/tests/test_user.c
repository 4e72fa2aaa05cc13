/* Round trips to user mode: syscall and int $0x80 arrive as trap frames
 * from ring 3 and return with their results; a bad return address is
 * refused. */
#include <keel/errno.h>
#include <keel/jump.h>
#include <keel/keel.h>
#include <keel/paging.h>
#include <keel/user.h>
#include <ktest.h>

#include "../core/internal.h"

/* The user program: two calls that add one to their argument (syscall,
 * then int $0x80), then exit with the result. */
__asm__(".section .rodata\n"
        "user_program:\n"
        "    movl $1, %eax\n"
        "    movl $41, %edi\n"
        "    syscall\n"
        "    movq %rax, %rdi\n"
        "    movl $1, %eax\n"
        "    int $0x80\n"
        "    movq %rax, %rdi\n"
        "    movl $60, %eax\n"
        "    syscall\n"
        "1:  jmp 1b\n"
        "user_program_end:\n"
        ".previous\n");
extern const char user_program[], user_program_end[];

#define USER_CODE      0x400000ul
#define USER_STACK_TOP 0x800000ul

static keel_jmp_buf back_in_kernel;
static bool copied_hello;
static long reported[5];
static long exit_status;
static int calls_from_user;
static uint8_t trap_stack[16384] __attribute__((aligned(16)));

static bool on_syscall(struct trap_frame *frame)
{
    if (!trap_from_user(frame))
        return false;
    calls_from_user++;
    switch (frame->rax) {
    case 1:
        frame->rax = frame->rdi + 1;
        return true;
    case 60:
        exit_status = (long)frame->rdi;
        keel_longjmp(back_in_kernel, 1);
    case 99:
        frame->rip = 0x0000800000000000ul; /* not canonical */
        return true;
    case 3: { /* copy_from_user(rdi, rsi bytes) */
        char buffer[16] = {0};
        frame->rax =
            (uint64_t)(long)copy_from_user(buffer, frame->rdi, frame->rsi < 16 ? frame->rsi : 16);
        copied_hello |= frame->rax == 0 && memcmp(buffer, "hello", 5) == 0;
        return true;
    }
    case 4: /* copy_to_user(rdi, "ok") */
        frame->rax = (uint64_t)(long)copy_to_user(frame->rdi, "ok", 3);
        return true;
    case 5: /* report five results */
        reported[0] = (long)frame->rdi;
        reported[1] = (long)frame->rsi;
        reported[2] = (long)frame->rdx;
        reported[3] = (long)frame->r10;
        reported[4] = (long)frame->r8;
        return true;
    default:
        frame->rax = (uint64_t)-ENOSYS;
        return true;
    }
}

/* A page at this address, mapped for the kernel only, if asked. */
#define KERNEL_ONLY_PAGE 0x600000ul
static bool map_kernel_only_page;

/* Where run_user puts the code: at the start of the page at USER_CODE, or
 * (if set) ending with the last byte of the page at this address. */
static uintptr_t code_page_at_end;

static void run_user(const char *code, size_t length)
{
    phys_addr_t root = paging_new_root();
    phys_addr_t text = frame_alloc_zeroed(0), stack = frame_alloc_zeroed(0);
    KT_ASSERT(root && text && stack, "out of memory");
    uintptr_t page = code_page_at_end ? code_page_at_end : USER_CODE;
    size_t offset = code_page_at_end ? PAGE_SIZE - length : 0;
    memcpy((char *)phys_to_virt(text) + offset, code, length);
    KT_ASSERT(arch_map_page(root, page, text, PTE_USER) == 0, "map code");
    KT_ASSERT(arch_map_page(root, USER_STACK_TOP - PAGE_SIZE, stack,
                            PTE_USER | PTE_WRITABLE | PTE_NO_EXECUTE) == 0,
              "map stack");
    phys_addr_t kernel_only = 0;
    if (map_kernel_only_page) {
        kernel_only = frame_alloc_zeroed(0);
        KT_ASSERT(kernel_only &&
                      arch_map_page(root, KERNEL_ONLY_PAGE, kernel_only, PTE_WRITABLE) == 0,
                  "map the kernel-only page");
    }
    trap_handler_t previous = trap_set_handler(USER_SYSCALL_VECTOR, on_syscall);
    calls_from_user = 0;
    exit_status = -1;
    paging_switch(root);
    if (keel_setjmp(back_in_kernel) == 0)
        user_enter(page + offset, USER_STACK_TOP, 0, (uintptr_t)trap_stack + sizeof(trap_stack));
    paging_switch(paging_kernel_root());
    cpu_irq_disable();
    trap_set_handler(USER_SYSCALL_VECTOR, previous);
    /* Give back what the program ran in (the leak check after the test):
     * the top-level table first, which on the Linux platform ends the
     * process behind it, then the pages. The framework's page-table pages
     * under it stay (arch_map_page's come from mm_early_alloc_frame, for
     * good). */
    frame_free(root, 0);
    frame_free(text, 0);
    frame_free(stack, 0);
    if (kernel_only)
        frame_free(kernel_only, 0);
}

KTEST(user_mode_round_trips)
{
    run_user(user_program, (size_t)(user_program_end - user_program));
    KT_ASSERT_EQ(calls_from_user, 3, "system calls seen from user mode");
    KT_ASSERT_EQ(exit_status, 43, "exit status (41 + 1 by syscall, + 1 by int $0x80)");
}

__asm__(".section .rodata\n"
        "bad_return_program:\n"
        "    movl $99, %eax\n"
        "    syscall\n"
        "1:  jmp 1b\n"
        "bad_return_program_end:\n"
        ".previous\n");
extern const char bad_return_program[], bad_return_program_end[];

KTEST(crash_noncanonical_sysret)
{
    run_user(bad_return_program, (size_t)(bad_return_program_end - bad_return_program));
}

/* A system call as the very last instruction below USER_SPACE_END returns
 * to a non-canonical address. That is the program's fault, not the
 * handler's: the kernel must not report a bug (a PC's sysret would fault in
 * ring 0 with the user's stack) but give the program the general protection
 * fault its next instruction fetch would raise. */
__asm__(".section .rodata\n"
        "last_page_program:\n"
        "    movl $1, %eax\n"
        "    movl $41, %edi\n"
        "    syscall\n"
        "last_page_program_end:\n"
        ".previous\n");
extern const char last_page_program[], last_page_program_end[];

static uint64_t fault_vector, fault_rip;

static bool on_user_fault(struct trap_frame *frame)
{
    if (!trap_from_user(frame))
        return false;
    fault_vector = frame->vector;
    fault_rip = frame->rip;
    keel_longjmp(back_in_kernel, 1);
}

KTEST(syscall_from_the_last_user_page_faults_in_user_mode)
{
    trap_handler_t gp = trap_set_handler(TRAP_GENERAL_PROTECTION, on_user_fault);
    trap_handler_t pf = trap_set_handler(TRAP_PAGE_FAULT, on_user_fault);
    fault_vector = fault_rip = 0;
    code_page_at_end = USER_SPACE_END - PAGE_SIZE;
    run_user(last_page_program, (size_t)(last_page_program_end - last_page_program));
    code_page_at_end = 0;
    trap_set_handler(TRAP_GENERAL_PROTECTION, gp);
    trap_set_handler(TRAP_PAGE_FAULT, pf);
    /* The Linux platform cannot run code in that page at all (its host
     * keeps it): there the program faults on its first instruction. */
    bool pc_way = calls_from_user == 1 && fault_vector == TRAP_GENERAL_PROTECTION &&
                  fault_rip == USER_SPACE_END;
    bool linux_way = calls_from_user == 0 && fault_vector == TRAP_PAGE_FAULT &&
                     fault_rip >= USER_SPACE_END - PAGE_SIZE;
    KT_ASSERT(pc_way || linux_way,
              "%d system calls, then fault vector %lu at %#lx; expected a general protection "
              "fault from user mode at %#lx after the call",
              calls_from_user, (unsigned long)fault_vector, (unsigned long)fault_rip,
              (unsigned long)USER_SPACE_END);
}

/* Ranges that end exactly at the top of the address space (start + size
 * wraps to 0) are not user memory, whichever call checks them. */
KTEST(user_ranges_ending_at_the_top_are_refused)
{
    char buffer[64];
    uint64_t value = 0;
    KT_ASSERT(!user_access_ok((uintptr_t)-PAGE_SIZE, PAGE_SIZE, false),
              "user_access_ok(-4096, 4096)");
    KT_ASSERT(!user_access_ok((uintptr_t)-1, 1, true), "user_access_ok(-1, 1)");
    KT_ASSERT_EQ(copy_from_user(buffer, (uintptr_t)-8, 8), -EFAULT, "copy_from_user(-8, 8)");
    KT_ASSERT_EQ(copy_to_user((uintptr_t)-8, &value, 8), -EFAULT, "copy_to_user(-8, 8)");
    KT_ASSERT_EQ(copy_to_user((uintptr_t)-1, &value, 1), -EFAULT, "copy_to_user(-1, 1)");
    KT_ASSERT_EQ(strncpy_from_user(buffer, (uintptr_t)-16, sizeof(buffer)), -EFAULT,
                 "strncpy_from_user(-16)");
    KT_ASSERT_EQ(copy_from_user(buffer, USER_SPACE_END - 8, 16), -EFAULT,
                 "copy_from_user across USER_SPACE_END");
}

/* make bench: a user program making null system calls. */
__asm__(".section .rodata\n"
        "null_calls_program:\n"
        "    movl $10000, %ebx\n"
        "1:  movl $2, %eax\n"
        "    syscall\n"
        "    decl %ebx\n"
        "    jnz 1b\n"
        "    xorl %edi, %edi\n"
        "    movl $60, %eax\n"
        "    syscall\n"
        "2:  jmp 2b\n"
        "null_calls_program_end:\n"
        ".previous\n");
extern const char null_calls_program[], null_calls_program_end[];

KTEST(bench_null_syscall)
{
    uint64_t begin = time_ns();
    run_user(null_calls_program, (size_t)(null_calls_program_end - null_calls_program));
    uint64_t elapsed = time_ns() - begin;
    KT_ASSERT_EQ(calls_from_user, 10001, "system calls made");
    ktest_bench_report("null system call round trip (user → kernel → user)", elapsed / 10000,
                       "ns/op");
}

/* Copies between kernel and user memory, good and bad. */
__asm__(".section .rodata\n"
        "copy_program:\n"
        "    leaq message(%rip), %rdi\n"
        "    movl $5, %esi\n"
        "    movl $3, %eax\n"
        "    syscall\n" /* a good user buffer */
        "    movq %rax, %r12\n"
        "    movabsq $0xffffffff80100000, %rdi\n"
        "    movl $3, %eax\n"
        "    syscall\n" /* a kernel address */
        "    movq %rax, %r13\n"
        "    movl $0x1000, %edi\n"
        "    movl $3, %eax\n"
        "    syscall\n" /* an unmapped page */
        "    movq %rax, %r14\n"
        "    leaq message(%rip), %rdi\n"
        "    movl $4, %eax\n"
        "    syscall\n" /* writing into read-only code */
        "    movq %rax, %r15\n"
        "    leaq -64(%rsp), %rdi\n"
        "    movl $4, %eax\n"
        "    syscall\n" /* writing onto the stack */
        "    movq %rax, %r8\n"
        "    movq %r12, %rdi\n"
        "    movq %r13, %rsi\n"
        "    movq %r14, %rdx\n"
        "    movq %r15, %r10\n"
        "    movl $5, %eax\n"
        "    syscall\n"
        "    xorl %edi, %edi\n"
        "    movl $60, %eax\n"
        "    syscall\n"
        "message: .ascii \"hello\"\n"
        "copy_program_end:\n"
        ".previous\n");
extern const char copy_program[], copy_program_end[];

KTEST(user_copies_are_checked)
{
    copied_hello = false;
    run_user(copy_program, (size_t)(copy_program_end - copy_program));
    KT_ASSERT(copied_hello && reported[0] == 0, "copy_from_user of a good buffer gave %ld",
              reported[0]);
    KT_ASSERT_EQ(reported[1], -EFAULT, "copy_from_user of a kernel address");
    KT_ASSERT_EQ(reported[2], -EFAULT, "copy_from_user of an unmapped page");
    KT_ASSERT_EQ(reported[3], -EFAULT, "copy_to_user into read-only code");
    KT_ASSERT_EQ(reported[4], 0, "copy_to_user onto the user stack");
}

/* Page faults from user mode carry the CPU's error code and address: each
 * program below faults once, and the handler records what it was told. */
__asm__(".section .rodata\n"
        "fault_read:\n"
        "    movq 0x600000, %rax\n"
        "1:  jmp 1b\n"
        "fault_write:\n"
        "    movq %rax, 0x600000\n"
        "1:  jmp 1b\n"
        "fault_write_code:\n"
        "    movq %rax, 0x400000\n"
        "1:  jmp 1b\n"
        "fault_fetch_stack:\n"
        "    movl $0x7ff000, %eax\n"
        "    jmp *%rax\n"
        "fault_fetch_unmapped:\n"
        "    movl $0x600000, %eax\n"
        "    jmp *%rax\n"
        "fault_programs_end:\n"
        ".previous\n");
extern const char fault_read[], fault_write[], fault_write_code[], fault_fetch_stack[],
    fault_fetch_unmapped[], fault_programs_end[];

static uint64_t fault_error, fault_address;

static bool on_user_page_fault(struct trap_frame *frame)
{
    if (!trap_from_user(frame))
        return false;
    fault_error = frame->error_code;
    fault_address = cpu_read_cr2();
    keel_longjmp(back_in_kernel, 1);
}

#define PF_PRESENT 1u
#define PF_WRITE   2u
#define PF_USER    4u
#define PF_FETCH   16u

static void expect_fault(const char *program, bool kernel_only_page, uint64_t error,
                         uint64_t address, const char *what)
{
    trap_handler_t previous = trap_set_handler(TRAP_PAGE_FAULT, on_user_page_fault);
    fault_error = fault_address = ~0ul;
    map_kernel_only_page = kernel_only_page;
    run_user(program, (size_t)(fault_programs_end - program));
    map_kernel_only_page = false;
    trap_set_handler(TRAP_PAGE_FAULT, previous);
    KT_ASSERT(fault_error == error && fault_address == address,
              "%s: error code %#lx at %#lx; a PC gives %#lx at %#lx", what, fault_error,
              fault_address, error, address);
}

KTEST(user_faults_carry_the_cpu_error_code)
{
    /* The instruction-fetch bit comes with no-execute support (EFER.NXE). */
    uint64_t fetch = kernel_no_execute ? PF_FETCH : 0;
    expect_fault(fault_read, false, PF_USER, KERNEL_ONLY_PAGE, "read of an unmapped page");
    expect_fault(fault_write, false, PF_USER | PF_WRITE, KERNEL_ONLY_PAGE,
                 "write to an unmapped page");
    expect_fault(fault_read, true, PF_USER | PF_PRESENT, KERNEL_ONLY_PAGE,
                 "read of a page without PTE_USER");
    expect_fault(fault_write_code, false, PF_USER | PF_PRESENT | PF_WRITE, USER_CODE,
                 "write to read-only code");
    if (kernel_no_execute)
        expect_fault(fault_fetch_stack, false, PF_USER | PF_PRESENT | PF_FETCH,
                     USER_STACK_TOP - PAGE_SIZE, "jump into the no-execute stack");
    expect_fault(fault_fetch_unmapped, false, PF_USER | fetch, KERNEL_ONLY_PAGE,
                 "jump to an unmapped page");
}

/* With SMAP (boot with -cpu max), the kernel may not touch user pages
 * outside copy_*_user: a plain read faults. */
KTEST(needs_smep_smap)
{
    KT_ASSERT(user_protection_smep() && user_protection_smap(), "SMEP/SMAP are off on this CPU");
    phys_addr_t root = paging_new_root();
    phys_addr_t page = frame_alloc_zeroed(0);
    KT_ASSERT(root && page && arch_map_page(root, USER_CODE, page, PTE_USER) == 0, "map");
    paging_switch(root);
    uint8_t byte;
    bool read = safe_read8((const void *)USER_CODE, &byte);
    paging_switch(paging_kernel_root());
    frame_free(root, 0);
    frame_free(page, 0);
    KT_ASSERT(!read, "the kernel read a user page directly although SMAP is on");
}
