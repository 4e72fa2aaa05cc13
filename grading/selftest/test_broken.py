"""Hidden-bug honesty: deliberately broken versions of the reference
solutions, each with one classic mistake, must be caught, by the graders'
tests or by the framework's checks, with a message that names the mistake."""
import importlib.util
import os
import re
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import broken_variants  # noqa: E402

from keelgrade import perturb  # noqa: E402
from keelgrade.boot import boot  # noqa: E402
from keelgrade.verdict import WRONG_ANSWER, judge_answers, judge_test, ran_to_the_end  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The variants, one module per lab in broken_variants/ (its __init__.py
# says what a row holds).
BROKEN, WRONG_ANSWERS, ALSO = broken_variants.BROKEN, broken_variants.WRONG_ANSWERS, broken_variants.ALSO
CASES = [(name, platform) for name in sorted(BROKEN) for platform in ("pc", "linux")]


def build_broken(name, tmp_path, platform="pc"):
    lab, filename, good, bad = (BROKEN[name] if name in BROKEN else WRONG_ANSWERS[name])[:4]
    sources = tmp_path / "solution"
    shutil.copytree(os.path.join(ROOT, lab, "solution"), sources)
    path = sources / filename
    text = path.read_text()
    also = ALSO.get(name, [])
    for old, new in [(good, bad)] + ([also] if isinstance(also, tuple) else also):
        assert old in text, f"{name}: the reference {filename} changed; update this variant"
        text = text.replace(old, new, 1)
    path.write_text(text)
    subprocess.run(["make", "--no-print-directory", "-s", "kernel", f"LAB={lab}", "SOLUTION=1",
                    f"SOLUTION_DIR={sources}", f"VARIANT_TAG=broken-{name}",
                    f"PLATFORM={platform}"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    variant = "solution" + ("-linux" if platform == "linux" else "") + f"-broken-{name}"
    return os.path.join(ROOT, "build", lab, variant, "kernel.elf")


@pytest.mark.parametrize("name,platform", CASES)
def test_broken_implementation_is_caught(name, platform, tmp_path):
    _, _, _, _, test, words = BROKEN[name]
    if isinstance(words, dict):
        words = words[platform]
    kernel = build_broken(name, tmp_path, platform)
    # A concurrency test is graded plainly, then under each perturbation
    # seed, and the first run that fails is reported: that one must name the
    # mistake, and every fixed seed must catch it (the fresh seed the grader
    # adds is a bonus).
    perturbed = grader_entry(BROKEN[name][0], test).perturb
    reported = None
    for seed in (None,) + perturb.FIXED_SEEDS if perturbed else (None,):
        cmdline = perturb.cmdline(f"keel.test={test}", seed)
        machine = boot(kernel, cmdline, str(tmp_path / f"run-{seed}"), timeout=60)
        transcript = machine.transcript()
        verdict = judge_test(machine, transcript, test)
        text = verdict.explain(transcript)
        if seed is not None:
            text = perturb.explain_failure(seed, text)
            assert not verdict.passed, f"{name} was not caught by {test} ({cmdline}):\n{text}"
        if not verdict.passed and reported is None:
            reported = text
    assert reported is not None, f"{name} was not caught by {test}:\n{text}"
    for word in words:  # a tuple: any one of its wordings
        wordings = word if isinstance(word, tuple) else (word,)
        assert any(w in reported for w in wordings), \
            f"{name}: the verdict does not say {' or '.join(map(repr, wordings))}:\n{reported}"
    repeated = re.search(r"(\([^()]{3,}\)|\b\w+(?: \w+){2,}\b)\s*\1", reported.splitlines()[0])
    assert not repeated, f"{name}: the verdict says {repeated.group(1)!r} twice in a row:\n{reported}"


FIXED_SEEDS = (0x5EED0001, 0x5EED0002, 0x5EED0003)


def grader_entry(lab, test):
    """The KTest row of `test` in the lab's grader table."""
    path = os.path.join(ROOT, "grading", f"test_{lab.replace('-', '_')}.py")
    spec = importlib.util.spec_from_file_location(f"grader_{lab.replace('-', '_')}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {entry.name: entry for entry in module.IN_KERNEL}[test]


def expected_answers(lab, test):
    """The `expect` function of `test` in the lab's grader table."""
    return grader_entry(lab, test).expect


@pytest.mark.parametrize("name,platform",
                         [(name, platform) for name in sorted(WRONG_ANSWERS)
                          for platform in ("pc", "linux")])
def test_broken_answers_are_caught(name, platform, tmp_path):
    """Every run of the broken variant fails, and one whose in-kernel checks
    pass is caught by its answers (WRONG ANSWER, naming the seed). Fixed
    seeds, so a failure here reproduces: for a few seeds some broken
    variants trip an in-kernel check first (still caught, but not by the
    answers), so up to three are tried."""
    lab, _, _, _, test = WRONG_ANSWERS[name]
    kernel = build_broken(name, tmp_path, platform)
    for seed in FIXED_SEEDS:
        machine = boot(kernel, f"keel.test={test} keel.seed={seed}", str(tmp_path / f"run-{seed}"),
                       timeout=60)
        transcript = machine.transcript()
        ran = judge_test(machine, transcript, test)
        verdict = judge_answers(ran, transcript, test, seed, expected_answers(lab, test)(seed))
        text = verdict.explain(transcript)
        assert not verdict.passed, f"{name} was not caught by {test} (seed {seed}):\n{text}"
        if ran_to_the_end(ran):  # passed, or failed only by leaking after its answers
            assert verdict.kind == WRONG_ANSWER, \
                f"{name} was not caught as a wrong answer by {test}:\n{text}"
            assert f"seed {seed}" in text, text
            return
    pytest.fail(f"{name}: no run with seeds {FIXED_SEEDS} got as far as its answers")
