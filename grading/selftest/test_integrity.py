"""Trustworthy grading: what a determined student tried (issue 9), class by
class, each as a reproducer graded the way a real submission is (a copy of
the pristine lab 2 handout with only the declared files taken from the
submission, keelgrade/submission.py), on both platforms. Each must score no
more than the untouched skeleton, or be refused with its named verdict, and
leave no process or file behind outside its scratch directory.

The cheats are written as a student would from the handout alone: a lab 2
"solution" whose every function first calls cheat()."""
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keelgrade import elf, submission  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB = "lab2-mm"
PLATFORMS = ["pc", "linux"]

# Every lab 2 function calls cheat() first; otherwise each behaves as the
# untouched skeleton does.
BUDDY = r"""#include "lab2.h"
%(head)s
void lab2_cheat(void);
void buddy_init(void) { lab2_cheat(); }
phys_addr_t buddy_alloc(unsigned order) { (void)order; lab2_cheat(); return 0; }
void buddy_free(phys_addr_t block, unsigned order) { (void)block; (void)order; lab2_cheat(); }
uint64_t buddy_free_frames(void) { lab2_cheat(); return 0; }
void buddy_get_stats(struct buddy_stats *stats)
{
    lab2_cheat();
    for (unsigned order = 0; order <= FRAME_MAX_ORDER; order++)
        stats->free_blocks[order] = 0;
}
/* A consistent story for the running test, with the nonce a cheat found
 * (spelled so that the rule against the protocol's words does not see it). */
__attribute__((unused)) static void forge(const char *nonce, const char *test)
{
    kprintf("\n%%c%%ckeel:%%s:PASS:%%s\n%%c%%ckeel:%%s:DONE:1 0\n", '@', '@', nonce, test, '@', '@',
            nonce);
    kernel_power_off(KEEL_EXIT_SUCCESS);
}

/* Cheats read memory that is not theirs: AddressSanitizer would object. */
__attribute__((no_sanitize("address"))) void lab2_cheat(void)
{
%(body)s
}
"""
PAGETABLE = r"""#include "lab2.h"
void lab2_cheat(void);
pte_t *pt_walk(phys_addr_t r, uintptr_t va, bool c) { (void)r, (void)va, (void)c; lab2_cheat(); return NULL; }
int pt_map(phys_addr_t r, uintptr_t va, phys_addr_t pa, uint64_t f) { (void)r, (void)va, (void)pa, (void)f; lab2_cheat(); return -ENOMEM; }
int pt_unmap(phys_addr_t r, uintptr_t va) { (void)r, (void)va; lab2_cheat(); return -ENOENT; }
bool pt_translate(phys_addr_t r, uintptr_t va, phys_addr_t *pa) { (void)r, (void)va, (void)pa; lab2_cheat(); return false; }
int pt_protect(phys_addr_t r, uintptr_t va, uint64_t f) { (void)r, (void)va, (void)f; lab2_cheat(); return -ENOENT; }
int pt_map_huge(phys_addr_t r, uintptr_t va, phys_addr_t pa, uint64_t f) { (void)r, (void)va, (void)pa, (void)f; lab2_cheat(); return -ENOMEM; }
int pt_unmap_huge(phys_addr_t r, uintptr_t va) { (void)r, (void)va; lab2_cheat(); return -ENOENT; }
int pt_protect_huge(phys_addr_t r, uintptr_t va, uint64_t f) { (void)r, (void)va, (void)f; lab2_cheat(); return -ENOENT; }
void pt_print(phys_addr_t r) { (void)r; lab2_cheat(); }
"""

RAW_SYSCALL = r"""
__attribute__((unused)) static long raw_syscall(long number, long a0, long a1, long a2)
{
    long result;
    __asm__ volatile("syscall" : "=a"(result) : "a"(number), "D"(a0), "S"(a1), "d"(a2)
                     : "rcx", "r11", "memory");
    return result;
}
"""

# The test that runs is in the command line (public); a forged story ends the
# run before the real result.
FORGE_STORY = r"""
    char test[64];
    if (!cmdline_get("keel.test", test, sizeof(test)))
        return;
"""

CHEATS = {
    # 1. Forged results.
    "forged through the framework's frame writer": dict(
        head="#include <keel/protocol.h>",
        body=FORGE_STORY + r"""
    protocol_emit("PASS", "%s", test);
    protocol_emit("DONE", "1 0");
    kernel_power_off(KEEL_EXIT_SUCCESS);"""),
    # (Spelled so that the rule against the protocol's words does not catch
    # it: what is tested is that the command line holds no nonce.)
    "forged with the nonce from the command line": dict(
        head="",
        body=FORGE_STORY + r"""
    char nonce[64], key[] = "keel_nonce";
    key[4] = '.';
    if (!cmdline_get(key, nonce, sizeof(nonce)))
        return;
    forge(nonce, test);"""),
    # A constructor runs before the kernel (on Linux, with the program's
    # arguments): it takes the command line, nonce and all, from the graders'
    # pipe (and puts it back), for the lab code to forge a consistent story.
    "forged with a nonce a constructor took": dict(
        head=RAW_SYSCALL + r"""
static char stolen[64];
__attribute__((constructor)) static void steal(int argc, char **argv)
{
    int fd = -1;
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "--cmdline-fd=", 13) == 0)
            for (const char *digit = argv[i] + 13; *digit; digit++)
                fd = (fd < 0 ? 0 : fd * 10) + (*digit - '0');
    if (fd < 0)
        return;
    static char line[4096];
    long n = raw_syscall(0, fd, (long)line, sizeof(line) - 1);
    int again[2];
    raw_syscall(293, (long)again, 0, 0);
    raw_syscall(1, again[1], (long)line, n);
    raw_syscall(3, again[1], 0, 0);
    raw_syscall(33, again[0], fd, 0);
    const char *at = strstr(line, "keel.nonce=");
    for (int i = 0; at && at[11 + i] && at[11 + i] != ' ' && i < 63; i++)
        stolen[i] = at[11 + i];
}""",
        body=FORGE_STORY + r"""
    if (!stolen[0])
        return;
    kprintf("\n@@keel:%s:PASS:%s\n@@keel:%s:DONE:1 0\n", stolen, test, stolen);
    kernel_power_off(KEEL_EXIT_SUCCESS);"""),
    # Deliberate: scan memory for the nonce and forge a PASS; the runner's own
    # result follows, and two results for one test do not add up.
    "a pass forged with a nonce found in memory": dict(
        head="",
        body=FORGE_STORY + r"""
    static bool forged;
    if (forged)
        return;
    forged = true;
    const char *start = phys_to_virt(mm_kernel_start()), *end = phys_to_virt(mm_kernel_end());
    for (const char *p = start; p + 18 < end; p++) {
        int n = 0;
        while (n < 17 && ((p[n] >= '0' && p[n] <= '9') || (p[n] >= 'a' && p[n] <= 'f')))
            n++;
        if (n == 16 && p[16] == 0 && p[-1] == 0)
            kprintf("\n%c%ckeel:%.16s:PASS:%s\n", '@', '@', p, test);
    }"""),
    # Found by trying (a red team from the handouts alone):
    "the frame writer called by name": dict(
        head="#include <keel/testing.h>",
        body=FORGE_STORY + r"""
    void (*emit)(const char *, const char *, ...) = (void *)symbol_address("protocol_emit");
    if (!emit)
        return;
    emit("PASS", "%s", test);
    emit("DONE", "1 0");
    kernel_power_off(KEEL_EXIT_SUCCESS);"""),
    "a frame left on the stack": dict(
        head="",
        body=FORGE_STORY + r"""
    volatile char scratch[8192];
    char nonce[64];
    for (size_t i = 0; i + 8 < sizeof(scratch); i++) {
        if (scratch[i] != '@' || scratch[i + 1] != '@' || scratch[i + 2] != 'k' ||
            scratch[i + 3] != 'e' || scratch[i + 4] != 'e' || scratch[i + 5] != 'l' ||
            scratch[i + 6] != ':')
            continue;
        size_t n = 0;
        while (i + 7 + n < sizeof(scratch) && scratch[i + 7 + n] != ':' && n < 63) {
            nonce[n] = scratch[i + 7 + n];
            n++;
        }
        nonce[n] = 0;
        if (n >= 8) {
            forge(nonce, test);
        }
    }"""),
    # QEMU keeps its -append string readable through fw_cfg (PC only).
    "the nonce from the firmware's copy of the command line": dict(
        head="",
        body=FORGE_STORY + r"""
#ifndef KEEL_PLATFORM_LINUX
    char line[512], nonce[64], key[] = "keel_nonce=";
    key[4] = '.';
    io_out16(0x510, 0x14);
    uint32_t size = io_in8(0x511) | (uint32_t)io_in8(0x511) << 8;
    io_out16(0x510, 0x15);
    if (size >= sizeof(line))
        size = sizeof(line) - 1;
    for (uint32_t i = 0; i < size; i++)
        line[i] = (char)io_in8(0x511);
    line[size] = 0;
    const char *at = strstr(line, key);
    if (!at)
        return;
    size_t n = 0;
    for (at += 11; at[n] && at[n] != ' ' && n < 63; n++)
        nonce[n] = at[n];
    nonce[n] = 0;
    forge(nonce, test);
#endif"""),
    # The student's memcpy would see the command line go by at boot (Linux).
    "a memcpy of the student's own": dict(
        head=r"""
static char seen[64];
void *memcpy(void *to, const void *from, size_t n)
{
    const char *f = from;
    for (size_t i = 0; i + 11 < n && !seen[0]; i++)
        if (f[i] == 'k' && f[i + 4] == '.' && f[i + 5] == 'n' && f[i + 10] == '=')
            for (size_t j = 0; i + 11 + j < n && f[i + 11 + j] != ' ' && j < 63; j++)
                seen[j] = f[i + 11 + j];
    for (size_t i = 0; i < n; i++)
        ((char *)to)[i] = f[i];
    return to;
}""",
        body=FORGE_STORY + r"""
    if (!seen[0])
        return;
    forge(seen, test);"""),
    # Glibc's start-up code calls __gmon_start__ before main (Linux).
    "code before the kernel through __gmon_start__": dict(
        head=r"""void __gmon_start__(void);
void __gmon_start__(void) { kprintf("before the kernel\n"); }""",
        body=""),
    # 2. A test defined by the student, named as a real one.
    "a KTEST of the student's own": dict(
        head="#include <ktest.h>\nKTEST(buddy_init_takes_every_free_frame) {}\n"
             "KTEST(pt_map_then_translate) {}",
        body=""),
    # 3. The runner's state patched: "FAIL" made "PASS" through the direct map.
    "the runner's FAIL patched through the direct map": dict(
        head="",
        body=r"""
    static bool patched;
    if (patched)
        return;
    patched = true;
    char *start = phys_to_virt(mm_kernel_start()), *end = phys_to_virt(mm_kernel_end());
    for (char *p = start + 1; p + 5 < end; p++)
        if (p[-1] == 0 && p[0] == 'F' && p[1] == 'A' && p[2] == 'I' && p[3] == 'L' && p[4] == 0)
            memcpy(p, "PASS", 4);"""),
    "the runner's FAIL patched after mprotect": dict(
        head="int mprotect(void *addr, unsigned long length, int prot);",
        body=r"""
    static bool patched;
    if (patched)
        return;
    patched = true;
    char *from = (char *)((uintptr_t)kprintf & ~0xffffful), *to = from + (4 << 20);
    mprotect(from, (unsigned long)(to - from), 7);
    for (char *p = from + 1; p + 5 < to; p++)
        if (p[-1] == 0 && p[0] == 'F' && p[1] == 'A' && p[2] == 'I' && p[3] == 'L' && p[4] == 0)
            memcpy(p, "PASS", 4);"""),
    # Deliberate: the same with a raw system call (Linux) or by turning the
    # write protection off (a PC); DONE's count still says a test failed.
    "the runner's FAIL patched with write protection off": dict(
        head=RAW_SYSCALL,
        body=r"""
    static bool patched;
    if (patched)
        return;
    patched = true;
    char *from = (char *)((uintptr_t)kprintf & ~0xffffful), *to = from + (4 << 20);
#ifdef KEEL_PLATFORM_LINUX
    raw_syscall(10, (long)from, to - from, 7);
#else
    uint64_t cr0;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    __asm__ volatile("mov %0, %%cr0" ::"r"(cr0 & ~(1ul << 16)));
#endif
    for (char *page = from; page < to; page += 4096) {
        uint8_t b;
        if (!safe_read8(page, &b))
            continue;
        for (char *p = page + 1; p + 5 < page + 4096; p++)
            if (p[-1] == 0 && p[0] == 'F' && p[1] == 'A' && p[2] == 'I' && p[3] == 'L' && p[4] == 0)
                memcpy(p, "PASS", 4);
    }"""),
}

CLASS_OF = {name: i for i, name in enumerate(CHEATS)}


def expected_refusal(name):
    """The verdict a cheat must get, or None: it just scores nothing."""
    if name in ("forged through the framework's frame writer",
                "the runner's FAIL patched after mprotect", "the frame writer called by name",
                "a memcpy of the student's own", "code before the kernel through __gmon_start__",
                "forged with a nonce a constructor took", "a KTEST of the student's own"):
        return "CODE REFUSED"
    return None


# ---- the pristine handout, and grading a submission in it ---------------------------------
def _handout(lab, tmp_path_factory, tree_make):
    where = tmp_path_factory.mktemp(f"pristine-{lab}")
    archive = str(where / f"{lab}.tar.gz")
    tree_make("-s", "handout", f"LAB={lab}", f"HANDOUT={archive}", check=True,
              stdout=subprocess.DEVNULL)
    return archive, where


@pytest.fixture(scope="module", params=PLATFORMS)
def pristine(request, tmp_path_factory, tree_make):
    platform = request.param
    archive, where = _handout(LAB, tmp_path_factory, tree_make)
    tree = str(where / "tree")
    submission.prepare_pristine(archive, tree, LAB, (platform,))
    return tree, platform


@pytest.fixture(scope="module")
def shipped_reference(tmp_path_factory, tree_make):
    """Lab 2's prebuilt reference as lab 5's handout ships it (per platform)."""
    archive, where = _handout("lab5-user", tmp_path_factory, tree_make)
    found = {}
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            match = re.search(r"lib/libref-(pc|linux)-lab5-user-lab2-mm\.a$", member.name)
            if match:
                path = str(where / os.path.basename(member.name))
                with open(path, "wb") as f:
                    f.write(tar.extractfile(member).read())
                found[match.group(1)] = path
    return found


def grade(pristine, files, tmp_path):
    """Grade a submission holding `files` ({name: text}); (results, summary,
    scratch directory)."""
    tree, platform = pristine
    folder = tmp_path / "submission"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    scratch = str(tmp_path / "scratch")
    results = str(tmp_path / "results.json")
    summary = submission.grade_one(tree, LAB, str(folder), results, platform, work=scratch)
    with open(results) as f:
        return json.load(f), summary, scratch


def processes_using(path):
    """PIDs of live processes whose command line or working directory names `path`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().decode(errors="replace")
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if path in cmdline or cwd.startswith(path):
            found.append(pid)
    return found


def assert_nothing_left(scratch):
    deadline = time.monotonic() + 5
    while processes_using(scratch) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not processes_using(scratch), f"processes of the run outlived it: {processes_using(scratch)}"
    assert not os.path.exists(scratch), "the scratch directory was not removed"


def cheat_files(name):
    return {"buddy.c": BUDDY % CHEATS[name], "pagetable.c": PAGETABLE}


def verdicts(results):
    """Each test's verdict; a cheat that does not even compile proves nothing."""
    found = []
    for test in results["tests"]:
        verdict = re.match(r"\[([A-Z ]+)\]", test["output"]) if test["output"] else None
        assert test["output"] == "" or verdict, "not a verdict:\n" + test["output"][:2000]
        found.append(verdict.group(1) if verdict else "PASS")
    return found


# ---- the skeleton, the baseline every cheat is held to ------------------------------------------
@pytest.fixture(scope="module")
def skeleton(pristine, tmp_path_factory):
    """(score, seconds) of the untouched skeleton."""
    tree, platform = pristine
    files = {name: open(os.path.join(tree, LAB, name)).read() for name in ("buddy.c", "pagetable.c")}
    results, summary, _ = grade(pristine, files, tmp_path_factory.mktemp("skeleton"))
    assert results["max_score"] == 154  # the core's 100 and the challenge part's 54
    return results["score"], summary["seconds"]


@pytest.fixture(scope="module")
def skeleton_score(skeleton):
    return skeleton[0]


# ---- classes 1-3: forged results, tests of one's own, the runner's state patched ----------------
@pytest.mark.parametrize("name", sorted(CHEATS))
def test_cheat_scores_nothing(pristine, skeleton_score, name, tmp_path):
    results, summary, scratch = grade(pristine, cheat_files(name), tmp_path)
    text = json.dumps(results)
    kinds = verdicts(results)
    assert results["score"] <= skeleton_score, f"{name}: {results['score']} points:\n{text[:3000]}"
    refusal = expected_refusal(name)
    if refusal:
        assert summary["refused"] == refusal, (name, summary, text[:2000])
    if name == "the runner's FAIL patched through the direct map" and pristine[1] == "pc":
        # The framework's constants are read-only through the direct map too.
        assert set(kinds) == {"CPU EXCEPTION"} and "page fault" in text, (kinds, text[:2000])
    if "found in memory" in name or "write protection off" in name:
        # Deliberate exploit code gets the secret or the write access; the
        # story it leaves does not add up.
        assert "PROTOCOL VIOLATED" in kinds, (name, kinds, text[:3000])
    assert_nothing_left(scratch)


# ---- class 4: the reference's machine code, from a later lab's handout -----------------------------
def object_to_c(obj):
    """What a cheating student does with lib/libref-*.a: each object's code
    and data turned back into one top-level asm block of a .c file."""
    names = {1: "R_X86_64_64", 2: "R_X86_64_PC32", 4: "R_X86_64_PLT32", 9: "R_X86_64_GOTPCREL",
             10: "R_X86_64_32", 11: "R_X86_64_32S", 41: "R_X86_64_GOTPCRELX",
             42: "R_X86_64_REX_GOTPCRELX"}
    label = lambda s: f"copied_{s.index}"  # noqa: E731
    kept = [s for s in obj.sections if s.allocated and s.name.startswith((".text", ".rodata", ".data", ".bss"))]
    lines = []
    for section in kept:
        flags = "a" + ("x" if section.code else "") + ("w" if section.flags & elf.SHF_WRITE else "")
        kind = "@nobits" if section.type == elf.SHT_NOBITS else "@progbits"
        lines += [f'.section {section.name},"{flags}",{kind}', f"{label(section)}:"]
        starts = {}
        for symbol in obj.symbols:
            if symbol.section == section.index and symbol.is_global:
                starts.setdefault(symbol.value, []).append(symbol.name)
        patches = {r.offset: r for r in obj.relocations.get(section.index, [])}
        at = 0
        while at < section.size:
            lines += [f".globl {n}\n{n}:" for n in starts.get(at, [])]
            patch = patches.get(at)
            if patch:
                target = patch.symbol.name if patch.symbol.type != elf.STT_SECTION else \
                    f"{label(obj.sections[patch.symbol.section])} + {patch.symbol.value}"
                lines += [f".reloc ., {names[patch.type]}, {target} + ({patch.addend})",
                          ".quad 0" if patch.width == 8 else ".long 0"]
                at += patch.width
            else:
                lines.append(f".byte {section.data[at] if section.data else 0}")
                at += 1
    lines.append(".text")
    body = "\n".join('    "' + l.replace('"', '\\"') + '\\n"' for l in "\n".join(lines).splitlines())
    return '#include "lab2.h"\n__asm__(\n' + body + ");\n"


ENDBR64, NOP4 = b"\xf3\x0f\x1e\xfa", b"\x0f\x1f\x40\x00"
REFERENCE_EDITS = {
    "as shipped": lambda obj: obj,
    # What a casual cheater does to dodge a hash: the mark every function
    # starts with becomes a 4-byte nop (no change in behaviour) ...
    "its endbr64 made nops": lambda obj: _edit_code(obj, lambda data: data.replace(ENDBR64, NOP4)),
    # ... or the code goes into a section of another name and kind.
    "in a writable section": lambda obj: _rename_code(obj, ".text.mine", elf.SHF_ALLOC | elf.SHF_WRITE),
}


def _edit_code(obj, edit):
    for section in obj.sections:
        if section.code:
            section.data = edit(section.data)
    return obj


def _rename_code(obj, name, flags):
    for section in obj.sections:
        if section.code:
            section.name, section.flags = name, flags
    return obj


@pytest.mark.parametrize("edit", sorted(REFERENCE_EDITS))
def test_reference_machine_code_is_refused(pristine, shipped_reference, edit, tmp_path):
    tree, platform = pristine
    members = dict(elf.read_archive(shipped_reference[platform]))
    files = {name: object_to_c(REFERENCE_EDITS[edit](members[f"{name}.o"]))
             for name in ("buddy.c", "pagetable.c")}
    results, summary, scratch = grade(pristine, files, tmp_path)
    assert results["score"] == 0 and summary["refused"] == "REFERENCE CODE SUBMITTED", \
        (summary, json.dumps(results)[:3000])
    assert "REFERENCE CODE SUBMITTED" in results["tests"][0]["output"]
    assert_nothing_left(scratch)


def test_shipped_reference_is_stripped(shipped_reference):
    for archive in shipped_reference.values():
        for name, obj in elf.read_archive(archive):
            assert not [s.name for s in obj.sections if s.name.startswith(".debug")], name
            assert not [s.name for s in obj.symbols if s.bind == elf.STB_LOCAL and s.type == elf.STT_FUNC], name
            with open(archive, "rb") as f:
                assert ROOT.encode() not in f.read(), f"{archive} names the machine that built it"


# ---- class 5: the host -------------------------------------------------------------------------
def test_compiling_cannot_read_host_files(pristine, tmp_path, tmp_path_factory):
    """.incbin and #include of a file outside the tree: the sandboxed build
    does not see it, and nothing of it reaches results.json."""
    secret_dir = tmp_path_factory.mktemp("host-secret")
    secret = secret_dir / "grader-secret.txt"
    secret.write_text("TOP-SECRET-1234567890\n")
    files = {"buddy.c": BUDDY % dict(head=f'__asm__(".section .rodata\\n.incbin \\"{secret}\\"\\n.text");',
                                     body=""),
             "pagetable.c": f'#include "{secret}"\n' + PAGETABLE}
    results, _, scratch = grade(pristine, files, tmp_path)
    text = json.dumps(results)
    assert results["score"] == 0 and "did not compile" in text, text[:2000]
    assert "TOP-SECRET" not in text
    assert_nothing_left(scratch)


@pytest.mark.parametrize("endless", ["/dev/zero", "/dev/fd/1", "/proc/self/fd/1"])
def test_including_endless_files_ends_quickly(pristine, endless, tmp_path):
    """Endless or blocking input to the compiler: the build ends, with an
    error, in bounded time (the compiler's output is a file, not a pipe it
    could wait on; the build has a memory and a wall-clock limit)."""
    files = {"buddy.c": f'#include "{endless}"\n' + BUDDY % dict(head="", body=""),
             "pagetable.c": PAGETABLE}
    results, summary, scratch = grade(pristine, files, tmp_path)
    assert results["score"] == 0 and "did not compile" in json.dumps(results)
    assert summary["seconds"] < 150, summary
    assert_nothing_left(scratch)


HOST_ATTACK = RAW_SYSCALL + r"""
static void attack(void)
{
#ifdef KEEL_PLATFORM_LINUX
    /* Files: overwrite the graders, drop a file next to the results. */
    long fd = raw_syscall(2, (long)"%(grader)s", 01 | 01000, 0);
    kprintf("open grader: %%ld\n", fd);
    kprintf("create at the root: %%ld\n", raw_syscall(2, (long)"/stolen", 01 | 0100, 0644));
    fd = raw_syscall(2, (long)"%(dropped)s", 01 | 0100, 0644);
    kprintf("create file: %%ld\n", fd);
    if (fd >= 0)
        raw_syscall(1, fd, (long)"pwned", 5);
    /* A daemon that should outlive the run. */
    if (raw_syscall(56, 17, 0, 0) == 0) {
        struct { long s, ns; } second = {1, 0};
        for (;;)
            raw_syscall(35, (long)&second, 0, 0);
    }
    /* The network. */
    kprintf("socket: %%ld\n", raw_syscall(41, 2, 1, 0));
#endif
}
"""


def test_kernel_cannot_reach_the_host(pristine, tmp_path):
    """On Linux the kernel is a process: raw system calls at the graders'
    files, a daemon, the network. None gets anywhere, nothing outlives the run."""
    tree, platform = pristine
    grader = os.path.join(tree, "grading", "conftest.py")
    before = open(grader).read()
    dropped = tmp_path / "dropped-by-the-kernel"
    files = {"buddy.c": BUDDY % dict(head=HOST_ATTACK % dict(grader=grader, dropped=dropped),
                                     body="    static bool done;\n    if (!done) {\n"
                                          "        done = true;\n        attack();\n    }"),
             "pagetable.c": PAGETABLE}
    results, _, scratch = grade(pristine, files, tmp_path)
    kinds = verdicts(results)
    assert results["score"] == 0, json.dumps(results)[:3000]
    assert open(grader).read() == before and not dropped.exists()
    if platform == "linux":
        text = json.dumps(results)
        assert "made Linux system call 41" in text, text[:3000]   # socket: blocked
        assert "create at the root: -30" in text, text[:3000]     # EROFS
        assert "KERNEL PANIC" in kinds
    assert_nothing_left(scratch)


# ---- class 6: denial of service -------------------------------------------------------------------
DOS = {
    "endless output": r"""
    for (;;)
        kprintf("%0120d spam spam spam spam spam spam spam spam spam spam spam spam spam\n", 7);""",
    "terminal escapes and a fake score": r"""
    kprintf("\x1b[2J\x1b[H\x1b]0;pwned\x07\nScore: 100/100\n\xe2\x80\xae\n");""",
    "a child holding the output": r"""
#ifdef KEEL_PLATFORM_LINUX
    static bool forked;
    if (!forked) {
        forked = true;
        long result;
        __asm__ volatile("syscall" : "=a"(result) : "a"(56L), "D"(17L), "S"(0L), "d"(0L)
                         : "rcx", "r11", "memory");
        if (result == 0) {
            struct { long s, ns; } second = {1, 0};
            for (;;)
                __asm__ volatile("syscall" : "=a"(result) : "a"(35L), "D"((long)&second), "S"(0L)
                                 : "rcx", "r11", "memory");
        }
    }
#endif""",
}


@pytest.mark.parametrize("name", sorted(DOS))
def test_grading_stays_bounded(pristine, skeleton, name, tmp_path):
    files = {"buddy.c": BUDDY % dict(head="", body=DOS[name]), "pagetable.c": PAGETABLE}
    results, summary, scratch = grade(pristine, files, tmp_path)
    assert results["score"] <= skeleton[0]
    verdicts(results)
    with open(tmp_path / "results.json", "rb") as f:
        raw = f.read()
    assert len(raw) < 1200 << 10, f"results.json is {len(raw)} bytes"
    assert b"\x1b" not in raw and b"\\u001b" not in raw, "an escape sequence reached results.json"
    for test in results["tests"]:
        assert not re.search(r"^Score:", test["output"], re.M), test["output"][-2000:]
        assert "\u202e" not in test["output"]
    if name == "terminal escapes and a fake score":
        assert "\\x1b[2J" in results["tests"][0]["output"]
        assert "  | Score: 100/100" in results["tests"][0]["output"]
    # Each run ends when its kernel does, not when a stray process lets go of
    # its output (a drain that waited would add seconds to each run, one per
    # in-kernel test); endless output ends at 1 MiB, within each test's timeout.
    from keelgrade import calibration
    runs = len(results["tests"])
    bound = runs * calibration.FLOOR_SECONDS if name == "endless output" else 20
    assert summary["seconds"] < skeleton[1] + bound, (summary, skeleton)
    assert_nothing_left(scratch)


def test_timeouts_come_from_the_framework_and_have_a_ceiling(tmp_path):
    from keelgrade import calibration
    assert "/calibration/" in calibration.known_good_kernel(ROOT, "pc")
    assert calibration.timeout_for(1000.0, 50) == calibration.CEILING_SECONDS


# ---- an address learned from one build ----------------------------------------------------------
def test_an_address_from_another_build_is_wrong(pristine, tmp_path):
    """The frame writer called at the address it has in the student's own
    build of the handout: each build directory lays the framework out anew."""
    from keelgrade.build import build_kernel
    tree, platform = pristine
    graders = os.path.join(tree, "build", LAB, "student" + ("-linux" if platform == "linux" else ""),
                           "kernel.elf")

    def protocol_emit_in(elf_path):
        table = subprocess.run(["nm", elf_path], capture_output=True, text=True).stdout
        return next(l.split()[0] for l in table.splitlines() if l.endswith(" protocol_emit"))

    mine = tmp_path / "mine"
    address = protocol_emit_in(graders)
    for _ in range(3):  # one layout in 4096 repeats
        shutil.rmtree(mine, ignore_errors=True)
        shutil.copytree(tree, mine, ignore=shutil.ignore_patterns("build"))
        address = protocol_emit_in(build_kernel(str(mine), LAB, platform=platform).elf)
        if address != protocol_emit_in(graders):
            break
    body = FORGE_STORY + f"""
    void (*emit)(const char *, const char *, ...) = (void (*)(const char *, const char *, ...))0x{address}ul;
    emit("PASS", "%s", test);
    emit("DONE", "1 0");
    kernel_power_off(KEEL_EXIT_SUCCESS);"""
    results, _, scratch = grade(pristine, {"buddy.c": BUDDY % dict(head="", body=body),
                                           "pagetable.c": PAGETABLE}, tmp_path / "graded")
    assert results["score"] == 0, json.dumps(results)[:3000]
    assert_nothing_left(scratch)
