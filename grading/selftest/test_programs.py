"""Boot modules: a cpio archive made by tools/mkprograms.py reaches the
kernel intact through QEMU's -initrd (PVH) and GRUB's module2, and a damaged
one is reported and ignored, not trusted."""
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keelgrade.lab import Lab  # noqa: E402
from keelgrade.qemu_machine import GRADER_CONNECTION, QemuMachine, qemu_command  # noqa: E402
from keelgrade.verdict import judge_test  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEST = "needs_boot_archive"


@pytest.fixture
def archive(tmp_path):
    (tmp_path / "hello.txt").write_text("hello from a boot archive\n")
    (tmp_path / "odd").write_text("12345")
    (tmp_path / "empty").write_text("")
    out = tmp_path / "programs.cpio"
    subprocess.run([sys.executable, os.path.join(ROOT, "tools/mkprograms.py"), str(out),
                    f"hello.txt={tmp_path / 'hello.txt'}", f"bin/odd={tmp_path / 'odd'}",
                    f"empty={tmp_path / 'empty'}"], check=True)
    return out


@pytest.fixture(scope="module")
def kernel():
    return Lab(ROOT, "framework-tests", solution=True, checked=False).kernel.elf


def test_archive_through_qemu_initrd(kernel, archive, tmp_path):
    with QemuMachine(kernel, f"keel.test={TEST}", str(tmp_path / "run"),
                 extra_args=["-initrd", str(archive)]) as machine:
        machine.run_to_end(60)
        transcript = machine.transcript()
        verdict = judge_test(machine, transcript, TEST)
    assert verdict.passed, verdict.explain(transcript)


def test_archive_through_grub_module(kernel, archive, tmp_path):
    iso = tmp_path / "keel.iso"
    subprocess.run([os.path.join(ROOT, "tools/mkiso.sh"), kernel, str(iso),
                    f"keel.test={TEST} keel.nonce=mod", f"programs={archive}"], check=True)
    run = subprocess.run([*qemu_command(), *GRADER_CONNECTION, "-cdrom", str(iso)], capture_output=True,
                         timeout=120)
    out = run.stdout.decode(errors="replace")
    assert f"@@keel:mod:PASS:{TEST}" in out, out[-3000:]


def test_damaged_archive_is_ignored(kernel, archive, tmp_path):
    data = bytearray(archive.read_bytes())
    data[6 + 8 * 6:6 + 8 * 7] = b"7fffffff"  # the first file claims 2 GiB
    broken = tmp_path / "broken.cpio"
    broken.write_bytes(bytes(data))
    with QemuMachine(kernel, f"keel.test={TEST}", str(tmp_path / "run"),
                 extra_args=["-initrd", str(broken)]) as machine:
        machine.run_to_end(60)
        transcript = machine.transcript()
        verdict = judge_test(machine, transcript, TEST)
    assert not verdict.passed and "damaged cpio archive" in transcript.text, transcript.text[-3000:]
    assert "files from the boot modules: got 0" in verdict.message, verdict.explain(transcript)


def test_static_musl_program_runs_in_user_mode(kernel, tmp_path):
    """A printf program built with musl-gcc -static, from the boot archive, in
    ring 3: C library start-up (FS base, auxiliary vector), writev, exit_group."""
    subprocess.run(["make", "--no-print-directory", "-s", "user-programs"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    archive = tmp_path / "hello.cpio"
    subprocess.run([sys.executable, os.path.join(ROOT, "tools/mkprograms.py"), str(archive),
                    f"hello={os.path.join(ROOT, 'build/user/hello')}"], check=True)
    with QemuMachine(kernel, "keel.test=needs_musl_hello", str(tmp_path / "run"),
                 extra_args=["-initrd", str(archive)]) as machine:
        machine.run_to_end(60)
        transcript = machine.transcript()
        verdict = judge_test(machine, transcript, "needs_musl_hello")
    assert verdict.passed, verdict.explain(transcript)
