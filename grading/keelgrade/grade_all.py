"""Grading a folder of submissions (make grade-all): each in its own copy of
the pristine handout tree (submission.grade_one), a few at a time, with a
progress bar; then out/grades.csv and out/summary.txt."""
import csv
import os
import sys
from concurrent.futures import ThreadPoolExecutor

from .submission import ARCHIVES, grade_one, name_of
from .text import clip, one_line


def submissions_in(folder):
    return sorted(os.path.join(folder, n) for n in os.listdir(folder)
                  if os.path.isdir(os.path.join(folder, n)) or n.endswith(ARCHIVES))


def grade_all(pristine, lab, submissions, out, platform="pc", parallel=None):
    """Grade each submission in its own tree, `parallel` at a time; write
    out/NAME/results.json, out/grades.csv and out/summary.txt."""
    parallel = parallel or max(1, os.cpu_count() or 1)
    os.makedirs(out, exist_ok=True)
    done, rows = 0, []
    bar = Progress(len(submissions))

    names, seen = [], {}
    for path in submissions:  # alice/ and alice.zip must not share a results.json
        name = name_of(path)
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name}-{seen[name]}")

    def one(job):
        path, name = job
        row = grade_one(pristine, lab, path, os.path.join(out, name, "results.json"), platform)
        row["submission"] = name
        return row

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        for row in pool.map(one, zip(submissions, names)):
            rows.append(row)
            done += 1
            bar.show(done, sum(1 for r in rows if r["refused"]))
    bar.finish()
    with open(os.path.join(out, "grades.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", "score", "max_score", "challenge_score", "challenge_max_score",
                         "refused", "verdicts", "notes"])
        for r in rows:  # one line each, nothing a terminal would act on
            writer.writerow([r["submission"], r["score"], r["max_score"], r.get("challenge_score", 0),
                             r.get("challenge_max_score", 0), r["refused"],
                             "; ".join(f"{k} x{v}" for k, v in sorted(r["verdicts"].items())),
                             one_line(clip(" | ".join(r["notes"]), 2000))])
    summary = summarise(rows)
    with open(os.path.join(out, "summary.txt"), "w") as f:
        f.write(summary + "\n")
    return rows, summary


def summarise(rows):
    lines = [f"{len(rows)} submission(s) graded."]
    if rows:
        scores = [r["score"] for r in rows]
        lines.append(f"Scores: mean {sum(scores) / len(scores):.1f}, lowest {min(scores)}, "
                     f"highest {max(scores)} (of {max(r['max_score'] for r in rows)}).")
    refused = [r for r in rows if r["refused"]]
    if refused:
        lines.append(f"Refused ({len(refused)}):")
        lines += [f"  {r['submission']}: {r['refused']}" for r in refused]
    totals = {}
    for r in rows:
        for kind, count in r["verdicts"].items():
            totals[kind] = totals.get(kind, 0) + count
    if totals:
        lines.append("Verdicts of failed tests: " +
                     ", ".join(f"{k} {v}" for k, v in sorted(totals.items(), key=lambda kv: -kv[1])))
    return "\n".join(lines)


class Progress:
    """A progress bar on a terminal, a line per submission elsewhere."""

    def __init__(self, total):
        self.total, self.tty = total, sys.stderr.isatty()

    def show(self, done, refused):
        width = 30
        filled = width * done // max(1, self.total)
        text = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total} graded" + \
            (f" ({refused} refused)" if refused else "")
        sys.stderr.write(("\r" + text) if self.tty else (text + "\n"))
        sys.stderr.flush()

    def finish(self):
        if self.tty:
            sys.stderr.write("\n")
