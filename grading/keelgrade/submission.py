"""Grading students' submissions: one (Gradescope's run_autograder) or a
folder of them (make grade-all), each on its own.

A submission is a directory, a .zip or a .tar(.gz): whatever a student
uploads. From it only the lab's declared files are taken (LAB_STUDENT_SOURCES
in the lab's lab.mk, e.g. lab2-mm/buddy.c and lab2-mm/pagetable.c), found by
their path or, failing that, by their name; everything else in it is ignored
and listed. They are copied into a fresh copy of the pristine handout tree,
whose graders then grade them as `make grade` would (builds and Linux runs in
the sandbox, keelgrade/sandbox.py). results.json is written by the grader,
outside the sandbox, after every process of the run has ended.

    python3 -m keelgrade.submission pristine --pristine TREE --lab LAB --handout HANDOUT.tar.gz
    python3 -m keelgrade.submission one  --pristine TREE --lab LAB SUBMISSION RESULTS_JSON
    python3 -m keelgrade.submission all  --pristine TREE --lab LAB --out DIR [--folder DIR] [SUBMISSION...]
(each with --platform pc|linux).
"""
import argparse
import csv
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

from . import sandbox
from .build import build_kernel
from .text import clip, one_line, printable

MAX_FILE_BYTES = 512 << 10        # one declared file
MAX_MEMBERS = 20000               # entries looked at in one submission
MAX_SCANNED_BYTES = 256 << 20     # of an archive, unpacked, looked through at most
COLLECT_SECONDS = 120
COLLECT_LIMITS = {resource.RLIMIT_AS: 1 << 30, resource.RLIMIT_CPU: 60,
                  resource.RLIMIT_FSIZE: 64 << 20}
SUBMISSION_SECONDS = 1800         # one submission's whole grading, at most
ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz")


def declared_files(tree, lab):
    """The files a student hands in for `lab`, relative to the lab directory."""
    out = subprocess.run(["make", "--no-print-directory", "-s", "student-files", f"LAB={lab}"],
                         cwd=tree, capture_output=True, text=True, check=True).stdout
    return out.split()


# ---- what is in a submission ------------------------------------------------------------------
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
    import base64
    with tempfile.TemporaryDirectory(prefix="keel-collect-") as work:
        out = os.path.join(work, "collected.json")
        command = [sys.executable, "-m", "keelgrade.submission", "collect", "--lab", lab,
                   "--out", out, submission, *declared]
        env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        try:
            run = subprocess.run(command, env=env, capture_output=True, text=True,
                                 timeout=COLLECT_SECONDS, preexec_fn=sandbox.limiter(COLLECT_LIMITS))
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


# ---- grading one ----------------------------------------------------------------------------
def prepare(pristine, scratch, lab, files):
    """A copy of the pristine tree with the student's declared files in it."""
    shutil.copytree(pristine, scratch, symlinks=True,
                    ignore=shutil.ignore_patterns("results", "__pycache__"))
    for name, data in files.items():
        path = os.path.join(scratch, lab, name)
        if os.path.lexists(path):
            os.unlink(path)
        with open(path, "wb") as f:
            f.write(data)
    # The copied build holds the skeleton's objects: the lab code's must be made again.
    for top, _, names in os.walk(os.path.join(scratch, "build", lab)):
        for name in names:
            if name in ("lab-code.checked", "refused.txt", "kernel.elf", "kernel.pass1.elf") or \
                    any(name.startswith(os.path.basename(f) + ".") for f in files):
                os.unlink(os.path.join(top, name))


def grade_one(pristine, lab, submission, results_path, platform="pc", work=None):
    """Grade `submission`; write its results.json; return a summary dict.
    `work`: the scratch directory to use (a fresh temporary one by default),
    removed afterwards."""
    declared = declared_files(pristine, lab)
    work = work or tempfile.mkdtemp(prefix="keel-submission-")
    os.makedirs(work, exist_ok=True)
    started = time.monotonic()
    try:
        files, notes = collect_safely(submission, lab, declared)
        if not files and notes and "could not be read" in notes[0]:
            _write_unreadable(results_path, notes)
            return _summary(submission, results_path, notes, time.monotonic() - started)
        scratch = os.path.join(work, "tree")
        prepare(pristine, scratch, lab, files)
        log = os.path.join(work, "grading.log")
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                   f"grading/test_{lab.replace('-', '_')}.py", f"--lab={lab}",
                   f"--platform={platform}", f"--results={os.path.abspath(results_path)}",
                   "-q", "-n", "0", "--tb=no"]
        os.makedirs(os.path.dirname(os.path.abspath(results_path)), exist_ok=True)
        with open(log, "wb") as out:
            _, killed = sandbox.run_with_deadline(command, SUBMISSION_SECONDS, out, cwd=scratch)
        if killed:
            notes.append(f"grading took more than {SUBMISSION_SECONDS} s and was stopped")
        _add_notes(results_path, notes, log)
        return _summary(submission, results_path, notes, time.monotonic() - started)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _write_unreadable(path, notes):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"score": 0, "max_score": 0, "output": "\n".join(notes), "tests": []}, f, indent=2)


def _add_notes(path, notes, log):
    """Put the submission's notes in front of results.json's output (and, if
    the graders wrote nothing, the end of their log)."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        with open(log, "rb") as f:
            f.seek(max(0, os.path.getsize(log) - 4000))
            tail = f.read().decode(errors="replace")
        data = {"score": 0, "max_score": 0, "tests": [],
                "output": "The graders wrote no results. Their last output:\n" + tail}
    text = "\n".join(f"- {n}" for n in notes)
    if text:
        data["output"] = clip(printable("About this submission:\n" + text + "\n\n" +
                                        data.get("output", "")), 20000)
    with open(path + ".tmp", "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    os.replace(path + ".tmp", path)


VERDICT = re.compile(r"^\[([A-Z][A-Z ]+)\]", re.M)


def _summary(submission, results_path, notes, seconds):
    try:
        with open(results_path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        data = {"score": 0, "max_score": 0, "tests": []}
    verdicts = {}
    for test in data.get("tests", []):
        found = VERDICT.search(test.get("output", ""))
        if found:
            verdicts[found.group(1)] = verdicts.get(found.group(1), 0) + 1
    refused = next((k for k in ("REFERENCE CODE SUBMITTED", "CODE REFUSED") if k in verdicts), "")
    return {"submission": name_of(submission), "score": data.get("score", 0),
            "max_score": data.get("max_score", 0), "refused": refused,
            "verdicts": verdicts, "notes": notes, "seconds": round(seconds, 1)}


def name_of(submission):
    base = os.path.basename(os.path.normpath(submission))
    for suffix in ARCHIVES:
        if base.endswith(suffix):
            base = base[:-len(suffix)]
    return re.sub(r"[^\w.@+-]", "_", base) or "submission"


def prepare_pristine(handout, dest, lab, platforms=("pc",)):
    """Unpack the handout archive (ours; None: `dest` holds it already) into
    `dest` and build what every submission's build can start from: the
    skeleton's kernel (so the objects of everything but the lab code exist)
    and the calibration kernel."""
    if handout:
        shutil.rmtree(dest, ignore_errors=True)
        unpack = dest + ".unpack"
        shutil.rmtree(unpack, ignore_errors=True)
        with tarfile.open(handout) as archive:
            archive.extractall(unpack)  # our own handout archive
        (top,) = os.listdir(unpack)
        os.replace(os.path.join(unpack, top), dest)
        os.rmdir(unpack)
    for platform in platforms:
        build_kernel(dest, "calibration", solution=True, platform=platform)
        try:
            build_kernel(dest, lab, platform=platform)
        except Exception:  # a skeleton need not link; its other objects are built
            pass


# ---- grading many ---------------------------------------------------------------------------
def submissions_in(folder):
    return sorted(os.path.join(folder, n) for n in os.listdir(folder)
                  if os.path.isdir(os.path.join(folder, n)) or n.endswith(ARCHIVES))


def grade_all(pristine, lab, submissions, out, platform="pc", parallel=None):
    """Grade each submission in its own tree, `parallel` at a time; write
    out/NAME/results.json, out/grades.csv and out/summary.txt."""
    parallel = parallel or max(1, os.cpu_count() or 1)
    os.makedirs(out, exist_ok=True)
    done, rows = 0, []
    bar = Progress(len(submissions))

    names, seen = [], {}
    for path in submissions:  # alice/ and alice.zip must not share a results.json
        name = name_of(path)
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name}-{seen[name]}")

    def one(job):
        path, name = job
        row = grade_one(pristine, lab, path, os.path.join(out, name, "results.json"), platform)
        row["submission"] = name
        return row

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        for row in pool.map(one, zip(submissions, names)):
            rows.append(row)
            done += 1
            bar.show(done, sum(1 for r in rows if r["refused"]))
    bar.finish()
    with open(os.path.join(out, "grades.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", "score", "max_score", "refused", "verdicts", "notes"])
        for r in rows:  # one line each, nothing a terminal would act on
            writer.writerow([r["submission"], r["score"], r["max_score"], r["refused"],
                             "; ".join(f"{k} x{v}" for k, v in sorted(r["verdicts"].items())),
                             one_line(clip(" | ".join(r["notes"]), 2000))])
    summary = summarise(rows)
    with open(os.path.join(out, "summary.txt"), "w") as f:
        f.write(summary + "\n")
    return rows, summary


def summarise(rows):
    lines = [f"{len(rows)} submission(s) graded."]
    if rows:
        scores = [r["score"] for r in rows]
        lines.append(f"Scores: mean {sum(scores) / len(scores):.1f}, lowest {min(scores)}, "
                     f"highest {max(scores)} (of {max(r['max_score'] for r in rows)}).")
    refused = [r for r in rows if r["refused"]]
    if refused:
        lines.append(f"Refused ({len(refused)}):")
        lines += [f"  {r['submission']}: {r['refused']}" for r in refused]
    totals = {}
    for r in rows:
        for kind, count in r["verdicts"].items():
            totals[kind] = totals.get(kind, 0) + count
    if totals:
        lines.append("Verdicts of failed tests: " +
                     ", ".join(f"{k} {v}" for k, v in sorted(totals.items(), key=lambda kv: -kv[1])))
    return "\n".join(lines)


class Progress:
    """A progress bar on a terminal, a line per submission elsewhere."""

    def __init__(self, total):
        self.total, self.tty = total, sys.stderr.isatty()

    def show(self, done, refused):
        width = 30
        filled = width * done // max(1, self.total)
        text = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total} graded" + \
            (f" ({refused} refused)" if refused else "")
        sys.stderr.write(("\r" + text) if self.tty else (text + "\n"))
        sys.stderr.flush()

    def finish(self):
        if self.tty:
            sys.stderr.write("\n")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="keelgrade.submission", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    collect_command = commands.add_parser("collect", help="(internal) read a submission")
    collect_command.add_argument("--lab", required=True)
    collect_command.add_argument("--out", required=True)
    collect_command.add_argument("submission")
    collect_command.add_argument("declared", nargs="+")
    for name in ("one", "all", "pristine"):
        sub = commands.add_parser(name)
        sub.add_argument("--pristine", required=True, help="the pristine handout tree")
        sub.add_argument("--lab", required=True)
        sub.add_argument("--platform", default="pc", choices=("pc", "linux"))
    commands.choices["pristine"].add_argument("--handout", help="the handout's .tar.gz to unpack")
    commands.choices["one"].add_argument("submission")
    commands.choices["one"].add_argument("results")
    commands.choices["all"].add_argument("--out", required=True)
    commands.choices["all"].add_argument("--parallel", type=int, default=None)
    commands.choices["all"].add_argument("--folder", help="a folder of submissions")
    commands.choices["all"].add_argument("submissions", nargs="*")
    args = parser.parse_args(argv)
    if args.command == "collect":
        import base64
        try:
            files, notes = collect(args.submission, args.lab, args.declared)
        except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as error:
            files, notes = {}, [f"the submission could not be read ({printable(str(error)[:200])}); "
                                "nothing of it was graded"]
        with open(args.out, "w") as f:
            json.dump({"files": {k: base64.b64encode(v).decode() for k, v in files.items()},
                       "notes": notes}, f)
        return 0
    pristine = os.path.abspath(args.pristine)
    if args.command == "pristine":
        prepare_pristine(args.handout, pristine, args.lab, (args.platform,))
        return 0
    if args.command == "one":
        row = grade_one(pristine, args.lab, args.submission, args.results, args.platform)
        print(f"{row['submission']}: {row['score']}/{row['max_score']}"
              + (f" ({row['refused']})" if row["refused"] else ""))
        return 0
    submissions = args.submissions + (submissions_in(args.folder) if args.folder else [])
    if not submissions:
        print("no submissions to grade (directories, .zip or .tar.gz files)", file=sys.stderr)
        return 2
    _, summary = grade_all(pristine, args.lab, submissions, args.out, args.platform, args.parallel)
    print(summary)
    print(f"Grades: {os.path.join(args.out, 'grades.csv')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
