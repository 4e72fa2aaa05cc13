"""Every lab's graders can fail: a full score on the reference solution (also
in a checked build), and on the untouched skeleton every single test fails."""
import glob
import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LABS = sorted(os.path.basename(os.path.dirname(p)) for p in glob.glob(os.path.join(ROOT, "lab*/lab.mk")))
# How make grade runs the Linux platform's graders (grading.mk): one process,
# built first. (Without kernels started ahead here: the suite itself runs in
# parallel, and more kernels at once than cores upset the timer tests; see
# test_kernels_started_ahead_are_graded_as_their_own_runs.)
AS_MAKE_GRADE_ON_LINUX = ("-n", "0", "--build-first")


def grade(lab, tmp_path, *options):
    results = tmp_path / "results.json"
    grader = os.path.join(ROOT, "grading", f"test_{lab.replace('-', '_')}.py")
    command = [sys.executable, "-m", "pytest", grader, f"--lab={lab}", f"--results={results}",
               "-q", "-n", "1", "-p", "no:cacheprovider", *options]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert results.exists(), f"no results from {' '.join(command)}:\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}"
    return json.loads(results.read_text()), run.stdout


def test_every_lab_has_graders():
    assert LABS, "no labs found"
    for lab in LABS:
        assert os.path.exists(os.path.join(ROOT, "grading", f"test_{lab.replace('-', '_')}.py")), lab


@pytest.mark.parametrize("lab", LABS)
def test_reference_solution_gets_full_score(lab, tmp_path):
    data, out = grade(lab, tmp_path, "--solution")
    assert data["max_score"] > 0 and data["score"] == data["max_score"], out[-6000:]
    for part, label in (("", "Score"), ("challenge", "Challenge score")):
        mine = [t["max_score"] for t in data["tests"] if t.get("tags", [""])[0] == part]
        if mine or not part:
            assert re.search(rf"^{label}: {sum(mine)}/{sum(mine)}$", out, re.M), out[-3000:]


@pytest.mark.parametrize("lab", LABS)
def test_reference_solution_passes_checked_build(lab, tmp_path):
    data, out = grade(lab, tmp_path, "--solution", "--checked")
    assert data["score"] == data["max_score"], out[-6000:]


@pytest.mark.parametrize("lab", LABS)
def test_every_test_fails_on_skeleton(lab, tmp_path):
    data, out = grade(lab, tmp_path)
    passing = [t["name"] for t in data["tests"] if t["score"] > 0]
    assert not passing, f"these tests pass on the untouched skeleton: {passing}"
    assert len(data["tests"]) >= 6


@pytest.mark.parametrize("platform", ["pc", "linux"])
def test_complete_kernel_passes_every_lab_test(platform, tmp_path):
    """The complete kernel links every lab's reference solution and tests."""
    sys.path.insert(0, os.path.join(ROOT, "grading"))
    from keelgrade.lab import Lab
    lab = Lab(ROOT, "complete", True, False, platform)
    verdict, transcript, _ = lab.run_ktest("all", str(tmp_path), 3)
    assert transcript.done and transcript.done[1] == 0 and transcript.done[0] >= 40, transcript.text[-5000:]


def test_use_mine_links_the_students_earlier_labs(tmp_path):
    """USE_MINE=lab1-boot: lab 3's kernel runs on the lab 1 code in lab1-boot/
    (here the untouched skeleton), so what needs lab 1 stops working."""
    env = dict(os.environ, USE_MINE="lab1-boot")
    results = tmp_path / "results.json"
    run = subprocess.run([sys.executable, "-m", "pytest", os.path.join(ROOT, "grading", "test_lab3_trap.py"),
                          "--lab=lab3-trap", "--solution", f"--results={results}", "-q", "-n", "1",
                          "-p", "no:cacheprovider", "-k", "typing"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    data = json.loads(results.read_text())
    assert data["score"] == 0, run.stdout[-3000:]
    assert os.path.exists(os.path.join(ROOT, "build/lab3-trap/solution-mine-lab1-boot/kernel.elf"))


@pytest.mark.parametrize("lab", LABS)
def test_linux_platform_reference_gets_full_score(lab, tmp_path):
    """The same graders, the same points, with the kernel as a Linux process
    (AddressSanitizer and UBSan on)."""
    data, out = grade(lab, tmp_path, "--solution", "--platform=linux", *AS_MAKE_GRADE_ON_LINUX)
    assert data["max_score"] > 0 and data["score"] == data["max_score"], out[-6000:]
    assert "Linux platform" in out


@pytest.mark.parametrize("lab", LABS)
def test_linux_platform_skeleton_fails_every_test(lab, tmp_path):
    data, out = grade(lab, tmp_path, "--platform=linux", *AS_MAKE_GRADE_ON_LINUX)
    passing = [t["name"] for t in data["tests"] if t["score"] > 0]
    assert not passing, f"these tests pass on the untouched skeleton on Linux: {passing}"


@pytest.mark.parametrize("solution", [True, False], ids=["reference", "skeleton"])
def test_kernels_started_ahead_are_graded_as_their_own_runs(solution, tmp_path):
    """make grade PLATFORM=linux starts in-kernel tests' kernels ahead
    (--boot-ahead): each is still judged as its own run, so the reference
    gets every point and the skeleton none (lab 2: no timer tests)."""
    options = ["--solution"] if solution else []
    data, out = grade("lab2-mm", tmp_path, *options, "--platform=linux", *AS_MAKE_GRADE_ON_LINUX,
                      "--boot-ahead=3")
    scores = [t["score"] for t in data["tests"]]
    assert len(scores) >= 6 and data["max_score"] > 0, out[-6000:]
    if solution:
        assert data["score"] == data["max_score"], out[-6000:]
    else:
        assert not any(scores), out[-6000:]
