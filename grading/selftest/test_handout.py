"""make handout: what a student receives builds and grades on its own, with
the prebuilt framework and without any framework or solution source."""
import os
import shutil
import subprocess
import tarfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB = "lab1-boot"


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    subprocess.run(["make", "--no-print-directory", "-s", "handout", f"LAB={LAB}"], cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL)
    archive = os.path.join(ROOT, "dist", f"{LAB}-handout.tar.gz")
    where = tmp_path_factory.mktemp("handout")
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        tar.extractall(where)
    return where / f"{LAB}-handout", names


def test_no_framework_or_solution_source(handout):
    _, names = handout
    assert any(n.endswith("lib/libkeel.a") for n in names)
    assert any(n.endswith("framework/include/keel/keel.h") for n in names)
    leaked = [n for n in names if "/solution" in n or "framework/core" in n
              or "framework/arch" in n or "framework/platform" in n or "grading/selftest" in n]
    assert not leaked, leaked


def run_grade(tree):
    return subprocess.run(["make", "--no-print-directory", "grade"], cwd=tree,
                          capture_output=True, text=True, timeout=600)


def test_handout_grades_the_skeleton(handout):
    tree, _ = handout
    run = run_grade(tree)
    assert "Score: 0/100" in run.stdout, run.stdout[-4000:] + run.stderr[-2000:]
    assert (tree / "grading" / "results" / f"{LAB}.json").exists()


def test_handout_grades_a_finished_lab(handout, tmp_path):
    """Drop the reference solution into a copy of the handout: full score,
    proving the prebuilt library is all a student needs."""
    tree, _ = handout
    finished = tmp_path / "finished"
    shutil.copytree(tree, finished, ignore=shutil.ignore_patterns("build"))
    for name in os.listdir(os.path.join(ROOT, LAB, "solution")):
        shutil.copy(os.path.join(ROOT, LAB, "solution", name), finished / LAB / name)
    run = run_grade(finished)
    assert "Score: 100/100" in run.stdout, run.stdout[-4000:] + run.stderr[-2000:]


def test_handout_refuses_to_grade_a_missing_solution(handout):
    tree, _ = handout
    run = subprocess.run(["make", "--no-print-directory", "grade", "SOLUTION=1"], cwd=tree,
                         capture_output=True, text=True)
    assert run.returncode != 0 and "no reference solution" in run.stderr
