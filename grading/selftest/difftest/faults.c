/* Exceptions in user mode: each in a child, reported by its wait status. */
#include "difftest.h"

static void run(const char *what, void (*fault)(void))
{
    long pid = SYS(SYS_fork);
    if (pid == 0) {
        fault();
        SYS(SYS_exit_group, 0);
    }
    int status = 0;
    SYS(SYS_wait4, pid, &status, 0, 0);
    report_status(what, status);
}

static void null_read(void)
{
    (void)*(volatile int *)0;
}
static void null_write(void)
{
    *(volatile int *)0 = 1;
}
static void kernel_read(void)
{
    (void)*(volatile int *)KERNEL_ADDR;
}
static void noncanonical_read(void)
{
    (void)*(volatile int *)NONCANONICAL;
}
static void top_read(void)
{
    (void)*(volatile long *)(TOP_OF_SPACE + 8);
}
static void write_text(void)
{
    *(volatile char *)(void *)run = 0;
}
static void write_rodata(void)
{
    *(volatile char *)"constant" = 0;
}
static void ud2(void)
{
    __asm__ volatile("ud2");
}
static void int3(void)
{
    __asm__ volatile("int3");
}
static void hlt(void)
{
    __asm__ volatile("hlt");
}
static void cli(void)
{
    __asm__ volatile("cli");
}
static void port_in(void)
{
    __asm__ volatile("inb $0x80, %%al" ::: "rax");
}
static void divide(void)
{
    volatile int zero = 0;
    __asm__ volatile("" ::: "memory");
    volatile int x = 1 / zero;
    (void)x;
}
static void jump_null(void)
{
    ((void (*)(void))0)();
}
static void jump_kernel(void)
{
    ((void (*)(void))KERNEL_ADDR)();
}
static void jump_noncanonical(void)
{
    ((void (*)(void))NONCANONICAL)();
}
static void run_stack(void)
{
    unsigned char code[] = {0xc3}; /* ret, on the non-executable stack */
    ((void (*)(void))(void *)code)();
}
static void run_heap(void)
{
    long page = SYS(SYS_mmap, 0, 4096, 3, 0x22, -1, 0);
    *(volatile unsigned char *)page = 0xc3;
    ((void (*)(void))page)();
}
static volatile int forever = 1;
static int depth(int n)
{
    volatile char frame[1024];
    frame[0] = (char)n;
    return forever ? depth(n + 1) + frame[0] : 0;
}
static void overflow(void)
{
    depth(0);
}
static void exit_300(void)
{
    SYS(SYS_exit, 300);
}
static void exit_minus_1(void)
{
    SYS(SYS_exit_group, -1);
}

int main(void)
{
    run("reading address 0", null_read);
    run("writing address 0", null_write);
    run("reading a kernel address", kernel_read);
    run("reading a non-canonical address", noncanonical_read);
    run("reading near the top of the address space", top_read);
    run("writing to the program's code", write_text);
    run("writing to a string constant", write_rodata);
    run("ud2", ud2);
    run("int3", int3);
    run("hlt", hlt);
    run("cli", cli);
    run("inb from port 0x80", port_in);
    run("dividing by zero", divide);
    run("calling address 0", jump_null);
    run("calling a kernel address", jump_kernel);
    run("calling a non-canonical address", jump_noncanonical);
    run("running code on the stack", run_stack);
    run("running code in a PROT_READ|PROT_WRITE mapping", run_heap);
    run("endless recursion", overflow);
    run("exit(300)", exit_300);
    run("exit_group(-1)", exit_minus_1);
    return 0;
}
