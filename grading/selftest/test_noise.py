"""What make grade prints is for a student: no tool's chatter. (The panic
report shown once is test_protocol.py's; the demos' own output is
test_demos.py's.)"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_no_bringing_up_nodes_under_make_grade(tmp_path):
    """make grade runs pytest-xdist with -q (grading.mk): its "bringing up
    nodes..." came twice, even with JOBS=1 (once as its workers start, once
    when they have collected). The graders' conftest.py, loaded as make grade
    loads it, silences it."""
    (tmp_path / "test_one.py").write_text("def test_one():\n    pass\n")
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "conftest",
                          "-p", "xdist.plugin", "-n", "1", "-q", "test_one.py"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
                                  PYTHONPATH=os.path.join(ROOT, "grading")))
    assert "1 passed" in run.stdout, run.stdout + run.stderr
    assert "bringing up nodes" not in run.stdout + run.stderr, run.stdout
