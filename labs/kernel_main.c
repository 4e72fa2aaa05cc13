/* The kmain of every lab kernel: in-kernel tests when the command line asks
 * for them (keel.test=…), otherwise the lab's own run. */
#include <keel/keel.h>
#include <ktest.h>
#include <lab.h>

void kmain(const struct boot_info *info)
{
    ktest_main();
    lab_main(info);
}
