#!/usr/bin/env python3
"""Pack files into a cpio "newc" archive for Keel's boot modules.

    mkprograms.py OUT.cpio [--keep-mode] NAME=PATH [NAME=PATH ...]

NAME is the file's name inside the archive (what programs_find looks up),
PATH the file on this machine. --keep-mode records each file's permission
bits (a Linux initramfs needs an executable /init); otherwise 0644.
Python standard library only."""
import os
import sys


def entry(name, data, inode, mode=0o100644):
    encoded = name.encode() + b"\0"
    fields = [inode, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(encoded), 0]
    header = b"070701" + b"".join(b"%08x" % f for f in fields)
    out = header + encoded
    out += b"\0" * (-len(out) % 4)
    out += data
    out += b"\0" * (-len(out) % 4)
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    archive = b""
    specs = sys.argv[2:]
    keep_mode = "--keep-mode" in specs
    specs = [spec for spec in specs if spec != "--keep-mode"]
    for inode, spec in enumerate(specs, start=1):
        name, sep, path = spec.partition("=")
        if not sep or not name:
            sys.exit(f"mkprograms: '{spec}' is not NAME=PATH")
        mode = 0o100000 | (os.stat(path).st_mode & 0o777) if keep_mode else 0o100644
        with open(path, "rb") as f:
            archive += entry(name, f.read(), inode, mode)
    archive += entry("TRAILER!!!", b"", 0, mode=0)
    with open(sys.argv[1], "wb") as f:
        f.write(archive)


if __name__ == "__main__":
    main()
