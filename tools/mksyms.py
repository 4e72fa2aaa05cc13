#!/usr/bin/env python3
"""Make the kernel's symbol table: functions and line numbers for backtraces.

    mksyms.py KERNEL.elf OUT.bin [--strip-prefix DIR]

Reads the functions with `nm` and the line table with `objdump
--dwarf=decodedline` (binutils), and writes a blob that the build links into
the .keel_symbols section; framework/core/symbols.c reads it.

Blob format (little-endian; offsets are from the start of the blob):
  header   magic u32 "KSYM", version u32 (1), base u64 (lowest function
           address), function count u32, line count u32, file count u32,
           functions offset u32, lines offset u32, files offset u32,
           strings offset u32, strings size u32                   (48 bytes)
  function start-base u32, size u32, name offset u32   (12 bytes, sorted by start)
  line     address-base u32, file index u16, line u16  (8 bytes, sorted by address;
           an entry holds from its address to the next entry's; line 0 = unknown)
  file     name offset u32
  strings  NUL-terminated names
"""
import argparse
import os
import re
import struct
import subprocess
import sys

MAGIC = 0x4D59534B  # "KSYM"
VERSION = 1


def run(*cmd):
    try:
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    except FileNotFoundError:
        sys.exit(f"mksyms: {cmd[0]} not found (install binutils)")
    except subprocess.CalledProcessError as e:
        sys.exit(f"mksyms: {' '.join(cmd)} failed:\n{e.stderr}")


def read_functions(elf):
    """[(start, size, name)] of code symbols, sorted by address."""
    raw = []
    for line in run("nm", "-S", "-n", "--defined-only", elf).splitlines():
        parts = line.split()
        if len(parts) == 4:
            address, size, kind, name = parts
        elif len(parts) == 3:
            address, kind, name = parts
            size = None
        else:
            continue
        if kind not in "tTwW" or name.startswith(".L"):
            continue
        raw.append((int(address, 16), int(size, 16) if size else None, name))
    raw.sort(key=lambda f: (f[0], f[1] is None))
    functions = []
    for i, (start, size, name) in enumerate(raw):
        if functions and functions[-1][0] == start:
            continue  # an alias of the previous symbol
        if size is None:  # assembly label: up to the next symbol
            size = raw[i + 1][0] - start if i + 1 < len(raw) else 16
        functions.append((start, size, name))
    # Offsets are 32-bit: keep the cluster of the highest addresses (the
    # higher-half kernel), dropping the 32-bit boot code at 1 MiB.
    if functions:
        top = functions[-1][0]
        functions = [f for f in functions if top - f[0] < 1 << 31]
    return functions


def read_lines(elf, strip_prefix):
    """[(address, file, line)] from the DWARF line table."""
    text = run("readelf", "--wide", "--debug-dump=decodedline", elf)
    entries = []
    current = None
    by_basename = {}
    entry_re = re.compile(r"^(\S+)\s+(\d+|-)\s+(0x[0-9a-f]+)")
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("CU: "):
            current = line[4:].rstrip(":")
        elif line.endswith(":[++]") or (line.endswith(":") and " " not in line):
            current = line.rstrip(":").removesuffix(":[++]")
        else:
            m = entry_re.match(line)
            if not m or current is None:
                continue
            number = 0 if m.group(2) == "-" else int(m.group(2))
            path = current
            # The first column names the file; inlined code from a header
            # shows the header's name there.
            if m.group(1) != os.path.basename(current):
                path = by_basename.get(m.group(1), m.group(1))
            entries.append((int(m.group(3), 16), tidy_path(path, strip_prefix), number))
            continue
        by_basename[os.path.basename(current)] = current
    return entries


def tidy_path(path, strip_prefix):
    if strip_prefix and path.startswith(strip_prefix):
        path = path[len(strip_prefix):]
    while path.startswith("./"):
        path = path[2:]
    return path


def build(functions, lines):
    strings = bytearray()
    string_offsets = {}

    def intern(s):
        if s not in string_offsets:
            string_offsets[s] = len(strings)
            strings.extend(s.encode() + b"\0")
        return string_offsets[s]

    base = functions[0][0] if functions else 0
    function_table = b"".join(
        struct.pack("<III", start - base, min(size, 0xFFFFFFFF), intern(name))
        for start, size, name in functions)

    files = []
    file_index = {}
    line_table = bytearray()
    previous = None
    in_range = [entry for entry in lines if entry[0] >= base and entry[0] - base < 1 << 32]
    in_range.sort(key=lambda e: e[0])
    # Keep the last entry at each address (the one that describes the code there).
    deduplicated = {}
    for address, path, number in in_range:
        deduplicated[address] = (path, number)
    for address in sorted(deduplicated):
        path, number = deduplicated[address]
        if path not in file_index:
            file_index[path] = len(files)
            files.append(intern(path))
        key = (file_index[path], min(number, 0xFFFF))
        if key == previous:
            continue
        previous = key
        line_table += struct.pack("<IHH", address - base, *key)

    file_table = b"".join(struct.pack("<I", offset) for offset in files)
    header_size = 48
    functions_offset = header_size
    lines_offset = functions_offset + len(function_table)
    files_offset = lines_offset + len(line_table)
    strings_offset = files_offset + len(file_table)
    header = struct.pack("<IIQIIIIIIII", MAGIC, VERSION, base, len(functions),
                         len(line_table) // 8, len(files), functions_offset, lines_offset,
                         files_offset, strings_offset, len(strings))
    assert len(header) == header_size
    return header + function_table + bytes(line_table) + file_table + bytes(strings)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("elf")
    parser.add_argument("out")
    parser.add_argument("--strip-prefix", default="")
    args = parser.parse_args()
    functions = read_functions(args.elf)
    if not functions:
        sys.exit(f"mksyms: no functions found in {args.elf}")
    lines = read_lines(args.elf, args.strip_prefix)
    if not lines:
        print(f"mksyms: warning: no line information in {args.elf} (built without -g?)",
              file=sys.stderr)
    with open(args.out, "wb") as f:
        f.write(build(functions, lines))


if __name__ == "__main__":
    main()
