"""Points, the score summary and Gradescope's results.json.

A grader test declares its worth with @pytest.mark.points(n) (and a human
name with @pytest.mark.title("...")); conftest.py records both in the test
report's user_properties (so they also reach JUnit XML), and collect() turns
the reports into rows: (name, points, max_points, passed, output, part).

A lab has a core and may have a challenge part (@pytest.mark.part("challenge"),
KTest(..., part="challenge")): its tests are listed under their own heading
with their own score line, after the core's "Score:" line, and Gradescope's
results.json tags them with the part's name. Rows without a part (five
fields) are the core's."""
import json
import os
import re

from .text import clip, printable

# pytest-xdist puts "[gw0] linux -- Python 3.11.2 /usr/bin/python3" before a
# failure's text: noise for a student.
_XDIST_HEADER = re.compile(r"^\[gw\d+\] .*\n")


# What one test's output and the whole results.json may hold: a verdict with
# its report fits in the first; the second is far below what Gradescope takes.
MAX_TEST_OUTPUT = 20000
MAX_RESULTS_OUTPUT = 1 << 20


def clean_output(text):
    text = _XDIST_HEADER.sub("", text or "").strip()
    return clip(printable(text), MAX_TEST_OUTPUT)


def collect(reports):
    """[(name, points, max_points, passed, output)] from test reports that
    carry points (see conftest.py), in the order the tests were collected."""
    rows = {}
    for report in reports:
        props = dict(report.user_properties)
        if "max_points" not in props:
            continue
        name = props.get("title") or report.nodeid.split("::")[-1]
        passed = props.get("points", 0) == props["max_points"] and not report.failed
        row = (name, props.get("points", 0) if passed else 0, props["max_points"], passed,
               clean_output(report.longreprtext) if report.failed else "", props.get("part", ""))
        # A failed setup and a call report for the same test: keep the failure.
        if report.nodeid not in rows or not row[3]:
            rows[report.nodeid] = (props.get("order", 0), row)
    return [row for _, row in sorted(rows.values(), key=lambda r: r[0])]


def part_of(row):
    """The lab part a row counts for: "" for the core."""
    return row[5] if len(row) > 5 else ""


# What each part's heading and score line say.
PART_HEADINGS = {"challenge": "Challenge part (its own points, beyond the core's score):"}


def summary_lines(header, rows):
    """The score block: a header, one line per test, then "Score: X/Y" for
    the core; then each other part's tests and its "<Part> score: X/Y"."""
    width = min(max((len(r[0]) for r in rows), default=0) + 3, 72)
    lines = ["", header]
    parts = sorted({part_of(r) for r in rows}, key=lambda part: (part != "", part))
    for part in parts:
        mine = [r for r in rows if part_of(r) == part]
        if part:
            lines.append(PART_HEADINGS.get(part, f"{part.capitalize()} part:"))
        for name, points, max_points, passed, *_ in mine:
            dots = "." * max(3, width - len(name))
            lines.append(f"  {'PASS' if passed else 'FAIL'}  {name} {dots} {points}/{max_points}")
        label = f"{part.capitalize()} score" if part else "Score"
        lines.append(f"{label}: {sum(r[1] for r in mine)}/{sum(r[2] for r in mine)}")
    return lines


def print_summary(write, lab, graded, rows):
    for line in summary_lines(f"{lab}: grading {graded}", rows):
        write(line)
    return sum(r[1] for r in rows), sum(r[2] for r in rows)


def results_json(rows, output=""):
    """Gradescope's results.json as a dict (its texts bounded, see above)."""
    share = max(1000, MAX_RESULTS_OUTPUT // max(1, len(rows) + 1))
    rows = [(name, points, max_points, passed, clip(printable(out), share), part_of(row))
            for row in rows for name, points, max_points, passed, out in [row[:5]]]
    output = clip(printable(output), share) if output else output
    data = {
        "score": sum(r[1] for r in rows),
        "max_score": sum(r[2] for r in rows),
        "visibility": "visible",
        "stdout_visibility": "visible",
        "tests": [dict({"name": name, "score": points, "max_score": max_points,
                        "status": "passed" if passed else "failed", "output": out},
                       **({"tags": [part]} if part else {}))
                  for name, points, max_points, passed, out, part in rows],
    }
    if output:
        data["output"] = output
    return data


def write_json(path, rows, output=""):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(results_json(rows, output), f, indent=2)
        f.write("\n")
    os.replace(path + ".tmp", path)
