"""The commands a failure verdict offers a student, for one in-kernel test as
the grader ran it: `make debug` (gdb stopped at the test's first line,
tools/debug.mk) and, on the PC, `make replay` (gdb on a recording of the
failed run, able to go backwards: keelgrade/recording.py)."""


def replay_hint(lab, test, solution=False, recorded=True, failed_again=True, cmdline=None,
                checked=False):
    """The verdict's line about going back in time from a failed test: the
    make replay command that opens gdb on its recording (keelgrade/recording.py)
    or, when grading did not record it, records it first."""
    command = f"make replay LAB={lab} TEST={test}" + (" SOLUTION=1" if solution else "") + \
        (" CHECKED=1" if checked else "")
    if cmdline and cmdline != f"keel.test={test}":
        command += f" CMDLINE='{cmdline}'"
    if not recorded:
        return f"To go back in time from the failure (records this test, then gdb on it): {command}"
    if not failed_again:
        return ("A recording of this test ran again but passed this time (a failure that depends "
                f"on timing?); it can still be replayed: {command}")
    return f"To go back in time from the failure (gdb on a recording of this test): {command}"


def debug_command(lab, test, platform, solution=False, checked=False, use_mine="", cmdline=""):
    """The one command (make debug, tools/debug.mk) that boots in-kernel test
    `test` of `lab` as the grader ran it (`cmdline`: its boot arguments, of
    which keel.test is left out) with gdb stopped at the test's first line."""
    extra = " ".join(w for w in cmdline.split() if not w.startswith("keel.test="))
    return " ".join(part for part in (
        f"make debug LAB={lab} TEST={test}", "PLATFORM=linux" if platform == "linux" else "",
        "SOLUTION=1" if solution else "", "CHECKED=1" if checked and platform != "linux" else "",
        f"USE_MINE={use_mine}" if use_mine else "", f"CMDLINE='{extra}'" if extra else "") if part)
