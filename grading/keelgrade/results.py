"""Points, the score summary and Gradescope's results.json."""
import json
import os


def collect(reports):
    """[(name, points, max_points, passed, output)] from test reports that
    carry points (see conftest.py), in the order the tests were collected."""
    rows = {}
    for report in reports:
        props = dict(report.user_properties)
        if "max_points" not in props:
            continue
        name = props.get("title") or report.nodeid.split("::")[-1]
        row = (name, props.get("points", 0), props["max_points"],
               props.get("points", 0) == props["max_points"],
               report.longreprtext if report.failed else "")
        # A failed setup and a call report for the same test: keep the failure.
        if report.nodeid not in rows or not row[3]:
            rows[report.nodeid] = (props.get("order", 0), row)
    return [row for _, row in sorted(rows.values(), key=lambda r: r[0])]


def print_summary(write, lab, graded, rows):
    total = sum(r[1] for r in rows)
    maximum = sum(r[2] for r in rows)
    write("")
    write(f"{lab}: grading {graded}")
    for name, points, max_points, passed, _ in rows:
        dots = "." * max(2, 50 - len(name))
        write(f"  {'PASS' if passed else 'FAIL'}  {name} {dots} {points}/{max_points}")
    write(f"Score: {total}/{maximum}")
    return total, maximum


def write_json(path, rows):
    total = sum(r[1] for r in rows)
    maximum = sum(r[2] for r in rows)
    data = {
        "score": total,
        "max_score": maximum,
        "visibility": "visible",
        "stdout_visibility": "visible",
        "tests": [{"name": name, "score": points, "max_score": max_points,
                   "status": "passed" if passed else "failed", "output": output}
                  for name, points, max_points, passed, output in rows],
    }
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(data, f, indent=2)
