"""What lab code may use and define, asked of the tools rather than kept by
hand (rules.py applies it): the lab's API, from its headers through the
compiler; the names the framework lets code replace (its weak symbols); the
names the C library and sanitizer runtimes export, and the compiler's own
helpers (libgcc), cached under build/."""
import json
import os
import re
import subprocess
import tempfile

from . import elf

# The shared libraries a Linux-platform kernel is linked with (gcc -fsanitize=address).
SHARED_LIBRARIES = ("libc.so.6", "libm.so.6", "libgcc_s.so.1", "libasan.so")


_AUX_NAME = re.compile(r"(\w+) \(")
_EXTERN_VARIABLE = re.compile(r"^\s*extern\b[^(;]*?\b(\w+)\s*(\[[^\]]*\]\s*)*;")


def lab_api(cc, headers):
    """(api, own): the names the headers declare (functions and variables),
    and those of them the lab's own headers (not the framework's) declare,
    asking the compiler: `cc` is the compile command (a list) lab code is
    built with."""
    unit = "".join(f'#include "{os.path.abspath(h)}"\n' for h in headers)
    with tempfile.TemporaryDirectory(prefix="keel-api-") as work:
        aux = os.path.join(work, "aux.txt")
        run = subprocess.run([*cc, "-fsyntax-only", "-aux-info", aux, "-x", "c", "-"], input=unit,
                             capture_output=True, text=True)
        if run.returncode != 0:
            raise RuntimeError(f"the lab's headers do not compile:\n{run.stderr}")
        with open(aux) as f:
            declared = f.read()
        preprocessed = subprocess.run([*cc, "-E", "-P", "-x", "c", "-"], input=unit,
                                      capture_output=True, text=True, check=True).stdout
    names, own = set(), set()
    for line in declared.splitlines():
        where, _, body = line.partition("*/")
        if re.match(r"\s*static\b", body):
            continue
        match = _AUX_NAME.search(body)
        if match:
            names.add(match.group(1))
            if "framework/include/" not in where:
                own.add(match.group(1))
    for line in preprocessed.splitlines():
        match = _EXTERN_VARIABLE.match(line)
        if match:
            names.add(match.group(1))
    return names, own


# ---- names lab code must not define -----------------------------------------------------------
def weak_definitions(archives):
    """Names the framework defines weakly (code may replace them)."""
    names = set()
    for archive in archives:
        members = elf.read_archive(archive) if archive.endswith(".a") else \
            [(archive, elf.read_object(archive))]
        for _, obj in members:
            names |= {s.name for s in obj.symbols if s.bind == elf.STB_WEAK and s.defined}
    return names


def compiler_runtime(cache_dir=None):
    """Names of libgcc's helpers (__popcountdi2, __divti3, ...): code may
    call them because the compiler does (a PC kernel does not link libgcc, so
    there the linker says what is missing)."""
    return _defined_in(["libgcc.a"], cache_dir, ".libgcc-names.json", dynamic=False)


def runtime_exports(cache_dir=None):
    """Names the C library and the sanitizer runtime export (cached)."""
    return _defined_in(SHARED_LIBRARIES, cache_dir, ".runtime-exports.json", dynamic=True)


def _defined_in(libraries, cache_dir, cache_name, dynamic):
    paths = []
    for library in libraries:
        found = subprocess.run(["gcc", f"-print-file-name={library}"], capture_output=True,
                               text=True).stdout.strip()
        if os.path.isabs(found) and os.path.exists(found):
            paths.append(os.path.realpath(found))
    key = ";".join(f"{p}@{os.stat(p).st_mtime}" for p in paths)
    cache = os.path.join(cache_dir, cache_name) if cache_dir else None
    if cache:
        try:
            with open(cache) as f:
                stored = json.load(f)
            if stored["key"] == key:
                return set(stored["names"])
        except (OSError, ValueError, KeyError):
            pass
    names = set()
    for path in paths:
        out = subprocess.run(["nm", *(["-D"] if dynamic else []), "--defined-only", path],
                             capture_output=True, text=True).stdout
        for line in out.splitlines():
            fields = line.split()
            if len(fields) >= 3 and fields[1] in "TtWwiDdBbVvRr":
                names.add(fields[2].split("@")[0])
    if cache:
        os.makedirs(cache_dir, exist_ok=True)
        with open(cache + ".tmp", "w") as f:
            json.dump({"key": key, "names": sorted(names)}, f)
        os.replace(cache + ".tmp", cache)
    return names
