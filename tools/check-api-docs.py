#!/usr/bin/env python3
"""Every public declaration has a comment: a C stand-in for Rust's missing_docs.

    tools/check-api-docs.py [HEADER...]

With no arguments it reads the headers a student or a kernel author programs
against: framework/include/keel/*.h, labs/include/*.h and lab*/lab*.h. It
prints file:line and the name of every undocumented declaration and exits 1
if there is one.

What counts as a public declaration: a function prototype or a static inline
function, an exported (extern) variable, a struct, union or enum definition,
a typedef, and a #define (other than the header's include guard). Each needs
a comment on the line just before it, or on its own first line (a trailing
comment, for one-line items). Declarations on adjacent lines, with no blank
line between them, form a group that the comment before the first one covers
(a family of constants, a read/write pair). The members of a struct, union or
enum are covered by the comment on the type. Conditional-compilation lines
(#if, #ifdef, #else, #endif) between a comment and its declaration are
skipped. Forward declarations (`struct x;`) and static assertions need none.
"""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PUBLIC_HEADERS = ("framework/include/keel/*.h", "labs/include/*.h", "lab*/lab*.h")
CONDITIONAL = re.compile(r"#\s*(if|ifdef|ifndef|elif|else|endif)\b")
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


def split_comments(text):
    """Per line: (code with comments blanked out, whether the line holds any
    comment text). String and character literals are kept as code."""
    code, commented = [], []
    line, has_comment = [], False
    i, n = 0, len(text)
    in_block = False
    while i < n:
        c = text[i]
        if c == "\n":
            code.append("".join(line))
            commented.append(has_comment)
            line, has_comment = [], in_block
            i += 1
        elif in_block:
            has_comment = True
            if text.startswith("*/", i):
                in_block = False
                i += 2
            else:
                i += 1
        elif text.startswith("/*", i):
            in_block, has_comment = True, True
            line.append(" ")
            i += 2
        elif text.startswith("//", i):
            has_comment = True
            while i < n and text[i] != "\n":
                i += 1
        elif c in "\"'":
            end = i + 1
            while end < n and text[end] != c and text[end] != "\n":
                end += 2 if text[end] == "\\" else 1
            line.append(text[i:end + 1])
            i = end + 1
        else:
            line.append(c)
            i += 1
    if line or has_comment:
        code.append("".join(line))
        commented.append(has_comment)
    return code, commented


def declarations(code):
    """(first line, last line, kind, name) of each top-level declaration;
    lines count from 0. Also returns the set of conditional-compilation
    lines."""
    found, conditional = [], set()
    guard = None
    statement, start, depth = [], None, 0
    i = 0
    while i < len(code):
        stripped = code[i].strip()
        if depth == 0 and not statement and stripped.startswith("#"):
            first = i
            while code[i].rstrip().endswith("\\") and i + 1 < len(code):
                i += 1
            if CONDITIONAL.match(stripped):
                conditional.add(first)
                match = re.match(r"#\s*ifndef\s+(\w+)", stripped)
                if match and guard is None:
                    guard = match.group(1)
            else:
                match = re.match(r"#\s*define\s+(\w+)", stripped)
                if match and match.group(1) != guard:
                    found.append((first, i, "macro", match.group(1)))
            i += 1
            continue
        for ch in stripped:
            if start is None and not ch.isspace():
                start = i
            if ch in "{(":
                depth += 1
            elif ch in "})":
                depth -= 1
            statement.append(ch)
            text = "".join(statement).strip()
            # A statement ends at ';' at depth 0, or at the '}' closing a
            # function body (static inline), which has no ';' after it.
            ends_body = ch == "}" and depth == 0 and re.search(r"\)\s*(\w+\s*)*\{", text)
            if (ch == ";" and depth == 0) or ends_body:
                kind_name = classify(text)
                if kind_name:
                    found.append((start, i) + kind_name)
                statement, start = [], None
        if statement:
            statement.append(" ")
        i += 1
    return found, conditional


def classify(text):
    """(kind, name) of a top-level statement, or None when it needs no
    comment (a forward declaration, a static assertion)."""
    flat = re.sub(r"\s+", " ", text).strip()
    if re.match(r"(_Static_assert|static_assert)\b", flat):
        return None
    if re.fullmatch(r"(struct|union|enum) \w+ ?;", flat):
        return None
    if flat.startswith("typedef"):
        names = IDENTIFIER.findall(re.sub(r"\{.*\}", " ", flat))
        inner = re.search(r"\(\s*\*\s*(\w+)\s*\)", flat)
        return "typedef", inner.group(1) if inner else names[-1]
    head = re.sub(r"\{.*\}", "{}", flat)
    aggregate = re.match(r"(struct|union|enum) (\w+) ?\{\} ?;", head)
    if aggregate:
        return aggregate.group(1), aggregate.group(2)
    call = re.search(r"(\w+)\s*\((?!\s*\*)", head)
    if call and "=" not in head.split("(")[0]:
        return "function", call.group(1)
    names = IDENTIFIER.findall(head.split("=")[0].split("[")[0])
    return "variable", names[-1] if names else flat[:30]


def undocumented(path):
    """[(line number from 1, kind, name)] of the declarations in `path` that
    have no comment."""
    with open(path, encoding="utf-8", errors="replace") as f:
        code, commented = split_comments(f.read())
    found, conditional = declarations(code)
    ends_documented, ends_missing = set(), set()
    missing = []
    for first, last, kind, name in found:
        documented = commented[first]
        before = first - 1
        while before >= 0 and before in conditional:
            before -= 1
        if before >= 0 and code[before].strip() == "" and commented[before]:
            documented = True
        if before in ends_documented:
            documented = True
        if documented:
            ends_documented.add(last)
        elif before not in ends_missing:  # a group is reported once, at its head
            ends_missing.add(last)
            missing.append((first + 1, kind, name))
        else:
            ends_missing.add(last)
    return missing


def public_headers(root=ROOT):
    paths = []
    for pattern in PUBLIC_HEADERS:
        paths += sorted(glob.glob(os.path.join(root, pattern)))
    return paths


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    paths = argv or public_headers()
    problems = 0
    for path in paths:
        shown = os.path.relpath(path, ROOT) if not argv else path
        for line, kind, name in undocumented(path):
            print(f"{shown}:{line}: {kind} {name} has no comment")
            problems += 1
    if problems:
        print(f"{problems} public declaration(s) without a comment: say what each does, "
              "who owns what it returns, its errors and where it may be called.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
