/* Port I/O on the PC: the in and out instructions (core/io.c puts the test
 * mocks in front). */
#include <keel/io.h>

#include "../../core/internal.h"

uint32_t platform_port_read(uint16_t port, int width)
{
    if (width == 1) {
        uint8_t value;
        __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
        return value;
    }
    if (width == 2) {
        uint16_t value;
        __asm__ volatile("inw %1, %0" : "=a"(value) : "Nd"(port));
        return value;
    }
    uint32_t value;
    __asm__ volatile("inl %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

void platform_port_write(uint16_t port, int width, uint32_t value)
{
    if (width == 1)
        __asm__ volatile("outb %0, %1" ::"a"((uint8_t)value), "Nd"(port));
    else if (width == 2)
        __asm__ volatile("outw %0, %1" ::"a"((uint16_t)value), "Nd"(port));
    else
        __asm__ volatile("outl %0, %1" ::"a"(value), "Nd"(port));
}
