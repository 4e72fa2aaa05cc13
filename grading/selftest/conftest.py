"""What the suite's tests share: running make in the Keel tree itself while
parallel workers build kernels there. Its build/ directory is shared, so such
makes take the graders' lock (keelgrade/build.py) and run one at a time."""
import fcntl
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# make grade records failed tests for make replay (keelgrade/recording.py): the
# suite grades many skeletons and broken variants, and test_replay.py checks
# recording on its own.
os.environ.setdefault("KEEL_RECORD", "0")


@pytest.fixture(scope="session")
def tree_make():
    """make ARGS... in the tree (a subprocess.run: options pass through),
    under the build lock."""
    def run(*args, **options):
        os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
        with open(os.path.join(ROOT, "build", ".grading.lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, **options)
    return run
