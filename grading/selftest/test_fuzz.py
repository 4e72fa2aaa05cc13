"""The complete kernel survives hostile programs: the seeded system-call
fuzzer (tools/fuzz/fuzz.py) with a few fixed seeds and one fresh seed, and
the malformed-ELF corpus (tools/fuzz/elfcorpus.py), on both platforms. A
failure names the seed or the file and the command that repeats it. The
judges themselves are shown to fail on planted output. `make fuzz` runs the
fuzzer longer."""
import os
import random
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "fuzz"))

import elfcorpus  # noqa: E402
import fuzz  # noqa: E402
import keelboot  # noqa: E402

CALLS = 3000
FRESH_SEED = random.randrange(1, 1 << 31)


@pytest.fixture(scope="module", params=keelboot.PLATFORMS)
def platform(request):
    keelboot.build_kernels([request.param])
    return request.param


@pytest.mark.parametrize("seed", [1, 2, "fresh"])
def test_fuzzer_cannot_break_the_kernel(platform, seed):
    seed = FRESH_SEED if seed == "fresh" else seed
    print(f"fuzz seed {seed} on {platform}")
    result = fuzz.fuzz_once(platform, seed, CALLS)
    assert not result.failure, result.explain()
    assert result.ran == CALLS


def test_elf_corpus_is_refused_or_killed_never_fatal(platform):
    cases = elfcorpus.corpus(seed=1)
    assert len(cases) >= 150
    results, problem, output = elfcorpus.run_on_keel(platform, cases)
    assert not problem, f"ELF corpus on {platform}: {problem}\n" + "\n".join(output.splitlines()[-20:])
    assert len(results) == len(cases)
    assert results[cases[0][0]] == "exit 0", f"the intact program should run: {results[cases[0][0]]}"
    for name, _, what in cases:
        assert results[name] != "(did not finish)", f"{name} ({what})"
        if must_be_refused(name):
            assert results[name].startswith("refused"), f"{name} ({what}) should be refused: {results[name]}"


def must_be_refused(name):
    """Files every loader refuses: cut inside the headers, not ELF, not 64-bit
    little-endian x86-64, wrong program-header size."""
    header_end = 64 + 56 * elfcorpus.Elf(elfcorpus.base_program()).get("phnum")
    cut = name.split("trunc-")[-1]
    return ("trunc-" in name and int(cut) < header_end) or any(
        f"-{field}" in name for field in ("ident0-", "ident3-", "ident4-", "ident5-", "machine-", "phentsize-"))


# ---- the judges fail on planted output ----
def planted(output, status=0, timed_out=False):
    return keelboot.Run(output, status, timed_out, [])


GOOD = ("fuzz: seed 5 calls 10\nfuzz: free pages before 1000\nfuzz: free pages after 990\n"
        "fuzz: done seed 5 calls 10\n")


def test_judge_passes_a_clean_run():
    assert fuzz.judge(planted(GOOD), 5, 10) == (None, 10)


@pytest.mark.parametrize("output,status,timed_out,words", [
    (GOOD.replace("fuzz: done", "\n*** KERNEL PANIC: page fault\nfuzz: done"), 0, False, "KERNEL PANIC"),
    ("fuzz: 1000 calls\n", None, True, "hang"),
    ("fuzz: 1000 calls\n", None, False, "without powering off"),
    ("fuzz: 1000 calls\n", 139, False, "did not reach its end"),
    (GOOD.replace("after 990", "after 500"), 0, False, "memory did not come back"),
    (GOOD.replace("fuzz: done", "fuzz: FAILED: open gave -11\nfuzz: done"), 1, False, "no longer works"),
])
def test_judge_fails_a_broken_run(output, status, timed_out, words):
    failure, _ = fuzz.judge(planted(output, status, timed_out), 5, 10)
    assert failure and words in failure, failure


def test_a_failure_names_the_seed_and_the_command():
    result = fuzz.Result("linux", 77, 10, 3, 1.0, "the kernel stopped", "")
    text = result.explain()
    assert "seed 77" in text and "fuzz.py --platform linux --seed 77 --calls 10 --verbose" in text


def test_elf_outcomes_name_the_file_that_hung():
    assert elfcorpus.outcomes("elf a: start\nelf a: exit 0\nelf b: start\n") == {
        "a": "exit 0", "b": "(did not finish)"}


def test_elf_corpus_is_deterministic():
    assert [(n, d) for n, d, _ in elfcorpus.corpus(3)] == [(n, d) for n, d, _ in elfcorpus.corpus(3)]
    assert elfcorpus.corpus(3) != elfcorpus.corpus(4)
