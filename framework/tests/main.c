/* The self-test kernel's normal run: say what it is and stop. */
#include <keel/keel.h>
#include <lab.h>

void lab_main(const struct boot_info *info)
{
    kprintf("Keel self-test kernel, booted by %s with %lu MiB usable.\n"
            "Boot it with keel.test=all to run the framework's tests.\n",
            info->loader, (unsigned long)(info->usable_bytes >> 20));
}
