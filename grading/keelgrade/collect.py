"""Reading a submission: a directory, a .zip or a .tar(.gz), whatever a
student uploads. Only the lab's declared files are taken from it, found by
their path or, failing that, by their name; everything else is ignored and
listed. The reading happens in a child process with bounded memory and time
(`python3 -m keelgrade.collect`, run by collect_safely): an archive can be
built to blow up whatever parses it."""
import argparse
import base64
import json
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import zipfile

from . import sandbox
from .text import one_line, printable

MAX_FILE_BYTES = 512 << 10        # one declared file
MAX_MEMBERS = 20000               # entries looked at in one submission
MAX_SCANNED_BYTES = 256 << 20     # of an archive, unpacked, looked through at most
COLLECT_SECONDS = 120
COLLECT_LIMITS = {resource.RLIMIT_AS: 1 << 30, resource.RLIMIT_CPU: 60,
                  resource.RLIMIT_FSIZE: 64 << 20}


def _entries(path):
    """(name, size, reader) for each regular file of a submission; nothing
    else (links, devices, paths that climb out) is read."""
    found = []
    if os.path.isdir(path):
        for top, dirs, files in os.walk(path, followlinks=False):
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(top, d))]
            for name in files:
                full = os.path.join(top, name)
                if os.path.islink(full) or not os.path.isfile(full):
                    continue
                found.append((os.path.relpath(full, path), os.path.getsize(full),
                              lambda full=full: open(full, "rb").read(MAX_FILE_BYTES + 1)))
                if len(found) > MAX_MEMBERS:
                    return found
    elif path.endswith(".zip"):
        archive = zipfile.ZipFile(path)
        for info in archive.infolist()[:MAX_MEMBERS]:
            if not info.is_dir():
                found.append((info.filename, info.file_size,
                              lambda info=info: archive.open(info).read(MAX_FILE_BYTES + 1)))
    else:
        archive = tarfile.open(path)
        scanned = 0
        for member in archive:
            scanned += member.size
            if len(found) > MAX_MEMBERS or scanned > MAX_SCANNED_BYTES:
                break
            if member.isfile():
                found.append((member.name, member.size,
                              lambda member=member: archive.extractfile(member).read(
                                  MAX_FILE_BYTES + 1)))
    clean = []
    for name, size, read in found:
        name = name.replace("\\", "/").lstrip("/")
        if ".." in name.split("/") or not name:
            continue
        clean.append((name, size, read))
    return clean


def collect_safely(submission, lab, declared):
    """collect(), in a child process with bounded memory and time: a
    submission is the student's, and an archive can be built to blow up
    whatever parses it."""
    with tempfile.TemporaryDirectory(prefix="keel-collect-") as work:
        out = os.path.join(work, "collected.json")
        command = [sys.executable, "-m", "keelgrade.collect", "--lab", lab,
                   "--out", out, submission, *declared]
        env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        try:
            run = subprocess.run(sandbox.limited(command, COLLECT_LIMITS), env=env,
                                 capture_output=True, text=True, timeout=COLLECT_SECONDS)
            with open(out) as f:
                data = json.load(f)
        except (subprocess.TimeoutExpired, OSError, ValueError):
            return {}, ["the submission could not be read (too big, too slow, or not an "
                        "archive Keel reads); nothing of it was graded"]
        if run.returncode != 0:
            return {}, ["the submission could not be read; nothing of it was graded"]
        return ({name: base64.b64decode(text) for name, text in data["files"].items()},
                data["notes"])


def collect(submission, lab, declared):
    """({declared file: bytes}, [notes]): the declared files a submission
    holds, and what was ignored or missing."""
    entries = _entries(submission)
    taken, notes = {}, []
    used = set()
    for wanted in declared:
        by_path = [e for e in entries if e[0] == f"{lab}/{wanted}" or e[0].endswith(f"/{lab}/{wanted}")]
        by_name = [e for e in entries if os.path.basename(e[0]) == os.path.basename(wanted)]
        candidates = by_path or by_name
        if not candidates:
            notes.append(f"{lab}/{wanted}: not in the submission; the handout's skeleton was used")
            continue
        candidates.sort(key=lambda e: (e[0].count("/"), e[0]))
        name, size, read = candidates[0]
        if len(candidates) > 1:
            notes.append(f"{lab}/{wanted}: {len(candidates)} files could be it; took "
                         f"{one_line(name[:120])}")
        if size > MAX_FILE_BYTES:
            notes.append(f"{lab}/{wanted}: {one_line(name[:120])} is {size} bytes, more than the "
                         f"{MAX_FILE_BYTES} a lab file may have; the skeleton was used")
            continue
        taken[wanted] = read()[:MAX_FILE_BYTES]
        used.add(name)
    ignored = sorted(e[0] for e in entries if e[0] not in used)
    if ignored:
        shown = ", ".join(one_line(n[:120]) for n in ignored[:20]) + \
            (f" and {len(ignored) - 20} more" if len(ignored) > 20 else "")
        notes.append(f"ignored (only the declared files {', '.join(declared)} are graded): "
                     f"{shown}")
    return taken, notes


def main(argv=None):
    """The child process of collect_safely: collect() into a JSON file."""
    parser = argparse.ArgumentParser(prog="keelgrade.collect", description=__doc__.split("\n")[0])
    parser.add_argument("--lab", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("submission")
    parser.add_argument("declared", nargs="+")
    args = parser.parse_args(argv)
    try:
        files, notes = collect(args.submission, args.lab, args.declared)
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as error:
        files, notes = {}, [f"the submission could not be read ({printable(str(error)[:200])}); "
                            "nothing of it was graded"]
    with open(args.out, "w") as f:
        json.dump({"files": {k: base64.b64encode(v).decode() for k, v in files.items()},
                   "notes": notes}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
