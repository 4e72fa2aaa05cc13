"""What lab code may contain, checked on the objects compiled from a lab's
student files before they are linked into a kernel (the Makefile runs this
for every lab kernel; grading a submission refuses code that breaks a rule).

The rules, each with the reason it exists:
  - It may use only the lab's published API: the functions and variables
    declared by the lab's own headers and the framework headers they include
    (the list is derived from those headers by the compiler, never kept by
    hand), what the student's other files of the lab define, and what the
    compiler itself calls (the sanitizers' runtime). So lab code cannot write
    grader frames (protocol_emit), call the C library on the Linux platform,
    or reach into the test runner.
  - Its sections are code, data, read-only data and bss. No tests (KTEST puts
    them in keel_tests), no constructors (.init_array: code that would run
    before the kernel), no sections of its own for the linker to gather, no
    thread-local or indirect-function symbols.
  - It defines no name that the framework lets code replace (a weak symbol)
    or that the C library and sanitizer runtimes export (on the Linux platform
    the kernel's definition would replace theirs for the whole process, and
    see what they see), unless the lab's own header declares it (hooks such
    as thread_exit_hook); and no name C reserves for the implementation
    (__x, _X) or the linker and start-up code use (main, etext, ...).
  - It does not spell out the grader protocol ("@@keel", protocol_emit,
    keel.nonce): code that does is forging frames.
  - It is not the reference solution's compiled code. Handouts ship other
    labs' references prebuilt (stripped, and compiled with flags that change
    most of their machine code), and the lab's graders carry fingerprints of
    that code: hashes of every 16-byte window of each function, less the
    windows the same C compiled as lab code has. A student who writes the
    reference's C is never mistaken for one who pasted its machine code, and
    small edits to pasted code (a nop, a renamed symbol, another section) do
    not hide it.
  - Its size is bounded.

Usage (see the Makefile):
  python3 -m keelgrade.rules check --cc "gcc FLAGS" --headers H... --framework LIB...
      [--fingerprints FILE] [--refusal FILE] OBJECT...
  python3 -m keelgrade.rules fingerprint --out FILE --reference OBJ... --plain OBJ...
"""
import argparse
import json
import os
import re
import shlex
import sys
from dataclasses import dataclass, field

from . import elf
from .fingerprints import find_reference_code, functions, make_fingerprints
from .lab_api import compiler_runtime, lab_api, runtime_exports, weak_definitions

ALLOWED_SECTION = re.compile(r"^\.(text|data|rodata|bss)(\.[\w.]*)?$")
METADATA_SECTIONS = {"", ".comment", ".note.GNU-stack", ".note.gnu.property", ".symtab", ".strtab",
                     ".shstrtab", ".eh_frame", ".debug_frame"}
# AddressSanitizer registers a file's globals from a constructor of its own.
SANITIZER_CONSTRUCTORS = {".init_array.00099", ".fini_array.00099"}
RUNTIME_PREFIXES = ("__asan_", "__ubsan_handle_")
MAX_LOADED_BYTES = 2 << 20     # code and data of one file
MAX_BSS_BYTES = 16 << 20

REFUSED_HEADER = "*** Keel refused this lab code ***"
# Names the linker, the start-up code or the C library's start-up define or
# call (beyond C's reserved __x and _X): defining one runs code before the
# kernel, or moves its boundaries.
LINKER_NAMES = {"main", "etext", "edata", "end"}
# What only the grader protocol spells: code holding these is forging frames.
PROTOCOL_WORDS = (b"@@keel", b"protocol_emit", b"keel.nonce", b"@nonce:")


@dataclass
class Refusal:
    source: str      # the lab file, e.g. lab2-mm/buddy.c
    rule: str        # short: "API", "section", "constructor", "name", "size", "reference code"
    detail: str

    def __str__(self):
        return f"{self.source}: {self.detail}"


def source_of(object_path):
    """lab2-mm/buddy.c for build/lab2-mm/student/obj/lab2-mm/buddy.c.o."""
    path = object_path.replace(os.sep, "/")
    if "/obj/" in path:
        path = path.rsplit("/obj/", 1)[1]
    return path[:-2] if path.endswith(".o") else path


# ---- the check ---------------------------------------------------------------------------------
@dataclass
class Names:
    """What lab code may use and define (see the module's docstring)."""
    api: set                 # declared by the lab's headers and those they include
    own: set = field(default_factory=set)        # of those, by the lab's own headers
    reserved: set = field(default_factory=set)   # the framework's weak names, the C library's
    helpers: set = field(default_factory=set)    # what the compiler calls (libgcc)


def reserved_identifier(name):
    """C reserves __x and _X for the implementation; the linker and start-up
    code use a few more."""
    if not re.fullmatch(r"[A-Za-z_]\w*", name):  # the compiler's own (__odr_asan.x)
        return False
    return name.startswith("__") or re.match(r"_[A-Z]", name) is not None or name in LINKER_NAMES


def check_objects(objects, names, fingerprints=()):
    """The refusals for lab objects [(source, ObjectFile)]: empty if the code
    keeps every rule."""
    refusals = []
    defined_by_lab = {s.name for _, obj in objects for s in obj.symbols
                      if s.defined and s.is_global}
    for source, obj in objects:
        refusals += _check_one(source, obj, names, defined_by_lab)
    found = find_reference_code([obj for _, obj in objects], fingerprints) if fingerprints else None
    if found:
        function, fraction = found
        what = f"the reference solution's {function}" if function else \
            "a function of the reference solution"
        refusals.append(Refusal(", ".join(source for source, _ in objects), "reference code", (
            f"REFERENCE CODE SUBMITTED: {fraction:.0%} of the machine code of {what}, as "
            "compiled for the handouts, is in this lab code. Submitting the reference "
            "solution's machine code (for example taken from another lab's prebuilt "
            "lib/libref-*.a), edited or not, is not allowed; write the lab in C yourself.")))
    return refusals


def _check_one(source, obj, names, defined_by_lab):
    refusals = []
    loaded = bss = 0
    for section in obj.sections:
        name = section.name
        spelled = [w.decode() for w in PROTOCOL_WORDS if section.allocated and w in section.data]
        if spelled:
            refusals.append(Refusal(source, "protocol", (
                f"it spells out the grader protocol ({', '.join(spelled)}): only the framework "
                "writes grader frames, and lab code that tries is refused")))
        if name in SANITIZER_CONSTRUCTORS:
            problem = _sanitizer_constructor_problem(obj, section)
            if problem:
                refusals.append(Refusal(source, "constructor", problem))
            continue
        if name.startswith(".rela"):
            continue
        if name in METADATA_SECTIONS or name.startswith(".debug_"):
            continue
        if name.startswith((".init_array", ".fini_array", ".ctors", ".dtors", ".preinit_array")):
            refusals.append(Refusal(source, "constructor", (
                f"it has a constructor or destructor (section {name}): code that runs before "
                "or after the kernel is not allowed in lab code")))
            continue
        if name == "keel_tests" or "keel_test" in name:
            refusals.append(Refusal(source, "section", (
                f"it defines in-kernel tests (section {name}, what KTEST makes): tests belong "
                "to the lab's tests/ directory, not to the files you hand in")))
            continue
        if not ALLOWED_SECTION.match(name) or "keel" in name or name.startswith((".tdata", ".tbss")):
            refusals.append(Refusal(source, "section", (
                f"it has a section of its own, {name!r}: lab code may have only code (.text), "
                "data (.data), read-only data (.rodata) and zeroed data (.bss)")))
            continue
        if section.type == elf.SHT_NOBITS:
            bss += section.size
        elif section.allocated:
            loaded += section.size
    if loaded > MAX_LOADED_BYTES:
        refusals.append(Refusal(source, "size", f"its code and data are {loaded} bytes, more than "
                                f"the {MAX_LOADED_BYTES} a lab file may have"))
    if bss > MAX_BSS_BYTES:
        refusals.append(Refusal(source, "size", f"its zeroed data (.bss) is {bss} bytes, more "
                                f"than the {MAX_BSS_BYTES} a lab file may have"))

    uses, bad_uses = set(), []
    for symbol in obj.symbols:
        if symbol.type == elf.STT_GNU_IFUNC or symbol.type == elf.STT_TLS:
            refusals.append(Refusal(source, "name", (
                f"{symbol.name} is a{'n indirect' if symbol.type == elf.STT_GNU_IFUNC else ' thread-local'} "
                "symbol: lab code may not have those")))
            continue
        if not symbol.name or symbol.type in (elf.STT_FILE, elf.STT_SECTION):
            continue
        if not symbol.defined:
            if symbol.name in uses:
                continue
            uses.add(symbol.name)
            if symbol.name in names.api or symbol.name in defined_by_lab or \
                    symbol.name in names.helpers or symbol.name.startswith(RUNTIME_PREFIXES):
                continue
            bad_uses.append(symbol.name)
            continue
        if not symbol.is_global:
            continue
        if symbol.section in (elf.SHN_ABS, elf.SHN_COMMON):
            refusals.append(Refusal(source, "name", f"{symbol.name} is an absolute or common "
                                    "symbol: lab code may not define those"))
        elif reserved_identifier(symbol.name):
            refusals.append(Refusal(source, "name", (
                f"it defines {symbol.name}: names that start with __ or _ and a capital letter "
                "belong to the compiler and C library, and main, etext, edata and end to the "
                "linker and start-up code; make it static, or give it another name")))
        elif symbol.name in names.reserved and symbol.name not in names.own:
            refusals.append(Refusal(source, "name", (
                f"it defines {symbol.name}, a name the framework or the C library already uses "
                "(on the Linux platform yours would replace theirs for the whole kernel): make "
                "it static, or give it another name")))
    if bad_uses:
        shown = ", ".join(sorted(bad_uses)[:8]) + (" ..." if len(bad_uses) > 8 else "")
        refusals.append(Refusal(source, "API", (
            f"it uses {shown}, which {'is' if len(bad_uses) == 1 else 'are'} not part of this "
            "lab's API: lab code may use only what the lab's header and the framework headers "
            "it includes declare, and what your own files of this lab define")))
    return refusals


def _sanitizer_constructor_problem(obj, section):
    """AddressSanitizer's per-file constructor is allowed; anything else in
    its section, or a constructor that calls more than the sanitizer, is not."""
    entries = obj.relocations.get(section.index, [])
    if len(entries) != 1 or section.size != 8:
        return f"its constructor section {section.name} holds more than the sanitizer's"
    target = entries[0]
    if target.symbol.section >= len(obj.sections) or target.symbol.section == 0:
        return f"its constructor section {section.name} points outside the file"
    code_section = obj.sections[target.symbol.section]
    address = target.symbol.value + target.addend
    function = next((f for f in functions(obj) if f[0] is code_section and f[1] == address), None)
    if function is None:
        return f"its constructor ({section.name}) is not a function of the file"
    _, start, size, _, _ = function
    for relocation in obj.relocations.get(code_section.index, []):
        if start <= relocation.offset < start + size and relocation.symbol.defined is False \
                and not relocation.symbol.name.startswith("__asan_"):
            return (f"it has a constructor ({section.name}) that calls "
                    f"{relocation.symbol.name}: code that runs before the kernel is not allowed")
    return None


# ---- command line ------------------------------------------------------------------------------
def _check_command(args):
    api, own = lab_api(shlex.split(args.cc), args.headers)
    names = Names(api, own, weak_definitions(args.framework) | runtime_exports(args.cache),
                  compiler_runtime(args.cache))
    fingerprints = []
    if args.fingerprints and os.path.exists(args.fingerprints):
        with open(args.fingerprints) as f:
            fingerprints = json.load(f)["functions"]
    objects = [(source_of(path), elf.read_object(path)) for path in args.objects]
    refusals = check_objects(objects, names, fingerprints)
    if args.refusal and os.path.exists(args.refusal):
        os.unlink(args.refusal)
    if not refusals:
        return 0
    lines = [REFUSED_HEADER] + [f"  {r}" for r in refusals]
    text = "\n".join(lines) + "\n"
    sys.stderr.write(text)
    if args.refusal:
        with open(args.refusal, "w") as f:
            f.write(text)
    return 3


def _fingerprint_command(args):
    records = make_fingerprints(args.reference, args.plain)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"what": "hashes of the reference solution's compiled functions, relocations "
                   "masked (keelgrade/rules.py); no code", "functions": records}, f, indent=1)
        f.write("\n")
    print(f"{len(records)} fingerprints in {args.out}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="keelgrade.rules", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check lab objects before they are linked")
    check.add_argument("--cc", required=True, help="the compile command of lab code (one string)")
    check.add_argument("--headers", nargs="+", required=True, help="the lab's API headers")
    check.add_argument("--framework", nargs="*", default=[], help="framework archives and objects")
    check.add_argument("--fingerprints", help="the reference's fingerprints (JSON)")
    check.add_argument("--refusal", help="where to write the refusal")
    check.add_argument("--cache", help="a directory for cached facts about the host")
    check.add_argument("objects", nargs="*")
    fingerprint = commands.add_parser("fingerprint", help="fingerprint the reference's objects")
    fingerprint.add_argument("--out", required=True)
    fingerprint.add_argument("--reference", nargs="+", required=True)
    fingerprint.add_argument("--plain", nargs="*", default=[])
    args = parser.parse_args(argv)
    return _check_command(args) if args.command == "check" else _fingerprint_command(args)


if __name__ == "__main__":
    sys.exit(main())
