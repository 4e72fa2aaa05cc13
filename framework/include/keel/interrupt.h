/* Hardware interrupts: the local APIC and its timer, the I/O APIC that
 * routes device interrupts, and interrupt masking that nests.
 *
 * At boot the framework masks the legacy 8259 PICs, enables this CPU's local
 * APIC and masks every I/O APIC input. Interrupts stay disabled (cli) until
 * somebody enables them. Handlers are installed per vector with
 * trap_set_handler (<keel/trap.h>); a handler for a hardware interrupt must
 * call interrupt_eoi() or the APIC delivers no further interrupt of that
 * priority or lower. */
#ifndef KEEL_INTERRUPT_H
#define KEEL_INTERRUPT_H

#include <keel/types.h>

/* Vectors. 32-47: the ISA device lines through the I/O APIC (irq_vector);
 * 48: the local APIC timer; 255: spurious. */
#define IRQ_VECTOR_BASE  32
#define TIMER_VECTOR     48
#define SPURIOUS_VECTOR  255
#define ISA_IRQ_KEYBOARD 1
#define ISA_IRQ_COM1     4

/* The vector ISA interrupt line `isa_irq` (0-15) is delivered on. */
unsigned irq_vector(unsigned isa_irq);

/* Let ISA line `isa_irq` through the I/O APIC to this CPU, on irq_vector(). */
void irq_unmask(unsigned isa_irq);

/* Block ISA line `isa_irq` at the I/O APIC again. */
void irq_mask(unsigned isa_irq);

/* Tell the local APIC the current interrupt is handled (end of interrupt). */
void interrupt_eoi(void);

/* Start the local APIC timer: an interrupt on TIMER_VECTOR `hz` times a
 * second (1-10000), calibrated at boot against the PIT. */
void timer_start(unsigned hz);

/* Stop the local APIC timer. */
void timer_stop(void);

/* The rate timer_start was given, 0 if stopped. */
unsigned timer_hz(void);

/* Disable interrupts, counting how deep: a matching irq_pop_off() restores
 * the interrupt flag only when the outermost pair ends, so functions that
 * need interrupts off can call each other. Any context. */
void irq_push_off(void);

/* Undo one irq_push_off. Unbalanced pops are a bug and are reported. */
void irq_pop_off(void);

/* How many irq_push_off are outstanding. */
unsigned irq_nesting(void);

/* Nanoseconds since boot, from the time stamp counter calibrated against the
 * PIT at boot. Monotonic; any context. */
uint64_t time_ns(void);

/* Wait `microseconds`, spinning (interrupts are handled meanwhile if they
 * are enabled). Never halts, so it returns even if interrupts stop. */
void time_delay_us(uint64_t microseconds);

#endif
