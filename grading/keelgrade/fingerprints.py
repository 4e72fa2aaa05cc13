"""Fingerprints of the reference solution's machine code, and finding them
in lab code (rules.py refuses code that holds them; `make fingerprints`
makes them). See rules.py's docstring for why."""
import hashlib

from . import elf

# A fingerprint is the set of hashes of every SHINGLE-byte window of a
# reference function (relocated bytes zeroed), less the windows that the same
# C compiled as lab code also contains. The shipped reference is compiled
# with -fcf-protection=branch and some registers kept free (REFERENCE_CFLAGS
# in the Makefile), which changes most of its windows; honest code, compiled
# without them, shares almost none of what is left. Windows survive small
# edits (a nop added, an instruction changed, functions reordered or
# renamed, a section renamed), so a function counts as pasted when most of
# its windows are in the submission.
SHINGLE = 16
MIN_SHINGLES = 24              # functions with fewer distinctive windows are not judged
MATCH_FRACTION = 0.6


def functions(obj):
    """(section, start, size, name, global) of each function with a size."""
    found = []
    for symbol in obj.symbols:
        if symbol.type != elf.STT_FUNC or not symbol.size or not 0 < symbol.section < len(obj.sections):
            continue
        section = obj.sections[symbol.section]
        if section.code and symbol.value + symbol.size <= len(section.data):
            found.append((section, symbol.value, symbol.size, symbol.name, symbol.is_global))
    return found


def masked(obj, section):
    """A section's bytes with every byte a relocation patches zeroed."""
    data = bytearray(section.data)
    for relocation in obj.relocations.get(section.index, []):
        data[relocation.offset:relocation.offset + relocation.width] = bytes(relocation.width)
    return bytes(data)


def shingles(data, start=0, end=None):
    """Hashes (16 hex digits) of every SHINGLE-byte window of data[start:end]."""
    end = len(data) if end is None else end
    return {hashlib.blake2b(data[i:i + SHINGLE], digest_size=8).hexdigest()
            for i in range(start, max(start, end - SHINGLE + 1))}


def make_fingerprints(reference_objects, plain_objects):
    """A record per reference function (of `reference_objects`, the
    reference as shipped) with its distinctive windows: those that no
    function of `plain_objects` (the same sources compiled as lab code) has."""
    plain = set()
    for path in plain_objects:
        obj = elf.read_object(path)
        for section in obj.sections:
            if section.code and section.data:
                plain |= shingles(masked(obj, section))
    records = []
    for path in reference_objects:
        obj = elf.read_object(path)
        for section, start, size, name, is_global in functions(obj):
            distinctive = shingles(masked(obj, section), start, start + size) - plain
            if len(distinctive) >= MIN_SHINGLES:
                records.append({"function": name if is_global else "",
                                "shingles": sorted(distinctive)})
    return records


def find_reference_code(objects, records):
    """(function, fraction) of the first reference function most of whose
    distinctive windows are in `objects`' allocated bytes, or None."""
    present = set()
    for obj in objects:
        for section in obj.sections:
            if section.allocated and section.data:
                present |= shingles(masked(obj, section))
    for record in records:
        wanted = record["shingles"]
        found = sum(1 for h in wanted if h in present)
        if found >= MATCH_FRACTION * len(wanted):
            return record["function"], found / len(wanted)
    return None
