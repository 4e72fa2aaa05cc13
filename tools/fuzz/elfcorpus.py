#!/usr/bin/env python3
"""The malformed-ELF corpus: variants of a real small static program
(tools/fuzz/elf_base.c) with truncations, bad header fields and bad segment
layouts, made deterministically from a seed.

    tools/fuzz/elfcorpus.py [--platform pc|linux|both] [--seed N] [--linux]
                            [--out DIR]

Every file is execve'd on the complete kernel (many per boot: tools/fuzz/
elf_runner.c runs each in a child). The kernel must refuse it (execve returns
an error) or run it (it exits or dies by a signal): never panic or hang.
--linux also runs the corpus natively in a bubblewrap sandbox and lists where
Keel's decision (refuse or run) differs from Linux's. Python standard library
only; lab 5's graders take a selection from here (`corpus`)."""
import argparse
import os
import random
import re
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keelboot  # noqa: E402

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")  # struct elf_header
PHDR = struct.Struct("<IIQQQQQQ")          # struct elf_segment
PT_LOAD, PT_INTERP = 1, 3
TOP = 1 << 64


def base_program():
    """The base program's bytes (compiled once into build/fuzz/elf_base)."""
    os.makedirs(keelboot.BUILD, exist_ok=True)
    source = os.path.join(keelboot.ROOT, "tools", "fuzz", "elf_base.c")
    binary = os.path.join(keelboot.BUILD, "elf_base")
    if not os.path.exists(binary) or os.path.getmtime(binary) < os.path.getmtime(source):
        keelboot.compile_to(binary, ["gcc", "-static", "-nostdlib", "-no-pie", "-ffreestanding",
                                     "-fno-stack-protector", "-O2", "-Wall", "-Wextra", "-Werror",
                                     "-Wl,--build-id=none", "-Wl,-z,max-page-size=4096", source])
    with open(binary, "rb") as f:
        return f.read()


class Elf:
    """A mutable view of an ELF64 file: its header fields and program headers."""

    def __init__(self, data):
        self.data = bytearray(data)
        self.fields = list(EHDR.unpack_from(self.data))

    def header(self, **changes):
        names = ["ident", "type", "machine", "version", "entry", "phoff", "shoff", "flags", "ehsize",
                 "phentsize", "phnum", "shentsize", "shnum", "shstrndx"]
        for name, value in changes.items():
            self.fields[names.index(name)] = value
        EHDR.pack_into(self.data, 0, *self.fields)
        return self

    def get(self, name):
        return self.fields[["ident", "type", "machine", "version", "entry", "phoff", "shoff", "flags",
                            "ehsize", "phentsize", "phnum", "shentsize", "shnum", "shstrndx"].index(name)]

    def segments(self):
        phoff, phnum = self.get("phoff"), self.get("phnum")
        return [list(PHDR.unpack_from(self.data, phoff + i * PHDR.size)) for i in range(phnum)]

    def loads(self):
        return [i for i, s in enumerate(self.segments()) if s[0] == PT_LOAD]

    def segment(self, index, **changes):
        names = ["type", "flags", "offset", "vaddr", "paddr", "filesz", "memsz", "align"]
        at = self.get("phoff") + index * PHDR.size
        fields = list(PHDR.unpack_from(self.data, at))
        for name, value in changes.items():
            fields[names.index(name)] = value % TOP
        PHDR.pack_into(self.data, at, *fields)
        return self

    def bytes(self):
        return bytes(self.data)


def corpus(seed=1):
    """[(name, bytes, what)]: every case, the same for the same seed."""
    base = base_program()
    out = []

    def add(name, data, what):
        out.append((f"e{len(out):03d}-{name}"[:40], bytes(data), what))

    def fresh():
        return Elf(base)

    elf = fresh()
    loads = elf.loads()
    text = next(i for i in loads if elf.segments()[i][1] & 1)
    data_seg = loads[-1]
    segs = elf.segments()
    add("intact", base, "the base program itself: must run and exit 0")
    # Truncations at every interesting offset.
    cuts = {0, 1, 4, 5, 16, 17, 24, 32, 52, 56, 63, 64, 65}
    phoff = elf.get("phoff")
    for i in range(len(segs) + 1):
        cuts |= {phoff + i * PHDR.size - 1, phoff + i * PHDR.size, phoff + i * PHDR.size + 8}
    for s in segs:
        if s[0] == PT_LOAD and s[5]:
            cuts |= {s[2], s[2] + 1, s[2] + s[5] // 2, s[2] + s[5] - 1}
    for cut in sorted(c for c in cuts if 0 <= c < len(base)):
        add(f"trunc-{cut}", base[:cut], f"the file cut to {cut} bytes")
    # Header fields.
    ident = bytes(base[:16])
    for at, value, what in [(0, 0x7e, "magic"), (3, ord("f"), "magic"), (4, 1, "class 32-bit"),
                            (4, 0, "class none"), (4, 3, "class 3"), (5, 2, "big-endian"),
                            (5, 0, "data none"), (6, 0, "ident version 0"), (7, 0xff, "OS ABI 255")]:
        changed = bytearray(ident)
        changed[at] = value
        add(f"ident{at}-{value}", fresh().header(ident=bytes(changed)).bytes(), f"e_ident[{at}] = {value} ({what})")
    for field, values in [("type", [0, 1, 3, 4, 0xfe00, 0xffff]), ("machine", [0, 3, 40, 183, 0xffff]),
                          ("version", [0, 2, 0xffffffff]),
                          ("phoff", [0, 1, 8, len(base) - 1, len(base), len(base) + 56, 1 << 31, 1 << 63,
                                     TOP - 1, TOP - 56, TOP - 56 * len(segs) + 8]),
                          ("phnum", [0, 1, len(segs) + 1, 0x100, 0xfff, 0xffff]),
                          ("phentsize", [0, 1, 32, 55, 57, 64, 0xffff]),
                          ("ehsize", [0, 1, 0xffff]), ("shoff", [TOP - 1]), ("shnum", [0xffff])]:
        for value in values:
            add(f"{field}-{value:x}", fresh().header(**{field: value}).bytes(), f"e_{field} = {value:#x}")
    entries = [0, 1, 0x1000, segs[text][3] - 1, segs[text][3] + segs[text][6], segs[data_seg][3],
               0x7ffffffff000, 0x7fffffffffff, 0xffff800000000000, 0xffffffff80000000, TOP - 1,
               0x800000000000, 0x8000000000000000, 0xffff7fffffffffff]  # non-canonical
    for value in entries:
        add(f"entry-{value:x}", fresh().header(entry=value).bytes(), f"e_entry = {value:#x}")
    # Segment layouts.
    for index, role in [(text, "text"), (data_seg, "data")]:
        s = segs[index]
        for what, changes in [
            ("offset past the end", dict(offset=len(base) + 0x1000)),
            ("offset+filesz past the end", dict(filesz=len(base) - s[2] + 1, memsz=max(s[6], len(base)))),
            ("offset huge", dict(offset=TOP - 0x1000)),
            ("offset+filesz wraps", dict(offset=TOP - 8, filesz=16, memsz=0x1000)),
            ("filesz > memsz", dict(filesz=s[5] + 1, memsz=s[5])),
            ("filesz huge", dict(filesz=TOP - 1, memsz=TOP - 1)),
            ("memsz huge (1 TiB)", dict(memsz=1 << 40)),
            ("memsz 64 MiB", dict(memsz=64 << 20)),
            ("zero size", dict(filesz=0, memsz=0)),
            ("vaddr 0", dict(vaddr=0)),
            ("vaddr unaligned", dict(vaddr=s[3] + 1)),
            ("vaddr+memsz wraps", dict(vaddr=0x7fff00000000, memsz=TOP - 0x1000)),
            ("vaddr in the kernel's direct map", dict(vaddr=0xffff800000000000)),
            ("vaddr in the kernel image", dict(vaddr=0xffffffff80000000)),
            ("vaddr at the top", dict(vaddr=TOP - 0x1000)),
            ("vaddr non-canonical", dict(vaddr=0x800000000000)),
            ("vaddr at the end of user space", dict(vaddr=0x7ffffffff000)),
            ("vaddr+memsz past user space", dict(vaddr=0x7ffffffff000, memsz=0x2000)),
            ("vaddr on the stack", dict(vaddr=0x7ffffffef000)),
            ("align 0", dict(align=0)), ("align 3", dict(align=3)),
            ("type PT_INTERP", dict(type=PT_INTERP)), ("type 0x70000000", dict(type=0x70000000)),
            ("no permissions", dict(flags=0)), ("writable and executable", dict(flags=7)),
        ]:
            slug = re.sub(r"[^a-z0-9]+", "-", what.lower()).strip("-")
            add(f"{role}-{slug}", fresh().segment(index, **changes).bytes(), f"{role} segment: {what}")
    overlap = fresh().segment(data_seg, vaddr=segs[text][3])
    add("data-overlaps-text", overlap.bytes(), "the data segment at the text segment's address")
    overlap = fresh().segment(data_seg, vaddr=segs[text][3] + 0x800, offset=segs[data_seg][2] + 0x800)
    add("data-overlaps-text-page", overlap.bytes(), "the data segment sharing the text segment's page")
    # Many program headers: a table appended at the end.
    for count in (64, 1000, 0xffff):
        table = b"".join(PHDR.pack(*s) for s in segs) + PHDR.pack(6, 4, 0, 0, 0, 0, 0, 8) * (count - len(segs))
        many = Elf(base + table).header(phoff=len(base), phnum=count)
        add(f"phnum-{count}", many.bytes(), f"{count} program headers (PT_PHDR repeated)")
    # Seeded random mutations of header and program-header bytes.
    rng = random.Random(seed)
    span = phoff + len(segs) * PHDR.size
    for n in range(40):
        data = bytearray(base)
        for _ in range(rng.choice([1, 2, 4, 8])):
            at = rng.randrange(span)
            data[at] = rng.randrange(256)
        add(f"random-{seed}-{n}", data, f"random bytes changed in the headers (seed {seed}, case {n})")
    return out


def write_corpus(directory, cases):
    os.makedirs(directory, exist_ok=True)
    for name, data, _ in cases:
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)
    with open(os.path.join(directory, "corpus.list"), "w") as f:
        f.write("".join(name + "\n" for name, _, _ in cases))


def outcomes(output):
    """{name: outcome} from elf_runner's lines; '(hang)' for one started but not finished."""
    result = {}
    for name, outcome in re.findall(r"^elf (\S+): (.*)$", output, re.M):
        result[name] = outcome
    return {n: ("(did not finish)" if o == "start" else o) for n, o in result.items()}


BATCH = 60  # files per boot: the kernel takes at most 64 boot files


def run_on_keel(platform, cases, timeout=None):
    """(outcomes, problem or None, output) for the corpus on the complete
    kernel, BATCH files per boot."""
    runner = keelboot.compile_program("elf_runner")
    results, output = {}, ""
    for first in range(0, len(cases), BATCH):
        batch = cases[first:first + BATCH]
        with tempfile.TemporaryDirectory(prefix="keel-elf-") as work:
            write_corpus(work, batch)
            files = {"elf_runner": runner, "corpus.list": os.path.join(work, "corpus.list")}
            files.update((name, os.path.join(work, name)) for name, _, _ in batch)
            run = keelboot.boot(platform, "elf_runner", files, timeout or 30 + 2 * len(batch),
                                with_programs=False)
        results.update(outcomes(run.output))
        output += run.output
        problem = run.trouble()
        if not problem and f"elf: all {len(batch)} done" not in run.output:
            problem = f"the runner did not get through the corpus (exit status {run.status})"
        if problem:
            started = [n for n, o in outcomes(run.output).items() if o == "(did not finish)"]
            if started:
                problem += f", while running {started[-1]}"
            return results, problem, run.output
    return results, None, output


def decision(outcome):
    return "refused" if outcome.startswith("refused") else "ran"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--platform", default="both", choices=["pc", "linux", "both"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--linux", action="store_true", help="compare with Linux on this host")
    parser.add_argument("--out", help="also write the corpus to this directory")
    args = parser.parse_args()
    cases = corpus(args.seed)
    print(f"elf corpus: seed {args.seed}, {len(cases)} files")
    if args.out:
        write_corpus(args.out, cases)
    platforms = keelboot.PLATFORMS if args.platform == "both" else (args.platform,)
    keelboot.build_kernels(platforms)
    import elflinux  # it imports this module
    native = elflinux.run_on_linux(cases) if args.linux else {}
    failed = False
    for platform in platforms:
        results, problem, output = run_on_keel(platform, cases)
        counts = {}
        for outcome in results.values():
            counts[decision(outcome)] = counts.get(decision(outcome), 0) + 1
        print(f"elf corpus {platform}: {counts}" + (f": FAILED: {problem}" if problem else ": kernel survived"))
        if problem:
            failed = True
            print("\n".join(output.rstrip().splitlines()[-20:]))
        if native:
            print(elflinux.compare(cases, results, native))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
