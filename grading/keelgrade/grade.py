"""make grade: run a lab's graders with pytest, its kernel building while
pytest starts.

    python -m keelgrade.grade grading/test_LAB.py --lab=LAB [--solution]
        [--checked] [--platform=P] [more pytest options]

Importing pytest takes ~0.15 s and building (make in the sandbox, nothing
to do when the kernel is up to date) ~0.05 s: one need not wait for the
other. The build starts in a thread before pytest is imported; the session
(conftest.py, --build-first) takes its outcome instead of building again.
Nothing else changes: the same build, sandbox, tests and verdicts."""
import os
import sys

from . import build

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _value(args, name, default=None):
    """The value of option `name` (--name=value or --name value) in args."""
    for i, arg in enumerate(args):
        if arg.startswith(name + "="):
            return arg[len(name) + 1:]
        if arg == name and i + 1 < len(args):
            return args[i + 1]
    return default


def main(args):
    lab = _value(args, "--lab")
    if lab:
        root = os.path.abspath(_value(args, "--keel-root", ROOT))
        build.start_building(root, lab, "--solution" in args, "--checked" in args,
                             _value(args, "--platform", "pc"))
    import pytest  # while the build runs
    return pytest.main(args)


if __name__ == "__main__":
    status = main(sys.argv[1:])
    # Python's tidy-up of pytest's heap at exit takes ~50 ms and does nothing
    # the grade needs: the results and the score are written and their files
    # closed by now, and the kernels are stopped. Flush and leave.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(status))
