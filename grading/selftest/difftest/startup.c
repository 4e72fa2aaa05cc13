/* What a program finds at start: arguments, environment (the harness gives
 * the host run Keel's: PATH=/ and HOME=/), the auxiliary vector, the stack. */
#include "difftest.h"
#include <sys/auxv.h>

void _start(void);

int main(int argc, char **argv, char **envp)
{
    say("argc %d, argv[0] %s, argv[argc] %s", argc, argv[0], argv[argc] ? "set" : "NULL");
    for (int i = 0; envp[i]; i++)
        say("envp[%d] = %s", i, envp[i]);
    say("argc's slot is 16-byte aligned: %s", (unsigned long)(argv - 1) % 16 ? "no" : "yes");
    say("AT_PAGESZ %lu", getauxval(AT_PAGESZ));
    say("AT_PHENT %lu", getauxval(AT_PHENT));
    const unsigned char *phdr = (const unsigned char *)getauxval(AT_PHDR);
    unsigned long phnum = getauxval(AT_PHNUM), loads = 0;
    for (unsigned long i = 0; phdr && i < phnum; i++)
        loads += phdr[i * 56] == 1;
    say("AT_PHNUM %lu, of which PT_LOAD %lu", phnum, loads);
    say("AT_ENTRY is _start: %s", getauxval(AT_ENTRY) == (unsigned long)_start ? "yes" : "no");
    const unsigned char *random = (const unsigned char *)getauxval(AT_RANDOM);
    say("AT_RANDOM points at readable bytes: %s", random && (random[0] | 1) ? "yes" : "no");
    int local;
    unsigned long stack = (unsigned long)&local;
    say("the stack is in the top 4 GiB of user space: %s",
        stack > 0x700000000000ul && stack < 0x7ffffffff000ul ? "yes" : "no");
    /* 48 KiB of stack may be used at once without touching anything first. */
    volatile char deep[48 * 1024];
    deep[0] = 1, deep[sizeof(deep) - 1] = 2;
    say("48 KiB of stack in one frame: %d", deep[0] + deep[sizeof(deep) - 1]);
    unsigned long fs = 0;
    T("arch_prctl(ARCH_GET_FS, &fs)", SYS_arch_prctl, 0x1003, &fs);
    say("musl's thread pointer points at itself: %s", *(unsigned long *)fs == fs ? "yes" : "no");
    return 0;
}
