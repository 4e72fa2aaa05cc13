"""Every public declaration in the headers students and kernel authors read
has a comment (tools/check-api-docs.py, a C stand-in for Rust's missing_docs),
and the check does fail on an undocumented one."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECK = os.path.join(ROOT, "tools", "check-api-docs.py")


def check(*headers):
    return subprocess.run([sys.executable, CHECK, *headers], capture_output=True, text=True,
                          timeout=60)


def test_every_public_declaration_has_a_comment():
    result = check()
    assert result.returncode == 0, result.stdout + result.stderr


DOCUMENTED = """\
/* A header. */
#ifndef PLANTED_H
#define PLANTED_H

/* Limits, one comment for the group. */
#define PLANTED_MAX 4
#define PLANTED_MIN 1

/* A pair of counters. Members need no comment of their own. */
struct planted_pair {
    int a;
    int b;
};

/* Return 1, from any context. */
int planted_one(void);

int planted_two(void); /* Return 2: a one-line item with its comment on its line. */

/* Forward declarations need none: */
struct planted_later;

/* Double x (a static inline function: its body is not a declaration). */
static inline int planted_double(int x)
{
    int y = x;
    return y * 2;
}

#ifdef PLANTED_EXTRA
/* Only with PLANTED_EXTRA. */
extern int planted_extra;
#endif

#endif
"""


def test_documented_header_passes(tmp_path):
    header = tmp_path / "documented.h"
    header.write_text(DOCUMENTED)
    result = check(str(header))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("planted, kind", [
    ("int planted_undocumented(void);", "function planted_undocumented"),
    ("extern int planted_undocumented;", "variable planted_undocumented"),
    ("#define planted_undocumented(x) ((x) + 1)", "macro planted_undocumented"),
    ("typedef void (*planted_undocumented)(int);", "typedef planted_undocumented"),
    ("struct planted_undocumented {\n    int field; /* a field */\n};", "struct planted_undocumented"),
    ("enum planted_undocumented { PLANTED_A, PLANTED_B };", "enum planted_undocumented"),
])
def test_undocumented_declaration_fails_with_file_and_line(tmp_path, planted, kind):
    header = tmp_path / "planted.h"
    # After a blank line: the comment of the declaration before it does not count.
    text = DOCUMENTED[:DOCUMENTED.rindex("#endif")] + f"{planted}\n\n#endif\n"
    header.write_text(text)
    line = text.splitlines().index(planted.splitlines()[0]) + 1
    result = check(str(header))
    assert result.returncode == 1
    assert result.stdout.strip() == f"{header}:{line}: {kind} has no comment"
