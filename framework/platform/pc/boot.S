/* The first code that runs: from the boot loader's 32-bit protected mode to
 * 64-bit long mode in the higher half, then into C (keel_start).
 *
 * Two ways in, one way on:
 *  - GRUB (Multiboot2) jumps to multiboot2_entry with EAX = 0x36d76289 and
 *    EBX = physical address of the Multiboot2 information block.
 *  - QEMU's direct boot (-kernel, PVH) jumps to pvh_entry, named by the
 *    XEN_ELFNOTE_PHYS32_ENTRY note, with EBX = physical address of the PVH
 *    start-info block.
 * Both run with paging off and no stack we can trust. */

#include "boot.h"

/* ---- Multiboot2 header: must sit in the first 32 KiB, 8-byte aligned ---- */
    .section .multiboot2, "a"
    .balign 8
mb2_header:
    .long 0xe85250d6                /* magic */
    .long 0                         /* architecture: i386 protected mode */
    .long mb2_header_end - mb2_header
    .long -(0xe85250d6 + (mb2_header_end - mb2_header))
    .balign 8                       /* end tag */
    .short 0
    .short 0
    .long 8
mb2_header_end:

/* ---- PVH entry note, read by QEMU's -kernel loader ---- */
    .section .note.Xen, "a", @note
    .balign 4
    .long 4                         /* name size: "Xen\0" */
    .long 8                         /* descriptor size */
    .long 18                        /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .balign 4
    .quad pvh_entry
    .balign 4

/* ---- 32-bit code, running at its physical address ---- */
    .section .boot.text, "ax"
    .code32

    .global multiboot2_entry
multiboot2_entry:
    cli
    cld
    movl %eax, boot_magic
    movl %ebx, boot_info_address
    jmp start32

    .global pvh_entry
pvh_entry:
    cli
    cld
    movl $BOOT_MAGIC_PVH, boot_magic
    movl %ebx, boot_info_address

start32:
    movl $boot_stack32_top, %esp

    /* Long mode needs CPUID leaf 0x80000001 EDX bit 29. */
    movl $0x80000000, %eax
    cpuid
    cmpl $0x80000001, %eax
    jb no_long_mode
    movl $0x80000001, %eax
    cpuid
    testl $(1 << 29), %edx
    jz no_long_mode
    movl %edx, boot_ext_features

    /* Zero the boot page tables (the loader should have, but a stale table
     * entry here would be a nightmare to find). */
    movl $boot_tables_start, %edi
    movl $boot_tables_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb

    /* One page directory of 2 MiB pages maps the first 1 GiB of physical
     * memory. It is reached three ways: identity (so this code keeps running
     * after paging is on), the direct map at 0xffff800000000000, and the
     * kernel window at 0xffffffff80000000 where the kernel is linked. The C
     * code replaces these tables with finer ones soon after. */
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $0x83, %eax                 /* present, writable, 2 MiB page */
    movl %eax, boot_pd(, %ecx, 8)
    incl %ecx
    cmpl $512, %ecx
    jb 1b

    movl $boot_pd, %eax
    orl $0x3, %eax
    movl %eax, boot_pdpt_low
    movl %eax, boot_pdpt_high + 510 * 8
    movl $boot_pdpt_low, %eax
    orl $0x3, %eax
    movl %eax, boot_pml4
    movl %eax, boot_pml4 + 256 * 8
    movl $boot_pdpt_high, %eax
    orl $0x3, %eax
    movl %eax, boot_pml4 + 511 * 8

    /* CR4: PAE (bit 5) and global pages (bit 7). */
    movl %cr4, %eax
    orl $((1 << 5) | (1 << 7)), %eax
    movl %eax, %cr4

    movl $boot_pml4, %eax
    movl %eax, %cr3

    /* EFER: long mode enable (bit 8), and no-execute (bit 11) if present. */
    movl $0xc0000080, %ecx
    rdmsr
    orl $(1 << 8), %eax
    testl $(1 << 20), boot_ext_features
    jz 2f
    orl $(1 << 11), %eax
2:  wrmsr

    /* CR0: paging (bit 31) and write protect (bit 16). */
    movl %cr0, %eax
    orl $((1 << 31) | (1 << 16)), %eax
    movl %eax, %cr0

    lgdt boot_gdt_pointer
    ljmp $BOOT_CODE64_SELECTOR, $long_mode_low

no_long_mode:
    /* Say why we stop, on port 0xe9 and COM1, then halt. */
    movl $no_long_mode_message, %esi
3:  movb (%esi), %al
    testb %al, %al
    jz 4f
    movw $0xe9, %dx
    outb %al, %dx
    movw $0x3f8, %dx
    outb %al, %dx
    incl %esi
    jmp 3b
4:  hlt
    jmp 4b

    .code64
long_mode_low:
    movw $BOOT_DATA_SELECTOR, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movabsq $long_mode_high, %rax
    jmp *%rax

/* ---- data the 32-bit code needs, at physical addresses ---- */
    .section .boot.rodata, "a"
    .balign 8
boot_gdt:
    .quad 0                         /* null */
    .quad 0x00af9a000000ffff        /* 0x08: 64-bit code, ring 0 */
    .quad 0x00cf92000000ffff        /* 0x10: data, ring 0 */
boot_gdt_end:
boot_gdt_pointer:
    .short boot_gdt_end - boot_gdt - 1
    .long boot_gdt

no_long_mode_message:
    .asciz "Keel: this CPU has no 64-bit long mode; a 64-bit (x86_64) CPU is required.\r\n"

    .section .boot.data, "aw"
    .balign 8
    .global boot_magic, boot_info_address
boot_magic:
    .long 0
boot_info_address:
    .long 0
boot_ext_features:
    .long 0

    .section .boot.bss, "aw", @nobits
    .balign 4096
boot_tables_start:
boot_pml4:
    .skip 4096
boot_pdpt_low:
    .skip 4096
boot_pdpt_high:
    .skip 4096
boot_pd:
    .skip 4096
boot_tables_end:
    .skip 4096
boot_stack32_top:

/* ---- 64-bit code in the higher half ---- */
    .section .text
    .code64
long_mode_high:
    movabsq $boot_stack_top, %rsp
    xorl %ebp, %ebp                 /* backtraces stop here */
    movl boot_magic, %edi
    movl boot_info_address, %esi
    call keel_start
5:  cli
    hlt
    jmp 5b

    .section .bss
    .balign 4096
    .global boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:                   /* unmapped by the C code: a stack overflow faults here */
    .skip 4096
boot_stack_bottom:
    .skip BOOT_STACK_SIZE
boot_stack_top:
