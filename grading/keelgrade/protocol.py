"""The grader protocol: lines "@@keel:NONCE:KIND:TEXT" among free kernel output.

Only frames carrying this run's nonce count, so a kernel that prints a
hard-coded PASS line achieves nothing."""
import re
from dataclasses import dataclass, field

FRAME = re.compile(r"@@keel:([^:\s]*):([A-Z]+):(.*)$")


@dataclass
class Transcript:
    nonce: str
    text: str = ""                      # everything received, \r\n folded to \n
    frames: list = field(default_factory=list)   # [(kind, text)] with our nonce
    free_lines: list = field(default_factory=list)  # lines that are not our frames
    forged: int = 0                     # frames with another nonce

    def kinds(self, kind):
        return [text for k, text in self.frames if k == kind]

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
        text = self.first("EXIT")
        try:
            return int(text) if text is not None else None
        except ValueError:
            return None

    def result_of(self, test):
        """('pass', None), ('fail', reason) or None if the test never finished."""
        for kind, text in self.frames:
            name, _, rest = text.partition(" ")
            if name != test:
                continue
            if kind == "PASS":
                return "pass", None
            if kind == "FAIL":
                return "fail", rest
        return None

    def began(self, test):
        return test in self.kinds("BEGIN")

    def free_text(self):
        return "\n".join(self.free_lines)

    def tail(self, lines=30):
        kept = [l for l in self.free_lines if l.strip()]
        return "\n".join(kept[-lines:])

    def report_block(self, marker):
        """The free text from the line containing marker to the end (a panic or
        exception report), or ''."""
        for i, line in enumerate(self.free_lines):
            if marker in line:
                return "\n".join(l for l in self.free_lines[i:] if l.strip())
        return ""


def parse(raw, nonce):
    """Build a Transcript from raw serial bytes or text."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    transcript = Transcript(nonce=nonce, text=text)
    for line in text.split("\n"):
        match = FRAME.search(line)
        if match:
            if match.group(1) == nonce:
                transcript.frames.append((match.group(2), match.group(3).strip()))
                before = line[: match.start()]
                if before.strip():
                    transcript.free_lines.append(before)
                continue
            transcript.forged += 1
        transcript.free_lines.append(line)
    return transcript
