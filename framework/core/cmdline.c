/* Kernel command line lookups (see <keel/cmdline.h>). */
#include <keel/bootinfo.h>
#include <keel/cmdline.h>
#include <keel/string.h>

const char *cmdline_raw(void)
{
    const struct boot_info *info = boot_info_get();
    return info && info->cmdline ? info->cmdline : "";
}

/* Find the last word "key" or "key=value"; return the value's start (or the
 * end of the word for a bare key) and its length. */
static const char *find_value(const char *key, size_t *value_len)
{
    const char *found = NULL;
    size_t key_len = strlen(key);
    for (const char *p = cmdline_raw(); *p;) {
        while (*p == ' ')
            p++;
        const char *word = p;
        while (*p && *p != ' ')
            p++;
        size_t word_len = (size_t)(p - word);
        if (word_len >= key_len && strncmp(word, key, key_len) == 0 &&
            (word_len == key_len || word[key_len] == '=')) {
            found = word_len == key_len ? word + key_len : word + key_len + 1;
            *value_len = word_len == key_len ? 0 : word_len - key_len - 1;
        }
    }
    return found;
}

bool cmdline_get(const char *key, char *buf, size_t size)
{
    size_t len = 0;
    const char *value = find_value(key, &len);
    if (!value)
        return false;
    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(buf, value, n);
        buf[n] = '\0';
    }
    return true;
}

bool cmdline_has(const char *key)
{
    size_t len;
    return find_value(key, &len) != NULL;
}

long cmdline_get_long(const char *key, long fallback)
{
    char text[32];
    if (!cmdline_get(key, text, sizeof(text)) || !text[0])
        return fallback;
    const char *p = text;
    bool negative = *p == '-';
    if (negative)
        p++;
    unsigned base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (!*p)
        return fallback;
    long value = 0;
    for (; *p; p++) {
        int digit;
        if (*p >= '0' && *p <= '9')
            digit = *p - '0';
        else if (base == 16 && *p >= 'a' && *p <= 'f')
            digit = *p - 'a' + 10;
        else if (base == 16 && *p >= 'A' && *p <= 'F')
            digit = *p - 'A' + 10;
        else
            return fallback;
        value = value * (long)base + digit;
    }
    return negative ? -value : value;
}
