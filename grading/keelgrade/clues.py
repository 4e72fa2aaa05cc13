"""Clues that make a verdict specific: what a kernel that printed without
end kept printing (the lines that repeat, how often, what came just before
them, and the kernel code that addresses in them point to)."""
import re

from .symbols import function_start, symbolise

HEX = re.compile(r"\b(?:0x)?([0-9a-fA-F]{6,16})\b")
MAX_PERIOD = 16      # lines in one round of a loop that is recognised


def _short(text, limit=160):
    return text if len(text) <= limit else text[:limit] + "…"


def _same(line):
    """A line with its numbers blanked: a loop that counts still repeats."""
    return re.sub(r"[0-9a-fA-F]{2,}|\d", "#", line)


def code_addresses(lines, kernel_elf):
    """'0x… is in function (file:line)' for the kernel code addresses that
    `lines` mention (at most three)."""
    if not kernel_elf:
        return []
    found = []
    for line in lines:
        for match in HEX.finditer(line):
            value = int(match.group(1), 16)
            if value not in found and function_start(kernel_elf, value) is not None:
                found.append(value)
    places = symbolise(kernel_elf, found[:8]) if found else []
    said = [f"{value:#x} is in {names[0][0]} ({names[0][1]})"
            for value, names in zip(found, places) if names[0][0] != "??"]
    return said[:3]


def printing_loop(transcript, kernel_elf=None):
    """A sentence about what a flooding kernel printed at the end of its kept
    output: the round of lines it repeated and how often, the line before
    the loop began, the code addresses in it; '' if there is nothing to say."""
    lines = [line.strip() for line in transcript.free_lines if line.strip()]
    lines = lines[:-1]  # the last line was cut where the grader stopped keeping output
    if not lines:
        return ""
    shapes = [_same(line) for line in lines]
    period = next((p for p in range(1, min(MAX_PERIOD, len(lines) - 1) + 1)
                   if shapes[-1 - p] == shapes[-1]), None)
    if period is None:
        return f"the last line it printed was '{_short(lines[-1])}'"
    start = len(lines)
    while start - period >= 0 and shapes[start - period:start] == shapes[-period:]:
        start -= period
    rounds = (len(lines) - start) // period
    shown = " / ".join(f"'{_short(line)}'" for line in lines[-period:])
    said = [f"it printed {shown} over and over ({rounds} times in the output kept)"
            if period == 1 else
            f"it printed these {period} lines over and over ({rounds} times in the output "
            f"kept): {shown}"]
    if start > 0:
        said.append(f"just after '{_short(lines[start - 1])}'")
    answers = transcript.kinds("ANSWER")
    if answers:
        said.append(f"(the last answer a test gave: '{_short(answers[-1])}')")
    said += code_addresses(lines[-period:], kernel_elf)
    return "; ".join(said)
