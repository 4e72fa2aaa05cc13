/* Boot modules: booted with the archive the test suite builds
 * (grading/selftest/test_programs.py), the files are found intact. */
#include <keel/keel.h>
#include <ktest.h>

KTEST(needs_boot_archive)
{
    KT_ASSERT_EQ(programs_count(), 3, "files from the boot modules");
    const struct program_file *hello = programs_find("hello.txt");
    KT_ASSERT(hello, "hello.txt is not among the boot files");
    static const char expected[] = "hello from a boot archive\n";
    KT_ASSERT(hello->size == sizeof(expected) - 1 &&
                  memcmp(hello->data, expected, hello->size) == 0,
              "hello.txt has %zu bytes, not the expected text", hello->size);
    const struct program_file *nested = programs_find("bin/odd");
    KT_ASSERT(nested && nested->size == 5 && memcmp(nested->data, "12345", 5) == 0,
              "bin/odd (5 bytes, not a multiple of 4) was not found intact");
    const struct program_file *empty = programs_find("empty");
    KT_ASSERT(empty && empty->size == 0, "an empty file is still a file");
    KT_ASSERT(!programs_find("nosuch"), "programs_find of a missing name");
    struct page *page = phys_to_page(virt_to_phys(hello->data));
    KT_ASSERT(page && page->state == PAGE_BOOT_DATA,
              "the module's frames are not marked boot data");
}
