"""The sandbox around everything student code touches on the grading machine.

Student code is untrusted: it is compiled (and `#include`/`.incbin` read
files at compile time), and on the Linux platform the kernel built from it
runs as an ordinary process. Both happen inside bubblewrap (Debian's
`bubblewrap`, the sandbox Flatpak uses), never directly:

  - new user, PID, mount, network, IPC, UTS and cgroup namespaces: no network,
    no other process in sight, and when the run ends every process it
    started dies with its PID namespace;
  - an unprivileged user inside (uid 65534), no capabilities, a new terminal
    session (no keystrokes pushed into the grader's terminal);
  - a file system of the toolchain (/usr) read-only, the tree being built
    read-only except its build/ directory, an empty /tmp of bounded size, a
    read-only root, /proc of its own,
    and of /dev only /dev/null: nothing else of the host, so no secret and no
    /dev/zero to read;
  - an empty environment (PATH, HOME=/tmp, LANG);
  - resource limits (setrlimit, through prlimit) on CPU time, file size, open files, core
    dumps, and address space where the program allows it (AddressSanitizer
    reserves terabytes of address space, so a Linux-platform kernel gets no
    address-space limit: its memory is its 128 MiB memfd and the platform
    confines the kernel itself with a seccomp allow-list once set up).

QEMU, which runs PC kernels, is the sandbox of those: the guest reaches no
host file. If bubblewrap cannot make a sandbox here, grading refuses to run
student code (SandboxUnavailable says why) unless the instructor opts out with
KEEL_SANDBOX=off (make grade SANDBOX=off), for a machine that is itself a
throw-away container. `make doctor` runs the same probe."""
import functools
import os
import resource
import select
import shutil
import signal
import subprocess

BWRAP = "bwrap"
NOBODY = 65534
OPT_OUT = "KEEL_SANDBOX"

# Limits of a build (gcc on student files) and of a Linux-platform kernel run.
BUILD_LIMITS = {resource.RLIMIT_CPU: 600, resource.RLIMIT_AS: 4 << 30,
                resource.RLIMIT_FSIZE: 512 << 20, resource.RLIMIT_CORE: 0,
                resource.RLIMIT_NOFILE: 1024}
# (The kernel's physical memory is a memfd of up to 4 GiB: RLIMIT_FSIZE counts it.)
RUN_LIMITS = {resource.RLIMIT_CPU: 600, resource.RLIMIT_FSIZE: 5 << 30,
              resource.RLIMIT_CORE: 0, resource.RLIMIT_NOFILE: 256}
BUILD_TMP_BYTES = 512 << 20    # gcc's temporary files
RUN_TMP_BYTES = 16 << 20       # a kernel writes no file


class SandboxUnavailable(Exception):
    """Student code would have to run without a sandbox: refused."""


def enabled():
    """False only if the instructor opted out (KEEL_SANDBOX=off)."""
    return os.environ.get(OPT_OUT, "on").lower() not in ("off", "0", "no", "false")


# Last: the sandbox's own root (an unbounded tmpfs bubblewrap makes) becomes
# read-only, leaving writable only the size-limited /tmp and, for a build,
# build/.
READ_ONLY_ROOT = ["--remount-ro", "/"]


def _system_binds():
    """The toolchain, read-only: /usr, and the merged-/usr links to it."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib64", "sbin", "lib32", "libx32"):
        path = f"/{name}"
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in ("/etc/ld.so.cache", "/etc/alternatives"):
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    return args


def _base(workdir, tmp_bytes):
    return [BWRAP, "--unshare-all", "--die-with-parent", "--new-session",
            "--uid", str(NOBODY), "--gid", str(NOBODY), "--hostname", "keel-sandbox",
            *_system_binds(), "--dev-bind", "/dev/null", "/dev/null", "--proc", "/proc",
            "--symlink", "/proc/self/fd", "/dev/fd", "--size", str(tmp_bytes), "--tmpfs", "/tmp",
            "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp",
            "--setenv", "LANG", "C.UTF-8", "--chdir", workdir]


@functools.lru_cache(maxsize=None)
def problem():
    """None if a sandbox can be made here, else why not (a sentence)."""
    if shutil.which(BWRAP) is None:
        return ("bubblewrap is not installed (`sudo apt-get install bubblewrap`, or `make deps`)")
    try:
        probe = subprocess.run([*_base("/", RUN_TMP_BYTES), "true"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bubblewrap did not run ({error})"
    if probe.returncode != 0:
        reason = probe.stderr.strip() or f"exit status {probe.returncode}"
        return (f"bubblewrap cannot create a sandbox here: {reason} (user namespaces may be "
                "disabled: sysctl kernel.unprivileged_userns_clone=1, or run in a container "
                "that allows them)")
    return None


def require():
    """Raise SandboxUnavailable unless sandboxing is possible or opted out of."""
    if not enabled():
        return
    why = problem()
    if why:
        raise SandboxUnavailable(
            f"Grading runs student code only inside a sandbox, and {why}. `make doctor` checks "
            f"this. On a machine that is itself a throw-away container you may opt out with "
            f"{OPT_OUT}=off (make grade SANDBOX=off), at your own risk.")


# prlimit's option for each limit (util-linux, in every Debian and Ubuntu).
PRLIMIT_OPTIONS = {resource.RLIMIT_AS: "--as", resource.RLIMIT_CPU: "--cpu",
                   resource.RLIMIT_FSIZE: "--fsize", resource.RLIMIT_CORE: "--core",
                   resource.RLIMIT_NOFILE: "--nofile"}


def limited(command, limits):
    """`command` (a list) run with `limits` (resource -> soft and hard value,
    lowered to the hard limit this process has) through prlimit. Not a
    preexec_fn: with one, Python forks the whole grader for every process
    instead of using vfork, which cost several ms per kernel run."""
    options = []
    for which, value in limits.items():
        _, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        options.append(f"{PRLIMIT_OPTIONS[which]}={value}:{value}")
    return ["prlimit", *options, "--", *command]


def dies_with_parent(command):
    """`command` (a list) made to get SIGKILL when this process ends, however
    it ends (PR_SET_PDEATHSIG through setpriv, util-linux): a grader killed
    by a CI timeout leaves no emulator behind. Unchanged without setpriv."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", "--", *command] if setpriv else list(command)


def build_command(tree, command, extra_read_only=()):
    """`command` (a list) run in `tree` with the tree read-only but its
    build/ directory, or the command itself if sandboxing is opted out of."""
    if not enabled():
        return list(command)
    require()
    tree = os.path.abspath(tree)
    build = os.path.join(tree, "build")
    os.makedirs(build, exist_ok=True)
    args = _base(tree, BUILD_TMP_BYTES) + ["--ro-bind", tree, tree, "--bind", build, build]
    for path in extra_read_only:
        args += ["--ro-bind", path, path]
    return args + READ_ONLY_ROOT + ["--", *command]


def run_command(kernel_dir, info_fd, read_only=()):
    """The bubblewrap options that run a Linux-platform kernel from
    `kernel_dir` (read-only, with its boot archive) in an empty /tmp, as the
    PID namespace's first process (so it takes all others with it when it
    ends); bubblewrap writes the kernel's host PID to `info_fd`. The kernel
    command line travels through a pipe (--cmdline-fd), so no process list
    shows the grader's nonce. A kernel killed by signal N exits 128 + N.
    `read_only`: more files it may read (a boot archive given by hand)."""
    require()
    kernel_dir = os.path.abspath(kernel_dir)
    args = _base("/tmp", RUN_TMP_BYTES) + ["--as-pid-1", "--ro-bind", kernel_dir, kernel_dir,
                                           "--info-fd", str(info_fd)]
    for path in read_only:
        args += ["--ro-bind", os.path.abspath(path), os.path.abspath(path)]
    return args + READ_ONLY_ROOT


def run_with_deadline(command, seconds, output, **options):
    """Run `command` in a session of its own, its output into the open file
    `output`; past `seconds` of wall-clock time, kill it and everything it
    started. (exit status, whether it was killed)."""
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output,
                               stderr=subprocess.STDOUT, start_new_session=True, **options)
    try:
        return wait_for_exit(process, seconds), False
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return process.wait(), True


def wait_for_exit(process, seconds):
    """process.wait(timeout=seconds), woken by the exit itself (a pidfd)
    rather than by subprocess's polling, whose sleeps grow to 50 ms and
    would add as much to every kernel run and build."""
    try:
        pidfd = os.pidfd_open(process.pid)
    except OSError:  # already reaped, or no pidfd here: poll as subprocess does
        return process.wait(timeout=seconds)
    try:
        ready, _, _ = select.select([pidfd], [], [], seconds)
    finally:
        os.close(pidfd)
    if not ready:
        raise subprocess.TimeoutExpired(process.args, seconds)
    return process.wait()
