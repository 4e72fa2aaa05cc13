"""Grading submissions as an instructor does: make grade-all on a folder of
them and Gradescope's autograder from make gradescope, each on three samples
(the reference solution, the untouched skeleton, a cheat), and what is taken
from a submission (only the lab's declared files) and what is not."""
import csv
import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keelgrade import collect, grade_all, submission  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB = "lab2-mm"
# Full marks: the core's 100 and the challenge part's 54 (grading/test_lab2_mm.py).
FULL = 154
FILES = ("buddy.c", "pagetable.c")
CHEAT = """#include <keel/protocol.h>
void lab2_forge(void) { protocol_emit("PASS", "buddy_init_takes_every_free_frame"); }
"""


def read(*path):
    with open(os.path.join(ROOT, *path)) as f:
        return f.read()


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    """A folder of three submissions as students upload them: a directory
    with the solution (and an unrelated file), a .zip of the skeleton, a
    .tar.gz holding a cheat inside a copy of the handout's layout."""
    folder = tmp_path_factory.mktemp("submissions")
    solution = folder / "alice"
    (solution / LAB).mkdir(parents=True)
    for name in FILES:
        (solution / LAB / name).write_text(read(LAB, "solution", name))
    (solution / "notes.txt").write_text("my notes\n")
    with zipfile.ZipFile(folder / "bob.zip", "w") as archive:
        for name in FILES:
            archive.writestr(name, read(LAB, name))
    with tarfile.open(folder / "carol.tar.gz", "w:gz") as archive:
        for name in FILES:
            text = (read(LAB, "solution", name) + (CHEAT if name == "buddy.c" else "")).encode()
            info = tarfile.TarInfo(f"handout/{LAB}/{name}")
            info.size = len(text)
            archive.addfile(info, io.BytesIO(text))
    return folder


def test_grade_all_grades_a_folder(samples, tmp_path, tree_make):
    grades = tmp_path / "grades"
    run = tree_make("grade-all", f"LAB={LAB}", f"SUBMISSIONS={samples}", f"GRADES={grades}",
                    capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    with open(grades / "grades.csv") as f:
        rows = {row["submission"]: row for row in csv.DictReader(f)}
    assert set(rows) == {"alice", "bob", "carol"}
    # results.json's score (Gradescope's total) includes lab 2's challenge part.
    assert rows["alice"]["score"] == str(FULL) and "notes.txt" in rows["alice"]["notes"]
    assert rows["alice"]["challenge_score"] == str(FULL - 100)
    assert rows["bob"]["score"] == "0" and not rows["bob"]["refused"]
    assert rows["carol"]["score"] == "0" and rows["carol"]["refused"] == "CODE REFUSED"
    for name in rows:
        data = json.loads((grades / name / "results.json").read_text())
        assert data["max_score"] == FULL and len(data["tests"]) >= 10
    summary = (grades / "summary.txt").read_text()
    assert "3 submission(s) graded" in summary and "carol: CODE REFUSED" in summary
    assert "3/3 graded (1 refused)" in run.stderr, run.stderr[-2000:]


def test_gradescope_autograder(samples, tmp_path, tree_make):
    """make gradescope's zip, set up and run as Gradescope would, against a
    simulated /autograder root."""
    run = tree_make("gradescope", f"LAB={LAB}", capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    root = tmp_path / "autograder"
    source = root / "source"
    with zipfile.ZipFile(os.path.join(ROOT, "dist", f"{LAB}-gradescope.zip")) as archive:
        names = archive.namelist()
        assert {"setup.sh", "run_autograder", "config.env", f"{LAB}-handout.tar.gz"} <= set(names)
        assert (archive.getinfo("run_autograder").external_attr >> 16) & 0o111
        archive.extractall(source)
    setup = subprocess.run(["bash", str(source / "setup.sh")], cwd=source, capture_output=True,
                           text=True, timeout=600)
    assert setup.returncode == 0, setup.stdout[-2000:] + setup.stderr[-2000:]
    for sample, score in (("alice", FULL), ("bob.zip", 0), ("carol.tar.gz", 0)):
        student = root / "submission"
        subprocess.run(["rm", "-rf", str(student), str(root / "results")], check=True)
        student.mkdir()
        path = samples / sample
        if path.is_dir():
            subprocess.run(["cp", "-r", f"{path}/.", str(student)], check=True)
        else:  # Gradescope unpacks a student's upload
            opened = zipfile.ZipFile(path) if sample.endswith(".zip") else tarfile.open(path)
            opened.extractall(student)
        # Gradescope copies run_autograder to /autograder and runs it there.
        runner = root / "run_autograder"
        runner.write_bytes((source / "run_autograder").read_bytes())
        done = subprocess.run(["bash", str(runner)], env=dict(os.environ, AUTOGRADER_ROOT=str(root)),
                              capture_output=True, text=True, timeout=600)
        results = json.loads((root / "results" / "results.json").read_text())
        assert results["score"] == score, (sample, done.stdout[-2000:], json.dumps(results)[:2000])
        if sample.startswith("carol"):
            assert "CODE REFUSED" in results["tests"][0]["output"]


# ---- what is taken from a submission ------------------------------------------------------------
def test_only_declared_files_are_taken(tmp_path):
    sub = tmp_path / "sub"
    (sub / "deep" / LAB).mkdir(parents=True)
    (sub / "deep" / LAB / "buddy.c").write_text("mine")
    (sub / "buddy.c").write_text("a stray copy")
    (sub / "Makefile").write_text("all:\n\tcurl evil\n")
    (sub / "conftest.py").write_text("import os\n")
    os.symlink("/etc/passwd", sub / "pagetable.c")
    taken, notes = collect.collect(str(sub), LAB, list(FILES))
    assert taken == {"buddy.c": b"mine"}
    text = "\n".join(notes)
    assert f"{LAB}/pagetable.c: not in the submission; the handout's skeleton was used" in text
    assert "Makefile" in text and "conftest.py" in text and "ignored" in text


def test_archives_cannot_climb_out(tmp_path):
    path = tmp_path / "evil.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, text in (("../../buddy.c", b"escape"), ("/abs/pagetable.c", b"absolute"),
                           ("ok/pagetable.c", b"fine")):
            info = tarfile.TarInfo(name)
            info.size = len(text)
            archive.addfile(info, io.BytesIO(text))
        link = tarfile.TarInfo("buddy.c")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
        archive.addfile(link)
    taken, _ = collect.collect(str(path), LAB, list(FILES))
    assert taken == {"pagetable.c": b"fine"} or taken == {"pagetable.c": b"absolute"}
    assert "buddy.c" not in taken


def test_an_oversized_file_is_not_taken(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "buddy.c").write_bytes(b"x" * (collect.MAX_FILE_BYTES + 1))
    taken, notes = collect.collect(str(sub), LAB, list(FILES))
    assert "buddy.c" not in taken and any("more than" in n for n in notes)


def test_the_declared_files_are_what_the_readme_says():
    readme = read("grading", "README.md")
    for lab in sorted(d for d in os.listdir(ROOT) if d.startswith("lab") and
                      os.path.exists(os.path.join(ROOT, d, "lab.mk"))):
        files = submission.declared_files(ROOT, lab)
        assert files, lab
        assert f"| {lab} | `{' '.join(files)}` |" in readme, lab


def test_an_archive_bomb_is_refused_in_bounded_memory(tmp_path):
    """A 1 MB .tar.gz whose first header claims a 1.2 GiB file name: it is
    read in a child process with a memory limit, and refused."""
    import gzip
    import time
    path = tmp_path / "bomb.tar.gz"
    size = 1200 << 20
    with gzip.open(path, "wb", compresslevel=1) as out:
        header = tarfile.TarInfo("././@LongLink")
        header.type, header.size = tarfile.GNUTYPE_LONGNAME, size
        out.write(header.tobuf(format=tarfile.GNU_FORMAT)[:512])
        chunk = b"A" * (1 << 20)
        for _ in range(size >> 20):
            out.write(chunk)
        out.write(b"\0" * 1024)
    start = time.monotonic()
    taken, notes = collect.collect_safely(str(path), LAB, list(FILES))
    assert taken == {} and "could not be read" in notes[0], notes
    assert time.monotonic() - start < collect.COLLECT_SECONDS


def test_file_names_cannot_forge_lines_of_grades_csv(tmp_path, tree_make):
    folder = tmp_path / "submissions"
    folder.mkdir()
    with zipfile.ZipFile(folder / "dave.zip", "w") as archive:
        archive.writestr('x"\nbob,100,100,,,\n\x1b[2Jnotes.txt', "hello")
    tree = tmp_path / "pristine"
    tree_make("-s", "handout", f"LAB={LAB}", f"HANDOUT={tmp_path}/h.tar.gz", check=True,
              stdout=subprocess.DEVNULL)
    submission.prepare_pristine(str(tmp_path / "h.tar.gz"), str(tree), LAB)
    grade_all.grade_all(str(tree), LAB, grade_all.submissions_in(str(folder)), str(tmp_path / "out"))
    raw = (tmp_path / "out" / "grades.csv").read_bytes()
    assert b"\x1b" not in raw and raw.count(b"\n") == 2, raw
    with open(tmp_path / "out" / "grades.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["submission"] for r in rows] == ["dave"] and rows[0]["score"] == "0"
