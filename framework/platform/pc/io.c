/* Port I/O on the PC (see <keel/io.h>): the in/out instructions, with an
 * optional pretend device in front of one port range for tests. */
#include <keel/io.h>

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

uint8_t io_in8(uint16_t port)
{
    struct io_mock *mock = mock_for(port);
    if (mock)
        return (uint8_t)mock->read(mock, port, 1);
    uint8_t value;
    __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

uint16_t io_in16(uint16_t port)
{
    struct io_mock *mock = mock_for(port);
    if (mock)
        return (uint16_t)mock->read(mock, port, 2);
    uint16_t value;
    __asm__ volatile("inw %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

uint32_t io_in32(uint16_t port)
{
    struct io_mock *mock = mock_for(port);
    if (mock)
        return mock->read(mock, port, 4);
    uint32_t value;
    __asm__ volatile("inl %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

void io_out8(uint16_t port, uint8_t value)
{
    struct io_mock *mock = mock_for(port);
    if (mock) {
        mock->write(mock, port, 1, value);
        return;
    }
    __asm__ volatile("outb %0, %1" ::"a"(value), "Nd"(port));
}

void io_out16(uint16_t port, uint16_t value)
{
    struct io_mock *mock = mock_for(port);
    if (mock) {
        mock->write(mock, port, 2, value);
        return;
    }
    __asm__ volatile("outw %0, %1" ::"a"(value), "Nd"(port));
}

void io_out32(uint16_t port, uint32_t value)
{
    struct io_mock *mock = mock_for(port);
    if (mock) {
        mock->write(mock, port, 4, value);
        return;
    }
    __asm__ volatile("outl %0, %1" ::"a"(value), "Nd"(port));
}

void io_wait(void)
{
    io_out8(0x80, 0);
}
