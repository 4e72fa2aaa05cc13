#!/usr/bin/env python3
"""The seeded system-call fuzzer: boots the complete kernel with
tools/fuzz/syscall_fuzz.c as its first process and judges the run.

    tools/fuzz/fuzz.py [--platform pc|linux|both] [--seed N] [--calls N]
                       [--seconds S] [--verbose]

One boot makes --calls calls from --seed (random when not given, and
printed). With --seconds, boots follow each other with seeds seed, seed+1, …
until the time is up, and the calls per second are reported. A run passes
when the kernel neither panics nor hangs, the fuzzer reaches its end (after
which it opens a file and runs hello in a child), and the pages mmap can get
afterwards are within PAGE_SLACK of what it got before. A failure names the
seed and the command that repeats it with every call printed.
`make fuzz` runs this (FUZZ_SECONDS, FUZZ_CALLS, FUZZ_SEED, PLATFORM)."""
import argparse
import os
import random
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keelboot  # noqa: E402

PROGRAM = "syscall_fuzz"
PAGE_SLACK = 64  # pages: kernel heap blocks and tables that may stay allocated


class Result:
    def __init__(self, platform, seed, calls, ran, seconds, failure, output):
        self.platform, self.seed, self.calls, self.ran = platform, seed, calls, ran
        self.seconds, self.failure, self.output = seconds, failure, output

    def repeat(self):
        return (f"tools/fuzz/fuzz.py --platform {self.platform} --seed {self.seed} "
                f"--calls {self.calls} --verbose")

    def explain(self):
        if not self.failure:
            return (f"fuzz {self.platform}: seed {self.seed}: {self.ran} calls in "
                    f"{self.seconds:.1f} s, kernel survived")
        tail = "\n".join(self.output.rstrip().splitlines()[-25:])
        return (f"fuzz {self.platform}: seed {self.seed}: FAILED after about {self.ran} of {self.calls} "
                f"calls: {self.failure}\n  repeat with every call printed: {self.repeat()}\n"
                f"--- the end of the kernel's output ---\n{tail}")


def judge(run, seed, calls):
    """(failure or None, calls made) for one boot's output."""
    progress = [int(n) for n in re.findall(r"^fuzz: (\d+) calls$", run.output, re.M)]
    logged = [int(n) for n in re.findall(r"^#(\d+) ", run.output, re.M)]
    ran = max(progress + [n + 1 for n in logged] + [0])
    done = re.search(rf"^fuzz: done seed {seed} calls (\d+)$", run.output, re.M)
    if done:
        ran = int(done.group(1))
    trouble = run.trouble()
    if trouble:
        return trouble, ran
    failed = re.search(r"^fuzz: FAILED: .*$", run.output, re.M)
    if failed:
        return f"afterwards the kernel no longer works as it should: {failed.group(0)[14:]}", ran
    if not done or run.status != 0:
        return (f"the fuzzer did not reach its end (exit status {run.status}): it was killed, or one of "
                "its calls replaced or stopped it"), ran
    pages = {}  # the best of each: orphans may end after the first count
    for when, count in re.findall(r"^fuzz: free pages (before|after) (\d+)$", run.output, re.M):
        pages[when] = max(int(count), pages.get(when, 0))
    if len(pages) == 2 and pages["after"] + PAGE_SLACK < pages["before"]:
        lost = pages["before"] - pages["after"]
        return (f"memory did not come back: mmap got {pages['before']} pages before the calls and "
                f"{pages['after']} after ({lost} pages, {lost * 4} KiB lost)"), ran
    return None, ran


def fuzz_once(platform, seed, calls, verbose=False, timeout=None):
    binary = keelboot.compile_program(PROGRAM)
    if timeout is None:
        timeout = 60 + calls * (0.02 if verbose else 0.004) * (3 if platform == "pc" else 1)
    start = time.monotonic()
    run = keelboot.boot(platform, PROGRAM, {PROGRAM: binary}, timeout,
                        [str(seed), str(calls)] + (["v"] if verbose else []))
    seconds = time.monotonic() - start
    failure, ran = judge(run, seed, calls)
    return Result(platform, seed, calls, ran, seconds, failure, run.output)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--platform", default="both", choices=["pc", "linux", "both"])
    parser.add_argument("--seed", type=int)
    parser.add_argument("--calls", type=int, default=20000, help="calls per boot")
    parser.add_argument("--seconds", type=float, help="keep booting with the next seeds this long")
    parser.add_argument("--verbose", action="store_true", help="print every call")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1, 1 << 31)
    platforms = keelboot.PLATFORMS if args.platform == "both" else (args.platform,)
    keelboot.build_kernels(platforms)
    print(f"fuzz: first seed {seed}, {args.calls} calls per boot, platforms {' '.join(platforms)}")
    failed = False
    for platform in platforms:
        total = boots = 0
        elapsed = 0.0
        next_seed = seed
        while True:
            result = fuzz_once(platform, next_seed, args.calls, args.verbose)
            if args.verbose or result.failure:
                print(result.output if args.verbose else "", end="")
            print(result.explain(), flush=True)
            total += result.ran
            elapsed += result.seconds
            boots += 1
            next_seed += 1
            if result.failure:
                failed = True
                break
            if not args.seconds or elapsed >= args.seconds:
                break
        print(f"fuzz {platform}: {total} calls in {boots} boots, {elapsed:.1f} s: "
              f"{total / elapsed:.0f} calls/s (boots included)", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
