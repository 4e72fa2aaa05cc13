"""pytest set-up shared by the graders (test_<lab>.py) and the suite's own
tests (selftest/): command-line options, fixtures, points and the score."""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from keelgrade import results  # noqa: E402
from keelgrade.lab import Lab  # noqa: E402

BUILT_FIRST = pytest.StashKey()   # the Lab whose kernel --build-first built


def pytest_addoption(parser):
    group = parser.getgroup("keel")
    group.addoption("--lab", default=os.environ.get("KEEL_LAB"), help="lab to grade, e.g. lab1-boot")
    group.addoption("--solution", action="store_true", default=os.environ.get("KEEL_SOLUTION") == "1",
                    help="grade the reference solution instead of the student's code")
    group.addoption("--checked", action="store_true", default=os.environ.get("KEEL_CHECKED") == "1",
                    help="build with the undefined-behaviour sanitizer")
    group.addoption("--platform", default=os.environ.get("KEEL_PLATFORM", "pc"),
                    choices=("pc", "linux"),
                    help="pc: boot the kernel in QEMU; linux: run it as a Linux process")
    group.addoption("--keel-root", default=os.path.dirname(HERE), help="the Keel tree (or handout)")
    group.addoption("--results", default=None, help="where to write results.json")
    group.addoption("--build-first", action="store_true",
                    help="build the lab's kernel before any test runs: a failed build's "
                    "messages are shown once (make grade)")
    group.addoption("--boot-ahead", type=int, default=0, metavar="N",
                    help="without -n: run up to N in-kernel tests' kernels at once")


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): what the test is worth")
    config.addinivalue_line("markers", "title(text): the name shown in the score")
    config.addinivalue_line("markers", "part(name): the lab part the test counts for ('challenge'); "
                            "none: the lab's core")


@pytest.fixture(scope="session")
def keel_root(request):
    return os.path.abspath(request.config.getoption("--keel-root"))


def _new_lab(config, root, name, **built):
    return Lab(root, name, config.getoption("--solution"), config.getoption("--checked"),
               config.getoption("--platform"), **built)


def _quiet_xdist(config):
    """pytest-xdist under -q (make grade) prints "bringing up nodes..." as
    its workers start and again once they have collected the tests (twice
    even with one worker): noise for a student. Its status line goes."""
    reporter = config.pluginmanager.getplugin("terminaldistreporter")
    if reporter is not None and config.option.verbose < 0:
        reporter.ensure_show_status = lambda: None
        reporter.rewrite = lambda *args, **kwargs: None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    """--build-first: build once, before pytest-xdist starts its workers
    (they get the outcome, pytest_configure_node), and show a failed build's
    messages here once; every test then fails with them, without the same
    text again as a traceback."""
    config = session.config
    _quiet_xdist(config)
    if not config.getoption("--build-first") or not config.getoption("--lab") or \
            hasattr(config, "workerinput"):
        return
    lab = _new_lab(config, os.path.abspath(config.getoption("--keel-root")),
                   config.getoption("--lab"), boot_ahead=config.getoption("--boot-ahead"))
    config.stash[BUILT_FIRST] = lab
    error = lab.build()
    if error:
        what = "*** Keel refused this code (the reasons are above)" if lab.refused else \
            "*** Your kernel did not compile (the errors are above)"
        print(f"{error}\n\n{what}, so every test fails. ***\n", file=sys.stderr, flush=True)
        config.option.tbstyle = "no"


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """pytest-xdist: a worker uses the kernel --build-first built."""
    lab = node.config.stash.get(BUILT_FIRST, None)
    if lab is not None:
        node.workerinput["keel_kernel"] = lab.kernel_elf or ""
        node.workerinput["keel_build_error"] = lab.build_error or ""


@pytest.fixture(scope="session")
def lab(request, keel_root):
    config = request.config
    built = config.stash.get(BUILT_FIRST, None)
    if built is None:
        name = config.getoption("--lab") or getattr(request.module, "LAB", None)
        if not name:
            pytest.skip("no lab selected (--lab)")
        worker = getattr(config, "workerinput", {})
        built = _new_lab(config, keel_root, name, kernel_elf=worker.get("keel_kernel"),
                         build_error=worker.get("keel_build_error"),
                         boot_ahead=0 if worker else config.getoption("--boot-ahead"))
    yield built
    built.close()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodeready(node):
    """pytest-xdist heads each failure with "[gw0] linux -- Python 3.11 ...":
    noise for a student. An empty cached worker line makes pytest skip it."""
    node._workerinfocache = ""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    marker = item.get_closest_marker("points")
    if marker is None or report.when not in ("setup", "call"):
        return
    if report.when == "setup" and report.passed:
        return
    title = item.get_closest_marker("title")
    part = item.get_closest_marker("part")
    points = marker.args[0]
    properties = [("max_points", points), ("points", points if report.passed else 0),
                  ("title", title.args[0] if title else item.name),
                  ("order", item.session.items.index(item))]
    if part:
        properties.append(("part", part.args[0]))
    # On the item too: the teardown report, which JUnit XML reads, copies them.
    item.user_properties[:] = [p for p in item.user_properties
                               if p[0] not in dict(properties)] + properties
    report.user_properties[:] = [p for p in report.user_properties
                                 if p[0] not in dict(properties)] + properties


def pytest_terminal_summary(terminalreporter, config):
    reports = [r for key in ("passed", "failed", "error") for r in terminalreporter.stats.get(key, [])
               if getattr(r, "when", None) in ("setup", "call")]
    rows = results.collect(reports)
    if not rows:
        return
    lab = config.getoption("--lab") or "lab"
    graded = "the reference solution" if config.getoption("--solution") else f"your code in {lab}/"
    if config.getoption("--platform") == "linux":
        graded += " (Linux platform: AddressSanitizer and UBSan on)"
    elif config.getoption("--checked"):
        graded += " (checked build: undefined-behaviour sanitizer on)"
    results.print_summary(terminalreporter.write_line, lab, graded, rows)
    path = config.getoption("--results") or os.path.join(HERE, "results", f"{lab}.json")
    results.write_json(path, rows)
