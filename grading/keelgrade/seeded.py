"""Host-checked tests: the grader picks a random seed for each run, the kernel
draws its work from it and reports what it computed (ANSWER frames, see
ktest_answer in labs/include/ktest.h), and the grader computes on the host what
the answers must be. A kernel cannot print its way to a pass: it would have to
compute the right answers for a seed it learns only at boot.

SplitMix64 here and ktest_random in labs/ktest.c produce the same sequence."""
import secrets

MASK = (1 << 64) - 1


class SplitMix64:
    """The kernel's ktest_random, step for step."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, bound):
        """ktest_random_below: a number in [0, bound)."""
        return self.next() % bound


def new_seed():
    """A fresh seed for one run (63 bits: it travels as a decimal word)."""
    return secrets.randbits(63)


def first_difference(got, expected):
    """None if the answers agree, else (line number from 1, got, expected);
    a missing line is None."""
    for i in range(max(len(got), len(expected))):
        g = got[i] if i < len(got) else None
        e = expected[i] if i < len(expected) else None
        if g != e:
            return i + 1, g, e
    return None
