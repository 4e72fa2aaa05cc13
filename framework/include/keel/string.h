/* The freestanding string and memory functions Keel provides (the compiler may
 * also call memcpy, memmove, memset and memcmp on its own). Standard C
 * semantics; any context. */
#ifndef KEEL_STRING_H
#define KEEL_STRING_H

#include <keel/types.h>

/* Copy n bytes; the areas must not overlap. */
void *memcpy(void *dst, const void *src, size_t n);
/* Copy n bytes; the areas may overlap. */
void *memmove(void *dst, const void *src, size_t n);
/* Fill n bytes with (unsigned char)c. */
void *memset(void *dst, int c, size_t n);
/* Compare n bytes. */
int memcmp(const void *a, const void *b, size_t n);
/* Length of a NUL-terminated string. */
size_t strlen(const char *s);
/* Length, but at most maxlen. */
size_t strnlen(const char *s, size_t maxlen);
/* Compare two strings. */
int strcmp(const char *a, const char *b);
/* Compare at most n characters. */
int strncmp(const char *a, const char *b, size_t n);
/* First occurrence of c in s, or NULL. */
char *strchr(const char *s, int c);
/* First occurrence of needle in haystack, or NULL. */
char *strstr(const char *haystack, const char *needle);
/* Copy src into dst of capacity size, always NUL-terminating (size > 0);
 * returns strlen(src) so truncation can be detected. */
size_t strlcpy(char *dst, const char *src, size_t size);

#endif
