"""Text that came from student code (serial output, compiler messages) on its
way to a terminal or to results.json: control characters are made visible, so
no escape sequence reaches the terminal (clearing it, moving the cursor over
the score) and no bidirectional-text trick reorders what a reader sees; and
every shown line of serial output sits behind a gutter, so a kernel that
prints "Score: 100/100" cannot pass it off as the grader's own line."""
import re

# C0 and C1 controls but tab and newline, DEL, and Unicode's line/paragraph
# separators and bidirectional overrides.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
GUTTER = "  | "


def printable(text):
    """`text` with each control character shown as \\xNN (or \\uNNNN)."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)


def one_line(text):
    """printable(), with line breaks and tabs shown too: for a name or a
    field that must stay on its line (a file name in grades.csv)."""
    return printable(text).replace("\n", "\\n").replace("\t", "\\t")


def quoted(lines):
    """Lines of student output, printable and behind the gutter."""
    return "\n".join(GUTTER + printable(line) for line in lines)


def clip(text, limit, what="output"):
    """At most `limit` characters of `text`, saying so when it was cut."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n... ({what} cut at {limit} characters)"
