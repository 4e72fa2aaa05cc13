"""Each lab's grader table (IN_KERNEL in grading/test_<lab>.py) names exactly
the in-kernel tests the lab's kernel has: a test added to lab*/tests/ without
points, or a table entry whose test was renamed, fails here (instead of
showing up as "no such test" for every student)."""
import glob
import importlib.util
import os
import sys

import pytest

GRADING = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(GRADING)
sys.path.insert(0, GRADING)

from keelgrade.lab import Lab  # noqa: E402
from keelgrade.boot import boot  # noqa: E402

LABS = sorted(os.path.basename(os.path.dirname(p)) for p in glob.glob(os.path.join(ROOT, "lab*/lab.mk")))


def grader_module(lab):
    path = os.path.join(GRADING, f"test_{lab.replace('-', '_')}.py")
    assert os.path.exists(path), f"{lab} has no grader file grading/{os.path.basename(path)}"
    spec = importlib.util.spec_from_file_location(f"grader_{lab.replace('-', '_')}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("lab", LABS)
def test_table_matches_the_kernel(lab, tmp_path):
    table = getattr(grader_module(lab), "IN_KERNEL", None)
    assert table, f"grading/test_{lab.replace('-', '_')}.py has no IN_KERNEL table"
    names = [entry[0] for entry in table]
    assert len(names) == len(set(names)), f"a test is listed twice: {names}"
    assert all(entry[1] > 0 for entry in table), "every graded test is worth points"
    kernel = Lab(ROOT, lab, solution=True, checked=False).kernel
    machine = boot(kernel.elf, "keel.test=list", str(tmp_path), timeout=60)
    listed = [text.split()[0] for text in machine.transcript().kinds("TEST")]
    assert listed, machine.transcript().tail()
    assert sorted(names) == sorted(listed), (
        f"not graded: {sorted(set(listed) - set(names))}; "
        f"graded but not in the kernel: {sorted(set(names) - set(listed))}")
