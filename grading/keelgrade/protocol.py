"""The grader protocol: lines "@@keel:NONCE:KIND:TEXT" among free kernel output
(see framework/include/keel/protocol.h).

Only frames carrying this run's nonce count, so a kernel that prints a
hard-coded "PASS" line achieves nothing: such a line is counted as forged and
kept as ordinary output."""
import re
from dataclasses import dataclass, field

FRAME = re.compile(r"@@keel:([^:\s]*):([A-Z]+):(.*)$")
FRAME_BYTES = re.compile(rb"@@keel:([^:\s]*):([A-Z]+):([^\r\n]*)")

# Frames after which the kernel is finished: QEMU should exit right after.
FINAL_KINDS = ("EXIT", "PANIC", "EXCEPTION", "DONE")

# What the framework prints before a PANIC / EXCEPTION frame (framework/core/
# panic.c, arch/x86_64/trap.c); the report runs from there to the frame.
PANIC_MARKER = "*** KERNEL PANIC"
EXCEPTION_MARKER = "*** CPU EXCEPTION"


@dataclass
class Transcript:
    nonce: str
    text: str = ""                                   # everything received, line ends folded to \n
    lines: list = field(default_factory=list)        # [(kind or None, text)] in order
    forged: int = 0                                  # frames with another nonce

    # ---- frames --------------------------------------------------------------
    @property
    def frames(self):
        """[(kind, text)] of this run's frames, in order."""
        return [(k, t) for k, t in self.lines if k is not None]

    def kinds(self, kind):
        return [text for k, text in self.lines if k == kind]

    def first(self, kind):
        found = self.kinds(kind)
        return found[0] if found else None

    @property
    def ready(self):
        return self.first("READY") is not None

    @property
    def done(self):
        """(passed, failed) from the DONE frame, or None."""
        text = self.first("DONE")
        if text is None:
            return None
        parts = text.split()
        try:
            return int(parts[0]), int(parts[1])
        except (IndexError, ValueError):
            return None

    @property
    def exit_status(self):
        """The status of the EXIT frame (kernel_power_off), or None."""
        text = self.first("EXIT")
        try:
            return int(text.split()[0]) if text else None
        except ValueError:
            return None

    def result_of(self, test):
        """('pass', None), ('fail', reason) or None if the test never finished."""
        for kind, text in self.lines:
            if kind not in ("PASS", "FAIL"):
                continue
            name, _, rest = text.partition(" ")
            if name != test:
                continue
            return ("pass", None) if kind == "PASS" else ("fail", rest.strip())
        return None

    def answers(self, test):
        """The ANSWER frames test `test` reported (see keelgrade/seeded.py),
        from its BEGIN frame to its result."""
        found, inside = [], False
        for kind, text in self.lines:
            if kind == "BEGIN":
                inside = text == test
            elif kind in ("PASS", "FAIL"):
                inside = False
            elif kind == "ANSWER" and inside:
                found.append(text)
        return found

    def began(self, test):
        return test in self.kinds("BEGIN")

    def expected_missing(self):
        """EXPECT texts that never appeared in the output outside frames."""
        free = self.free_text()
        return [text for text in self.kinds("EXPECT") if text not in free]

    # ---- free output ----------------------------------------------------------
    @property
    def free_lines(self):
        return [t for k, t in self.lines if k is None]

    def free_text(self):
        return "\n".join(self.free_lines)

    def tail(self, count=30):
        """The last `count` non-blank lines of free output (what a student
        would have seen on the console)."""
        kept = [line for line in self.free_lines if line.strip()]
        return "\n".join(kept[-count:])

    def report_block(self, marker, kind=None):
        """The free text a crash report consists of: from the last line holding
        `marker` up to the `kind` frame (or the end). If the marker is missing,
        the free text after the last BEGIN frame. '' if there is none."""
        end = len(self.lines)
        if kind is not None:
            for i, (k, _) in enumerate(self.lines):
                if k == kind:
                    end = i
                    break
        start = None
        for i in range(end - 1, -1, -1):
            k, text = self.lines[i]
            if k is None and marker in text:
                start = i
                break
        if start is None:
            for i in range(end - 1, -1, -1):
                if self.lines[i][0] == "BEGIN":
                    start = i + 1
                    break
        if start is None:
            return ""
        block = [t for k, t in self.lines[start:end] if k is None and t.strip()]
        return "\n".join(block)


def parse(raw, nonce):
    """Build a Transcript from raw serial bytes or text."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    transcript = Transcript(nonce=nonce, text=text)
    for line in text.split("\n"):
        match = FRAME.search(line)
        if match and match.group(1) == nonce:
            before = line[: match.start()]
            if before.strip():  # output that ran into the frame without a newline
                transcript.lines.append((None, before))
            transcript.lines.append((match.group(2), match.group(3).strip()))
            continue
        if match:
            transcript.forged += 1
        transcript.lines.append((None, line))
    return transcript


class FrameScanner:
    """Spots this run's frames in serial output as it arrives, without
    re-parsing everything: feed() bytes, get the complete frames they ended."""

    def __init__(self, nonce):
        self.nonce = nonce.encode()
        self._partial = b""

    def feed(self, data):
        data = self._partial + data
        cut = max(data.rfind(b"\n"), data.rfind(b"\r"))
        complete, self._partial = (data[: cut + 1], data[cut + 1:]) if cut >= 0 else (b"", data)
        if len(self._partial) > 4096:  # an endless line: frames are shorter than this
            self._partial = self._partial[-4096:]
        if b"@@keel:" not in complete:
            return []
        return [(m.group(2).decode(), m.group(3).decode(errors="replace").strip())
                for m in FRAME_BYTES.finditer(complete) if m.group(1) == self.nonce]
