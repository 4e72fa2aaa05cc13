"""Schedule perturbation in the graders: a concurrency test (a KTest with
perturb=True) runs once plainly, then once per seed below, each boot with
keel.perturb=SEED, and passes only if every run passes; the first run that
fails is reported (so an ordinary bug is shown as a plain run shows it). Armed with a seed, the framework preempts
threads at random points where a timer tick could come (see
framework/core/perturb.c), so a race window a 1000 Hz timer almost never hits
(a lost wakeup, say) is hit in the grader. The fixed seeds make every grading
see the same schedules; the fresh one, printed with any failure, adds a new
one each time. The same seed makes the same choices at the same points, so a
failure names the seed and the command that replays it."""
from .seeded import new_seed

# Each catches every concurrency mistake in grading/selftest/broken_variants/
# on both platforms (as did every one of seeds 1-50 tried). Every seed is a
# boot per concurrency test: one fixed and one fresh keep lab 4's grading
# within about twice its time without perturbation.
FIXED_SEEDS = (1,)


def seeds():
    """The perturbation seeds of one test's runs, in order: None (a plain
    run), the fixed ones, then a fresh one."""
    return (None,) + FIXED_SEEDS + (new_seed(),)


def cmdline(base, seed):
    """`base` (keel.test=… [keel.seed=…]) run under perturbation `seed`
    (None: as it is)."""
    return base if seed is None else f"{base} keel.perturb={seed}"


def explain_failure(seed, explanation):
    """What a student reads when a run under perturbation `seed` failed:
    what perturbation is, then the verdict (`explanation`, which ends with
    the command that replays the run)."""
    return (f"Failed under schedule perturbation, seed {seed}: in this run the framework "
            f"preempted your threads at random points where a timer tick could also have "
            f"come (at spin_lock, spin_unlock, wherever interrupts are masked or unmasked, "
            f"thread_current), so that a race a plain run hits only rarely shows. If the test "
            f"fails without keel.perturb too, look for an ordinary bug first. The same seed "
            f"makes the same choices: reproduce with keel.perturb={seed} on the command line "
            f"(below).\n\n" + explanation)
