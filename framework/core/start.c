/* keel_start: the first C function, called by the boot assembly on the boot
 * stack with interrupts off. Brings the machine up in an order where each
 * step can report its own failure, then calls the kernel's kmain. */
#include <keel/keel.h>
#include <keel/protocol.h>

#include "internal.h"

static void apply_log_level(void)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    char level[16];
    if (!cmdline_get("keel.log", level, sizeof(level)))
        return;
    for (size_t i = 0; i < KEEL_ARRAY_SIZE(names); i++) {
        if (strcmp(level, names[i]) == 0) {
            klog_set_level((enum log_level)i);
            return;
        }
    }
    pr_warn("keel.log=%s is not a log level (error, warn, info, debug); keeping info\n", level);
}

void keel_start(uint32_t magic, uint32_t boot_address)
{
    platform_cpu_init(); /* exception table first: everything after may fault */
    platform_early_console_init();

    struct boot_info *info = bootinfo_storage();
    platform_parse_boot_info(magic, boot_address, info);
    protocol_take_nonce((char *)info->cmdline);
    apply_log_level();

    mm_init(info);
    platform_interrupts_init();
    programs_init(info);

    pr_debug("Keel: booted by %s, %lu MiB usable, command line \"%s\"\n", info->loader,
             info->usable_bytes >> 20, info->cmdline);
    protocol_receive_nonce();
    platform_lock_down();
    protocol_emit("READY", "%s", info->loader);

    kmain(info);
    kernel_power_off(KEEL_EXIT_SUCCESS);
}
