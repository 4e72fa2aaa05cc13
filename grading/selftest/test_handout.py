"""make handout: what a student receives builds and grades on its own, with
the prebuilt framework (and other labs' prebuilt reference solutions) and
without any framework or solution source."""
import glob
import os
import re
import shutil
import subprocess
import tarfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LABS = sorted(os.path.basename(os.path.dirname(p)) for p in glob.glob(os.path.join(ROOT, "lab*/lab.mk")))


@pytest.fixture(scope="module", params=LABS)
def handout(request, tmp_path_factory, tree_make):
    lab = request.param
    where = tmp_path_factory.mktemp(f"handout-{lab}")
    archive = str(where / f"{lab}-handout.tar.gz")
    tree_make("-s", "handout", f"LAB={lab}", f"HANDOUT={archive}", check=True,
              stdout=subprocess.DEVNULL)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        tar.extractall(where)
    return lab, where / f"{lab}-handout", names


def test_no_framework_or_solution_source(handout):
    lab, _, names = handout
    assert any(n.endswith("lib/libkeel.a") for n in names)
    assert any(n.endswith("framework/include/keel/keel.h") for n in names)
    leaked = [n for n in names if "/solution" in n or "framework/core" in n
              or "framework/arch" in n or "framework/platform" in n or "grading/selftest" in n]
    assert not leaked, leaked
    other_sources = [n for n in names if n.endswith(".c") and re.search(r"/lab[0-9]-", n)
                     and f"/{lab}/" not in n]
    assert not other_sources, f"other labs' sources in the {lab} handout: {other_sources}"
    assert any(n.endswith(f"grading/fingerprints/{lab}.json") for n in names)
    assert any(n.endswith("labs/calibration/main.c") for n in names)


def score_line(run):
    """The grader's own score line (at the start of a line: serial output is
    shown behind a gutter, so a kernel cannot print one)."""
    found = re.findall(r"^Score: \d+/\d+$", run.stdout, re.M)
    return found[-1] if found else None


def run_grade(tree, *options):
    # One QEMU at a time: the suite itself already runs in parallel.
    return subprocess.run(["make", "--no-print-directory", "grade", "JOBS=1", *options], cwd=tree,
                          capture_output=True, text=True, timeout=600)


def test_handout_grades_the_skeleton(handout):
    lab, tree, _ = handout
    run = run_grade(tree)
    assert score_line(run) == "Score: 0/100", run.stdout[-4000:] + run.stderr[-2000:]
    assert (tree / "grading" / "results" / f"{lab}.json").exists()


def test_handout_grades_a_finished_lab(handout, tmp_path):
    """Drop the reference solution into a copy of the handout: full score,
    proving the prebuilt libraries are all a student needs."""
    lab, tree, _ = handout
    finished = tmp_path / "finished"
    shutil.copytree(tree, finished, ignore=shutil.ignore_patterns("build"))
    for name in os.listdir(os.path.join(ROOT, lab, "solution")):
        shutil.copy(os.path.join(ROOT, lab, "solution", name), finished / lab / name)
    run = run_grade(finished)
    assert score_line(run) == "Score: 100/100", run.stdout[-4000:] + run.stderr[-2000:]
    run = run_grade(finished, "PLATFORM=linux")
    assert score_line(run) == "Score: 100/100", run.stdout[-4000:] + run.stderr[-2000:]


def test_handout_refuses_to_grade_a_missing_solution(handout):
    _, tree, _ = handout
    run = subprocess.run(["make", "--no-print-directory", "grade", "SOLUTION=1"], cwd=tree,
                         capture_output=True, text=True)
    assert run.returncode != 0 and "no reference solution" in run.stderr


@pytest.mark.parametrize("handout", ["lab3-trap"], indirect=True)
def test_handout_runs_on_the_students_earlier_lab(handout, tmp_path):
    """A lab 3 handout with the student's own (here: finished) lab 1 copied in
    and USE_MINE=lab1-boot builds lab 1 from source instead of the prebuilt
    reference, and still grades."""
    lab, tree, _ = handout
    mine = tmp_path / "mine"
    shutil.copytree(tree, mine, ignore=shutil.ignore_patterns("build"))
    for name in os.listdir(os.path.join(ROOT, lab, "solution")):
        shutil.copy(os.path.join(ROOT, lab, "solution", name), mine / lab / name)
    # The student's lab 1 directory: the handout's files (trace_demo.c too),
    # their own finished ones over the skeleton's.
    for name in os.listdir(os.path.join(ROOT, "lab1-boot")):
        if name.endswith(".c"):
            shutil.copy(os.path.join(ROOT, "lab1-boot", name), mine / "lab1-boot" / name)
    for name in os.listdir(os.path.join(ROOT, "lab1-boot", "solution")):
        shutil.copy(os.path.join(ROOT, "lab1-boot", "solution", name), mine / "lab1-boot" / name)
    run = subprocess.run(["make", "--no-print-directory", "grade", "JOBS=1", "USE_MINE=lab1-boot"],
                         cwd=mine, capture_output=True, text=True, timeout=600)
    assert score_line(run) == "Score: 100/100", run.stdout[-4000:] + run.stderr[-2000:]
    assert (mine / "build" / lab / "student-mine-lab1-boot" / "kernel.elf").exists()
