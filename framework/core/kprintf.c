/* kprintf and friends (see <keel/kprintf.h>). One formatter writes through a
 * sink, so printing to the consoles and into a buffer share every rule. */
#include <keel/console.h>
#include <keel/kprintf.h>
#include <keel/string.h>

struct sink {
    char *buf;       /* buffer sink: destination, or NULL for the console sink */
    size_t size;     /* buffer capacity */
    size_t length;   /* characters produced so far (including ones not stored) */
    char chunk[128]; /* console sink: batched output */
    size_t chunk_used;
};

static void sink_flush(struct sink *s)
{
    if (!s->buf && s->chunk_used) {
        console_write(s->chunk, s->chunk_used);
        s->chunk_used = 0;
    }
}

static void sink_put(struct sink *s, char c)
{
    if (s->buf) {
        if (s->size && s->length < s->size - 1)
            s->buf[s->length] = c;
    } else {
        if (s->chunk_used == sizeof(s->chunk))
            sink_flush(s);
        s->chunk[s->chunk_used++] = c;
    }
    s->length++;
}

static void sink_repeat(struct sink *s, char c, int count)
{
    while (count-- > 0)
        sink_put(s, c);
}

struct spec {
    bool left, zero, plus, space, alt;
    int width;
    int precision; /* -1: none */
};

static void put_string(struct sink *s, const struct spec *sp, const char *str)
{
    if (!str)
        str = "(null)";
    int len = (int)(sp->precision >= 0 ? strnlen(str, (size_t)sp->precision) : strlen(str));
    if (!sp->left)
        sink_repeat(s, ' ', sp->width - len);
    for (int i = 0; i < len; i++)
        sink_put(s, str[i]);
    if (sp->left)
        sink_repeat(s, ' ', sp->width - len);
}

static void put_number(struct sink *s, const struct spec *sp, unsigned long long value,
                       bool negative, unsigned base, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    while (value) {
        tmp[n++] = digits[value % base];
        value /= base;
    }
    /* precision: minimum digits; "%.0d" of 0 prints nothing, as in C. */
    int precision = sp->precision >= 0 ? sp->precision : 1;
    int zeros = precision > n ? precision - n : 0;

    const char *prefix = "";
    if (negative)
        prefix = "-";
    else if (sp->plus && base == 10)
        prefix = "+";
    else if (sp->space && base == 10)
        prefix = " ";
    else if (sp->alt && base == 16 && n > 0)
        prefix = upper ? "0X" : "0x";
    else if (sp->alt && base == 8 && zeros == 0)
        prefix = "0";
    int prefix_len = (int)strlen(prefix);

    int body = prefix_len + zeros + n;
    int pad = sp->width > body ? sp->width - body : 0;
    if (sp->zero && !sp->left && sp->precision < 0) {
        zeros += pad;
        pad = 0;
    }
    if (!sp->left)
        sink_repeat(s, ' ', pad);
    for (int i = 0; i < prefix_len; i++)
        sink_put(s, prefix[i]);
    sink_repeat(s, '0', zeros);
    while (n)
        sink_put(s, tmp[--n]);
    if (sp->left)
        sink_repeat(s, ' ', pad);
}

enum length {
    LEN_INT,
    LEN_CHAR,
    LEN_SHORT,
    LEN_LONG,
    LEN_LONG_LONG,
    LEN_SIZE,
    LEN_MAX,
    LEN_PTRDIFF
};

static void format(struct sink *s, const char *fmt, va_list args)
{
    va_list ap;
    va_copy(ap, args);
    while (*fmt) {
        if (*fmt != '%') {
            sink_put(s, *fmt++);
            continue;
        }
        const char *start = fmt++;
        struct spec sp = {.precision = -1};
        for (;; fmt++) {
            if (*fmt == '-')
                sp.left = true;
            else if (*fmt == '0')
                sp.zero = true;
            else if (*fmt == '+')
                sp.plus = true;
            else if (*fmt == ' ')
                sp.space = true;
            else if (*fmt == '#')
                sp.alt = true;
            else
                break;
        }
        if (*fmt == '*') {
            sp.width = va_arg(ap, int);
            if (sp.width < 0) {
                sp.left = true;
                sp.width = -sp.width;
            }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                sp.width = sp.width * 10 + (*fmt++ - '0');
        }
        if (*fmt == '.') {
            fmt++;
            sp.precision = 0;
            if (*fmt == '*') {
                sp.precision = va_arg(ap, int);
                if (sp.precision < 0)
                    sp.precision = -1;
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9')
                    sp.precision = sp.precision * 10 + (*fmt++ - '0');
            }
        }
        enum length len = LEN_INT;
        switch (*fmt) {
        case 'h':
            fmt++;
            len = LEN_SHORT;
            if (*fmt == 'h') {
                fmt++;
                len = LEN_CHAR;
            }
            break;
        case 'l':
            fmt++;
            len = LEN_LONG;
            if (*fmt == 'l') {
                fmt++;
                len = LEN_LONG_LONG;
            }
            break;
        case 'z':
            fmt++;
            len = LEN_SIZE;
            break;
        case 'j':
            fmt++;
            len = LEN_MAX;
            break;
        case 't':
            fmt++;
            len = LEN_PTRDIFF;
            break;
        }

        char conversion = *fmt;
        if (conversion)
            fmt++;
        switch (conversion) {
        case 'd':
        case 'i': {
            long long v;
            switch (len) {
            case LEN_LONG:
            case LEN_LONG_LONG:
            case LEN_SIZE:
            case LEN_MAX:
            case LEN_PTRDIFF:
                v = va_arg(ap, long long);
                break;
            case LEN_CHAR:
                v = (signed char)va_arg(ap, int);
                break;
            case LEN_SHORT:
                v = (short)va_arg(ap, int);
                break;
            default:
                v = va_arg(ap, int);
            }
            unsigned long long magnitude =
                v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
            put_number(s, &sp, magnitude, v < 0, 10, false);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            unsigned long long v;
            switch (len) {
            case LEN_LONG:
            case LEN_LONG_LONG:
            case LEN_SIZE:
            case LEN_MAX:
            case LEN_PTRDIFF:
                v = va_arg(ap, unsigned long long);
                break;
            case LEN_CHAR:
                v = (unsigned char)va_arg(ap, unsigned);
                break;
            case LEN_SHORT:
                v = (unsigned short)va_arg(ap, unsigned);
                break;
            default:
                v = va_arg(ap, unsigned);
            }
            unsigned base = conversion == 'u' ? 10 : conversion == 'o' ? 8 : 16;
            put_number(s, &sp, v, false, base, conversion == 'X');
            break;
        }
        case 'p': {
            struct spec pointer = {.zero = true, .width = 16, .precision = -1};
            sink_put(s, '0');
            sink_put(s, 'x');
            put_number(s, &pointer, (uintptr_t)va_arg(ap, void *), false, 16, false);
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            if (!sp.left)
                sink_repeat(s, ' ', sp.width - 1);
            sink_put(s, c);
            if (sp.left)
                sink_repeat(s, ' ', sp.width - 1);
            break;
        }
        case 's':
            put_string(s, &sp, va_arg(ap, const char *));
            break;
        case '%':
            sink_put(s, '%');
            break;
        default:
            /* Unknown: show it, so the mistake is visible in the output. */
            sink_put(s, '<');
            for (const char *p = start; p < fmt; p++)
                sink_put(s, *p);
            sink_put(s, '>');
            if (!conversion)
                goto out;
        }
    }
out:
    va_end(ap);
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list args)
{
    struct sink s = {.buf = buf, .size = size};
    format(&s, fmt, args);
    if (size)
        buf[s.length < size ? s.length : size - 1] = '\0';
    return (int)s.length;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    int n = kvsnprintf(buf, size, fmt, args);
    va_end(args);
    return n;
}

int kvprintf(const char *fmt, va_list args)
{
    struct sink s = {0};
    format(&s, fmt, args);
    sink_flush(&s);
    return (int)s.length;
}

int kprintf(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    int n = kvprintf(fmt, args);
    va_end(args);
    return n;
}

static enum log_level current_level = LOG_INFO;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

void klog_set_level(enum log_level level)
{
    if (level >= LOG_ERROR && level <= LOG_DEBUG)
        current_level = level;
}

enum log_level klog_level(void)
{
    return current_level;
}

void klog(enum log_level level, const char *fmt, ...)
{
    if (level > current_level)
        return;
    kprintf("[%s] ", level_names[level]);
    va_list args;
    va_start(args, fmt);
    kvprintf(fmt, args);
    va_end(args);
}
