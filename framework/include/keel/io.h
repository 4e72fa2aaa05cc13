/* Port I/O: the x86 "in" and "out" instructions, as functions.
 *
 * They are functions rather than inline assembly so that the framework can
 * put a pretend device behind a range of ports (io_mock_install in
 * <keel/testing.h>), which is how the lab tests check a driver's exact
 * sequence of register accesses, and so that the Linux user-mode platform can
 * emulate the devices labs touch. */
#ifndef KEEL_IO_H
#define KEEL_IO_H

#include <keel/types.h>

/* Read one byte from I/O port `port`. Any context. Never fails: a port with no
 * device behind it reads as 0xff. */
uint8_t io_in8(uint16_t port);

/* Read a 16-bit value from I/O port `port`. Any context. */
uint16_t io_in16(uint16_t port);

/* Read a 32-bit value from I/O port `port`. Any context. */
uint32_t io_in32(uint16_t port);

/* Write the byte `value` to I/O port `port`. Any context. */
void io_out8(uint16_t port, uint8_t value);

/* Write a 16-bit `value` to I/O port `port`. Any context. */
void io_out16(uint16_t port, uint16_t value);

/* Write a 32-bit `value` to I/O port `port`. Any context. */
void io_out32(uint16_t port, uint32_t value);

/* Wait about a microsecond by writing to an unused port (0x80), the
 * traditional delay between accesses to slow legacy devices. Any context. */
void io_wait(void);

#endif
