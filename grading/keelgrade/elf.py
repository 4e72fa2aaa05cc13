"""Just enough of ELF64 (little-endian, as x86_64 writes it) to look inside
relocatable objects: their sections, symbols and relocations. Standard
library only, so the graders need no extra package; the layouts are those of
the System V ABI (the ELF specification and its x86_64 supplement)."""
import struct
from dataclasses import dataclass, field

SHT_SYMTAB, SHT_RELA, SHT_NOBITS = 2, 4, 8
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 0x1, 0x2, 0x4
STB_LOCAL, STB_GLOBAL, STB_WEAK = 0, 1, 2
STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_SECTION, STT_FILE, STT_COMMON, STT_TLS = 0, 1, 2, 3, 4, 5, 6
STT_GNU_IFUNC = 10
SHN_UNDEF, SHN_ABS, SHN_COMMON = 0, 0xFFF1, 0xFFF2
ET_REL = 1
# Relocation types that patch 8 bytes; every other x86_64 one used in kernel
# code patches 4 (PC32, PLT32, 32, 32S, GOTPCREL, ...).
EIGHT_BYTE_RELOCATIONS = {1, 24, 26}   # R_X86_64_64, PC64, GOTOFF64


class NotAnObject(ValueError):
    """The file is not a 64-bit little-endian ELF relocatable object."""


@dataclass
class Section:
    index: int
    name: str
    type: int
    flags: int
    offset: int
    size: int
    link: int
    info: int
    data: bytes = b""

    @property
    def allocated(self):
        return bool(self.flags & SHF_ALLOC)

    @property
    def code(self):
        return bool(self.flags & SHF_EXECINSTR)


@dataclass
class Symbol:
    name: str
    value: int
    size: int
    type: int
    bind: int
    section: int     # index, or SHN_UNDEF / SHN_ABS / SHN_COMMON

    @property
    def defined(self):
        return self.section != SHN_UNDEF

    @property
    def is_global(self):
        return self.bind in (STB_GLOBAL, STB_WEAK)


@dataclass
class Relocation:
    offset: int
    type: int
    symbol: Symbol
    addend: int

    @property
    def width(self):
        return 8 if self.type in EIGHT_BYTE_RELOCATIONS else 4


@dataclass
class ObjectFile:
    path: str
    sections: list
    symbols: list
    relocations: dict = field(default_factory=dict)   # section index -> [Relocation]

    def section_named(self, name):
        return next((s for s in self.sections if s.name == name), None)


def read_object(path, data=None):
    """Parse the ELF relocatable object at `path` (or the bytes `data`)."""
    if data is None:
        with open(path, "rb") as f:
            data = f.read()
    if len(data) < 64 or data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise NotAnObject(f"{path}: not a 64-bit little-endian ELF file")
    (e_type, _, _, _, _, e_shoff, _, _, _, _, e_shentsize, e_shnum,
     e_shstrndx) = struct.unpack_from("<HHIQQQIHHHHHH", data, 16)
    if e_type != ET_REL:
        raise NotAnObject(f"{path}: not a relocatable object (ELF type {e_type})")
    if e_shentsize != 64 or e_shoff + e_shnum * 64 > len(data):
        raise NotAnObject(f"{path}: malformed section table")
    raw = [struct.unpack_from("<IIQQQQIIQQ", data, e_shoff + i * 64) for i in range(e_shnum)]

    def blob(offset, size):
        if offset + size > len(data):
            raise NotAnObject(f"{path}: a section runs past the end of the file")
        return data[offset:offset + size]

    names = blob(raw[e_shstrndx][4], raw[e_shstrndx][5]) if e_shstrndx < e_shnum else b""

    def string(table, offset):
        end = table.find(b"\0", offset)
        return table[offset:end if end >= 0 else len(table)].decode(errors="replace")

    sections = []
    for i, (name, kind, flags, _, offset, size, link, info, _, _) in enumerate(raw):
        body = b"" if kind == SHT_NOBITS else blob(offset, size)
        sections.append(Section(i, string(names, name), kind, flags, offset, size, link, info, body))

    symbols = []
    table = next((s for s in sections if s.type == SHT_SYMTAB), None)
    if table is not None:
        strings = sections[table.link].data if table.link < len(sections) else b""
        for i in range(len(table.data) // 24):
            name, info, _, shndx, value, size = struct.unpack_from("<IBBHQQ", table.data, i * 24)
            symbols.append(Symbol(string(strings, name), value, size, info & 0xF, info >> 4, shndx))

    relocations = {}
    for section in sections:
        if section.type != SHT_RELA or section.link != (table.index if table else -1):
            continue
        entries = []
        for i in range(len(section.data) // 24):
            offset, info, addend = struct.unpack_from("<QQq", section.data, i * 24)
            index = info >> 32
            if index < len(symbols):
                entries.append(Relocation(offset, info & 0xFFFFFFFF, symbols[index], addend))
        relocations.setdefault(section.info, []).extend(entries)
    return ObjectFile(path, sections, symbols, relocations)


def read_archive(path):
    """The objects in an `ar` archive (a .a file): [(member name, ObjectFile)]."""
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(b"!<arch>\n"):
        raise NotAnObject(f"{path}: not an ar archive")
    position, long_names, found = 8, b"", []
    while position + 60 <= len(data):
        header = data[position:position + 60]
        name = header[:16].decode(errors="replace").strip()
        size = int(header[48:58].decode().strip() or 0)
        body = data[position + 60:position + 60 + size]
        position += 60 + size + (size & 1)
        if name == "//":
            long_names = body
            continue
        if name in ("/", "/SYM64/"):
            continue
        if name.startswith("/") and name[1:].isdigit():
            start = int(name[1:])
            name = long_names[start:long_names.find(b"/\n", start)].decode(errors="replace")
        found.append((name.rstrip("/"), read_object(f"{path}({name.rstrip('/')})", body)))
    return found


PT_INTERP = 3


def is_host_program(path):
    """Whether the ELF executable at `path` is loaded by the host's dynamic
    linker (it has a PT_INTERP program header): a kernel built for the Linux
    platform is such a program, a PC kernel is not."""
    with open(path, "rb") as f:
        header = f.read(64)
        if len(header) < 64 or header[:4] != b"\x7fELF":
            return False
        phoff, = struct.unpack_from("<Q", header, 32)
        phentsize, phnum = struct.unpack_from("<HH", header, 54)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    return any(struct.unpack_from("<I", table, i * phentsize)[0] == PT_INTERP
               for i in range(len(table) // max(phentsize, 1)))
