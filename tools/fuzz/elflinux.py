"""The malformed-ELF corpus against this host's Linux: the same files run
natively by elf_runner in a bubblewrap sandbox, and where Linux's decision
(refuse or run) differs from Keel's. Used by tools/fuzz/elfcorpus.py --linux."""
import os
import subprocess
import tempfile

import elfcorpus
import keelboot


def run_on_linux(cases):
    """{name: outcome} with this host's Linux as the loader, in a sandbox."""
    runner = keelboot.compile_program("elf_runner")
    with tempfile.TemporaryDirectory(prefix="keel-elf-linux-") as work:
        elfcorpus.write_corpus(work, cases)
        for name, _, _ in cases:
            os.chmod(os.path.join(work, name), 0o755)
        command = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
                   "--bind", work, "/tmp/corpus", "--chdir", "/tmp/corpus", "--unshare-all", "--die-with-parent",
                   "--new-session", runner]
        run = subprocess.run(["timeout", "120", *command], capture_output=True, text=True, errors="replace")
    return elfcorpus.outcomes(run.stdout)


def compare(cases, keel, native):
    """Where Keel's decision differs from Linux's, as text. Linux often
    commits to a file and then kills the process (SIGSEGV, SIGBUS, SIGKILL)
    where Keel refuses it cleanly: counted, not listed. Listed: files Keel
    runs that Linux refuses, and files Linux runs to a normal exit that Keel
    refuses."""
    late = keel_runs = keel_refuses = 0
    lines = []
    for name, _, what in cases:
        k, n = keel.get(name, "?"), native.get(name, "?")
        if elfcorpus.decision(k) == elfcorpus.decision(n):
            continue
        if elfcorpus.decision(k) == "ran":
            keel_runs += 1
            lines.append(f"  Keel runs what Linux refuses: {name} ({what}): Keel {k}, Linux {n}")
        elif n.startswith("exit"):
            keel_refuses += 1
            lines.append(f"  Keel refuses what Linux runs: {name} ({what}): Keel {k}, Linux {n}")
        else:
            late += 1
    return "\n".join([f"compared with Linux: {len(cases)} files; Keel runs {keel_runs} that Linux refuses, "
                      f"refuses {keel_refuses} that Linux runs to an exit, refuses {late} that Linux "
                      "accepts and then kills", *lines])
