/* Port I/O (see <keel/io.h>): the installed pretend device, if it covers the
 * port, else the platform (the in/out instructions on a PC, device models on
 * the Linux platform). */
#include <keel/io.h>
#include <keel/testing.h>

#include "internal.h"

static struct io_mock *volatile installed_mock;

static struct io_mock *mock_for(uint16_t port)
{
    struct io_mock *mock = installed_mock;
    if (mock && port >= mock->base && port - mock->base < mock->count)
        return mock;
    return NULL;
}

void io_mock_install(struct io_mock *mock)
{
    installed_mock = mock;
}

void io_mock_remove(void)
{
    installed_mock = NULL;
}

static uint32_t port_read(uint16_t port, int width)
{
    struct io_mock *mock = mock_for(port);
    return mock ? mock->read(mock, port, width) : platform_port_read(port, width);
}

static void port_write(uint16_t port, int width, uint32_t value)
{
    struct io_mock *mock = mock_for(port);
    if (mock)
        mock->write(mock, port, width, value);
    else
        platform_port_write(port, width, value);
}

uint8_t io_in8(uint16_t port)
{
    return (uint8_t)port_read(port, 1);
}

uint16_t io_in16(uint16_t port)
{
    return (uint16_t)port_read(port, 2);
}

uint32_t io_in32(uint16_t port)
{
    return port_read(port, 4);
}

void io_out8(uint16_t port, uint8_t value)
{
    port_write(port, 1, value);
}

void io_out16(uint16_t port, uint16_t value)
{
    port_write(port, 2, value);
}

void io_out32(uint16_t port, uint32_t value)
{
    port_write(port, 4, value);
}

void io_wait(void)
{
    io_out8(0x80, 0);
}
