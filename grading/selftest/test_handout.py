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
    assert any(n.endswith("lib/known-good-kernel.elf") for n in names)


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


ARGS_PROGRAM = r"""#include <stdio.h>
int main(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        printf("[%s]\n", argv[i]);
    return 3;
}
"""


@pytest.mark.parametrize("handout", ["lab5-user"], indirect=True)
def test_make_run_in_a_lab5_handout_runs_the_students_kernel(handout, tmp_path):
    """make run and tools/keel-run in a handout (no complete kernel there):
    the student's own lab 5 kernel runs the program with its arguments and
    ends with its exit status; the untouched skeleton says process_spawn is
    not written (126, as a shell for a program it cannot execute)."""
    lab, tree, _ = handout
    source = tmp_path / "args.c"
    source.write_text(ARGS_PROGRAM)
    program = tmp_path / "args"
    subprocess.run(["musl-gcc", "-static", "-o", str(program), str(source)], check=True)
    finished = tmp_path / "finished"
    shutil.copytree(tree, finished, ignore=shutil.ignore_patterns("build"))
    for name in os.listdir(os.path.join(ROOT, lab, "solution")):
        shutil.copy(os.path.join(ROOT, lab, "solution", name), finished / lab / name)
    run = subprocess.run(["make", "--no-print-directory", "-s", "run", f"PROG={program}",
                          "ARGS=a 'b c'", "PLATFORM=linux"], cwd=finished, capture_output=True,
                         text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert run.stdout == "[args]\n[a]\n[b c]\n", run.stdout + run.stderr
    assert "[args exited with status 3]" in run.stderr
    run = subprocess.run(["tools/keel-run", str(program), "x"], cwd=finished, capture_output=True,
                         text=True, timeout=300, stdin=subprocess.DEVNULL,
                         env=dict(os.environ, PLATFORM="linux", KEEL_RUN_TIMEOUT="120"))
    assert (run.returncode, run.stdout) == (3, "[args]\n[x]\n"), run.stdout + run.stderr
    # Standard input reaches the program through the console and ends: read
    # returns 0 there, and the program ends with its own status (it waited
    # for ever before).
    reader = tmp_path / "readall"
    subprocess.run(["musl-gcc", "-static", "-o", str(reader),
                    os.path.join(ROOT, "lab5-user/programs/readall.c")], check=True)
    run = subprocess.run(["tools/keel-run", str(reader)], cwd=finished, capture_output=True,
                         text=True, timeout=300, input="hello\nkeel",
                         env=dict(os.environ, PLATFORM="linux", KEEL_RUN_TIMEOUT="120"))
    assert (run.returncode, run.stdout) == (
        0, "readall: 10 bytes [hello\\nkeel]; read returned 0 at the end, then 0\n"), \
        run.stdout + run.stderr
    # In QEMU, on the skeleton (whose PC kernel the handout's other tests build).
    run = subprocess.run(["tools/keel-run", str(program)], cwd=tree, capture_output=True,
                         text=True, timeout=300, stdin=subprocess.DEVNULL,
                         env=dict(os.environ, PLATFORM="pc", KEEL_RUN_TIMEOUT="120"))
    assert run.returncode == 126 and "is process_spawn written?" in run.stdout, \
        run.stdout + run.stderr


@pytest.mark.parametrize("handout", ["lab2-mm"], indirect=True)
def test_make_run_in_a_handout_without_processes_says_why(handout):
    _, tree, _ = handout
    run = subprocess.run(["make", "--no-print-directory", "run", "PROG=/bin/true"], cwd=tree,
                         capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert run.returncode != 0 and "lab 5's" in run.stderr and "make qemu" in run.stderr, \
        run.stdout + run.stderr


@pytest.mark.parametrize("handout", ["lab2-mm"], indirect=True)
def test_make_doctor_boots_a_kernel_nothing_in_the_handout_changes(handout, tmp_path):
    """make doctor's known-good kernel is the one shipped prebuilt: with the
    handout's own kernel sources broken, it still boots (and the build of
    the calibration kernel is reported as the problem it is)."""
    _, tree, _ = handout
    broken = tmp_path / "broken"
    shutil.copytree(tree, broken, ignore=shutil.ignore_patterns("build"))
    with open(broken / "labs" / "kernel_main.c", "a") as f:
        f.write("\nthis does not compile\n")
    run = subprocess.run(["make", "--no-print-directory", "doctor"], cwd=broken,
                         capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert "booting lib/known-good-kernel.elf" in run.stdout, run.stdout + run.stderr
    assert "DONE and EXIT 0" in run.stdout, run.stdout + run.stderr
    assert "the calibration kernel (the framework alone, no lab code) does not build" in run.stdout
    assert run.returncode != 0


def test_handout_debugs_one_test(handout, tmp_path):
    """make debug works in what a student receives (the Linux platform: a
    -O0 build of the skeleton on the prebuilt framework, gdb stopped at the
    lab's first test)."""
    lab, tree, _ = handout
    if lab != "lab5-user":   # the same Makefile in every handout; lab 5 has the most parts
        pytest.skip("make debug is checked in lab 5's handout (other labs add ~12 s each)")
    test = re.search(r"^KTEST\((\w+)\)", "".join(
        open(p).read() for p in sorted(glob.glob(str(tree / lab / "tests" / "*.c")))), re.M).group(1)
    batch = tmp_path / "batch.gdb"
    batch.write_text("bt 2\n")
    run = subprocess.run(["timeout", "-k", "10", "300", "make", "--no-print-directory", "debug",
                          f"LAB={lab}", f"TEST={test}", "PLATFORM=linux", f"GDB_BATCH={batch}"],
                         cwd=tree, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    out = run.stdout + run.stderr
    assert f"Breakpoint 1, ktest_fn_{test} () at {lab}/tests/" in out, out[-4000:]
    assert re.search(r"#1 .* in run_one \(test=", out), out[-4000:]
