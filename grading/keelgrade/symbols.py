"""Symbolisation: where in the kernel's code an address is (function,
file:line, inlined callers), from the kernel's ELF with nm and addr2line,
and the registers and backtrace of a stopped kernel as text for a student."""
import bisect
import os
import re
import shutil
import subprocess


_function_starts = {}


def function_start(elf, address):
    """The start of the function (text symbol) holding `address`, from nm."""
    try:
        key = (elf, os.stat(elf).st_mtime)
    except OSError:
        return None
    if key not in _function_starts:
        starts = []
        try:
            out = subprocess.run(["nm", "-n", "--defined-only", elf], capture_output=True,
                                 text=True, timeout=30).stdout
        except (OSError, subprocess.TimeoutExpired):
            out = ""
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[1] in "tTwW":
                starts.append(int(parts[0], 16))
        _function_starts[key] = sorted(set(starts))
    starts = _function_starts[key]
    i = bisect.bisect_right(starts, address) - 1
    return starts[i] if i >= 0 else None


_SHOWN_REGISTERS = re.compile(r"^(RAX|RSI|R8 |R12|RIP|CS |SS |GDT|IDT|CR0)")


def short_registers(dump):
    keep = [l.rstrip() for l in dump.splitlines() if _SHOWN_REGISTERS.match(l)]
    return "\n".join("  " + l for l in keep) if keep else dump


def describe_state(registers, chain, kernel_elf):
    """Registers and a backtrace as text for a student."""
    lines = ["Registers:", short_registers(registers)]
    idt = re.search(r"^IDT=\s*([0-9a-f]+)\s+([0-9a-f]+)", registers, re.M)
    if idt and int(idt.group(2), 16) == 0:
        lines.append("  (the interrupt descriptor table is empty (IDT limit 0): the CPU cannot "
                     "deliver any exception, so the first one becomes a triple fault)")
    lines += ["", "Where the CPU was (most recent call first):"]
    if not chain:
        lines.append("  (no instruction pointer: no backtrace)")
        return "\n".join(lines)
    where = symbolise(kernel_elf, [a - 1 if ret else a for a, ret in chain])
    shown = 0
    for i, ((address, is_return), names) in enumerate(zip(chain, where)):
        if i > 0 and names[0][0] == "??":  # the chain has left the kernel's code
            break
        function, place = names[0]
        lines.append(f"  #{i:<2} {address:#018x} {function} ({place})")
        for function, place in names[1:]:
            lines.append(f"      inlined into {function} ({place})")
        shown += 1
    if chain and where and where[0][0][0] == "??":
        lines.append("      (RIP is outside the kernel's code: a jump through a bad pointer, "
                     "or a return with a corrupted stack?)")
    return "\n".join(lines)


def symbolise(elf, addresses):
    """For each address, [(function, "file:line")], innermost first (more
    than one when the compiler inlined functions there). Uses addr2line."""
    if not addresses:
        return []
    unknown = [[("??", "?")] for _ in addresses]
    if not shutil.which("addr2line"):
        return unknown
    try:
        result = subprocess.run(["addr2line", "-a", "-f", "-i", "-e", elf,
                                 *[f"{a:#x}" for a in addresses]],
                                capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return unknown
    return parse_addr2line(result.stdout, len(addresses), tree_of(elf)) or unknown


def tree_of(elf):
    """The tree a kernel was built in (the nearest directory above it with a
    Makefile): source paths under it are shown relative to it."""
    directory = os.path.dirname(os.path.abspath(elf))
    while not os.path.exists(os.path.join(directory, "Makefile")):
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent
    return directory


def parse_addr2line(output, count, root=None):
    """Parse `addr2line -a -f -i` output: per address a "0x..." line, then
    function / file:line pairs."""
    entries = []
    lines = output.splitlines()
    i = 0
    while i < len(lines):
        if re.fullmatch(r"0x[0-9a-fA-F]+", lines[i].strip()):
            entries.append([])
            i += 1
            continue
        if entries and i + 1 < len(lines):
            function, place = lines[i].strip(), lines[i + 1].strip()
            place = re.sub(r"\s*\(discriminator \d+\)", "", place)
            if root and place.startswith(root + os.sep):
                place = os.path.relpath(place, root)
            entries[-1].append((function, place))
            i += 2
            continue
        i += 1
    if len(entries) != count:
        return None
    return [e or [("??", "?")] for e in entries]
