"""Grader files describe their in-kernel tests as a table; this turns the
table into one parametrized pytest test per entry, with points and titles."""
from collections import namedtuple

import pytest

# An in-kernel test: its KTEST name, its points, what it checks (shown in the
# score), and how much longer than a plain test it may take (timeout
# multiplier, see calibration.py). A host-checked test (keelgrade/seeded.py)
# also has `expect`: a function from the run's seed to the answer lines the
# kernel must report. A concurrency test has `perturb`: it runs once per
# schedule-perturbation seed (keelgrade/perturb.py) and must pass every run.
# `part` names the part of the lab a test belongs to: None for the lab's core,
# "challenge" for its challenge part, which has its own heading and score line
# (keelgrade/results.py).
KTest = namedtuple("KTest", "name points title multiplier expect perturb part",
                   defaults=(1.0, None, False, None))


def _marks(test):
    marks = [pytest.mark.points(test.points), pytest.mark.title(test.title)]
    return marks + ([pytest.mark.part(test.part)] if test.part else [])


def in_kernel_tests(table):
    """A pytest test function running each KTest of `table` in its own boot."""

    @pytest.mark.parametrize("test", [
        pytest.param(t, marks=_marks(t), id=t.name) for t in table])
    def test_in_kernel(lab, test, request):
        lab.start_ahead([test] + _in_kernel_tests_after(request.node))
        lab.check_ktest(test.name, None, test.multiplier, test.expect, test.perturb)

    return test_in_kernel


def _in_kernel_tests_after(item):
    """The KTests of the in-kernel tests this session runs after `item`, in
    order (under pytest-xdist a worker runs only some of them, and boots
    nothing ahead: see Lab.start_ahead)."""
    items = item.session.items
    later = items[items.index(item) + 1:] if item in items else []
    tests = [getattr(i, "callspec", None) and i.callspec.params.get("test") for i in later]
    return [t for t in tests if isinstance(t, KTest)]
