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
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

from . import sandbox
from .build import build_kernel
from .collect import collect_safely
from .qemu_machine import qemu_command
from .text import clip, printable

SUBMISSION_SECONDS = 1800         # one submission's whole grading, at most
ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz")


def declared_files(tree, lab):
    """The files a student hands in for `lab`, relative to the lab directory."""
    out = subprocess.run(["make", "--no-print-directory", "-s", "student-files", f"LAB={lab}"],
                         cwd=tree, capture_output=True, text=True, check=True).stdout
    return out.split()


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
            # The machine QEMU emulates comes from the pristine tree's Makefile.
            env = dict(os.environ, KEEL_QEMU=" ".join(qemu_command()))
            _, killed = sandbox.run_with_deadline(command, SUBMISSION_SECONDS, out, cwd=scratch,
                                                  env=env)
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
    challenge = [t for t in data.get("tests", []) if "challenge" in t.get("tags", [])]
    return {"submission": name_of(submission), "score": data.get("score", 0),
            "max_score": data.get("max_score", 0), "refused": refused,
            "challenge_score": sum(t.get("score", 0) for t in challenge),
            "challenge_max_score": sum(t.get("max_score", 0) for t in challenge),
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


def main(argv=None):
    parser = argparse.ArgumentParser(prog="keelgrade.submission", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
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
    pristine = os.path.abspath(args.pristine)
    if args.command == "pristine":
        prepare_pristine(args.handout, pristine, args.lab, (args.platform,))
        return 0
    if args.command == "one":
        row = grade_one(pristine, args.lab, args.submission, args.results, args.platform)
        print(f"{row['submission']}: {row['score']}/{row['max_score']}"
              + (f" ({row['refused']})" if row["refused"] else ""))
        return 0
    from .grade_all import grade_all, submissions_in  # which imports this module
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
