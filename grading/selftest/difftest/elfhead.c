/* An ELF segment whose file offset lies as far into its page as its address
 * (test_difftest.py moves the start of the first PT_LOAD of this program
 * 0x40 bytes in, past the ELF header): Linux maps the whole first page from
 * the file, so the ELF header is there to read just below the segment. */
#include "difftest.h"
#include <sys/auxv.h>

int main(void)
{
    const unsigned char *page = (const unsigned char *)0x400000;
    say("the bytes below the first segment: %02x %c%c%c, class %d", page[0], page[1], page[2],
        page[3], page[4]);
    const unsigned char *phdr = (const unsigned char *)getauxval(AT_PHDR);
    say("AT_PHDR points at a PT_PHDR or PT_LOAD header: %s",
        phdr && (phdr[0] == 6 || phdr[0] == 1) ? "yes" : "no");
    T("write(2, the ELF header, 4)", SYS_write, 2, page, 4);
    return 0;
}
