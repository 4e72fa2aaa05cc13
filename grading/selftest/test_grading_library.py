"""The rest of the grading library without a kernel: reading QEMU's monitor
output, symbolising, build errors, timeouts, the score and results.json, and
the pytest plugin (conftest.py) end to end on a made-up grader file."""
import json
import os
import subprocess
import sys

import pytest

GRADING = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, GRADING)

from keelgrade import build, calibration, monitor, qemu_machine, results, symbols  # noqa: E402

# `info registers` of the self-test kernel at a triple fault (trimmed).
INFO_REGISTERS = """CPU#0
RAX=0000000000000000 RBX=ffffffff8010f558 RCX=00000000000186a0 RDX=00000000000003f8
RSI=00000000000003fd RDI=ffffffff801263e0 RBP=ffffffff80120df0 RSP=ffffffff80120de0
R8 =ffffffff80120d56 R9 =ffffffff80120d56 R10=0000000000000001 R11=00000000000003f8
R12=0000000000000015 R13=0000000000000010 R14=0000000000000000 R15=ffffffff80120e60
RIP=ffffffff8010c71a RFL=00000082 [--S----] CPL=0 II=0 A20=1 SMM=0 HLT=0
ES =0010 0000000000000000 ffffffff 00cf9300 DPL=0 DS   [-WA]
CS =0008 0000000000000000 ffffffff 00af9a00 DPL=0 CS64 [-R-]
SS =0010 0000000000000000 ffffffff 00cf9300 DPL=0 DS   [-WA]
GDT=     ffffffff8011b1a0 00000027
IDT=     0000000000000000 00000000
CR0=80010011 CR2=0000000000000000 CR3=00000000001a7000 CR4=000000a0
EFER=0000000000000d00
XMM00=0000000000000000 0000000000000000 XMM01=0000000000000000 0000000000000000"""


def test_registers_from_info_registers():
    assert monitor.register(INFO_REGISTERS, "RIP") == 0xffffffff8010c71a
    assert monitor.register(INFO_REGISTERS, "RBP") == 0xffffffff80120df0
    assert monitor.register(INFO_REGISTERS, "R8") == 0xffffffff80120d56
    assert monitor.register(INFO_REGISTERS, "CR2") == 0
    assert monitor.register(INFO_REGISTERS, "R16") is None
    short = symbols.short_registers(INFO_REGISTERS)
    assert "RIP=ffffffff8010c71a" in short and "IDT=" in short and "XMM" not in short


def test_memory_dump():
    dump = "ffffffff80120df0: 0xffffffff80120e20 0xffffffff8010c907"
    assert monitor.parse_memory_dump(dump) == [0xffffffff80120e20, 0xffffffff8010c907]
    assert monitor.parse_memory_dump("Cannot access memory") == []


def test_hmp_echo_and_prompt_are_stripped():
    raw = ("i\x1b[K\x1b[Din\x1b[K\x1b[D\x1b[Dinfo status\x1b[K\r\n"
           "VM status: paused (shutdown)\r\n(qemu) ")
    assert monitor.clean_hmp_output(raw, "info status") == "VM status: paused (shutdown)"


def test_addr2line_with_inlining():
    out = ("0xffffffff80106148\nadd_region\n/work/keel/framework/core/bootinfo.c:49\n"
           "bootinfo_from_multiboot2\n/work/keel/framework/core/bootinfo.c:91\n"
           "0x0000000000000001\n??\n??:0\n"
           "0xffffffff8010c722\ncrash_helper_spin\nframework/tests/test_crash.c:62 (discriminator 1)\n")
    parsed = symbols.parse_addr2line(out, 3, root="/work/keel")
    assert parsed[0] == [("add_region", "framework/core/bootinfo.c:49"),
                         ("bootinfo_from_multiboot2", "framework/core/bootinfo.c:91")]
    assert parsed[1] == [("??", "??:0")]
    assert parsed[2] == [("crash_helper_spin", "framework/tests/test_crash.c:62")]
    assert symbols.parse_addr2line(out, 4) is None


def test_state_description(monkeypatch):
    names = {0xffffffff8010c71a: [("ktest_fn_crash_triple_fault", "test_crash.c:57")],
             0xffffffff8010c906: [("run_one", "labs/ktest.c:53"), ("outer", "labs/ktest.c:90")],
             0x1233: [("??", "??:0")]}
    monkeypatch.setattr(symbols, "symbolise", lambda elf, addrs: [names[a] for a in addrs])
    chain = [(0xffffffff8010c71a, False), (0xffffffff8010c907, True), (0x1234, True)]
    text = symbols.describe_state(INFO_REGISTERS, chain, "kernel.elf")
    assert "IDT limit 0" in text
    assert "#0  0xffffffff8010c71a ktest_fn_crash_triple_fault (test_crash.c:57)" in text
    assert "#1  0xffffffff8010c907 run_one (labs/ktest.c:53)" in text  # the return address shown
    assert "inlined into outer (labs/ktest.c:90)" in text
    assert "0x1234" not in text  # the chain stops where it leaves the kernel's code


def test_symbolise_a_real_elf_without_crashing(tmp_path):
    # No debug information at all: every address is unknown, nothing raises.
    elf = tmp_path / "empty.elf"
    elf.write_bytes(b"\x7fELF")
    assert symbols.symbolise(str(elf), [0x1000, 0x2000]) == [[("??", "?")]] * 2


def test_build_errors_are_readable():
    output = """  CC      lab1-boot/serial.c
lab1-boot/serial.c: In function 'serial_init':
lab1-boot/serial.c:20:5: error: 'x' undeclared (first use in this function)
   20 |     x = 1;
      |     ^
lab1-boot/serial.c:20:5: note: each undeclared identifier is reported only once
make: *** [Makefile:112: build/lab1-boot/student/obj/lab1-boot/serial.c.o] Error 1"""
    text = build.format_build_error(output, "make kernel LAB=lab1-boot")
    first = text.splitlines()[0]
    assert "did not compile" in first and "make kernel LAB=lab1-boot" in first
    errors = text.split("The errors:")[1].split("Compiler output:")[0]
    assert "lab1-boot/serial.c:20:5: error: 'x' undeclared" in errors
    assert "make: ***" not in errors
    assert "CC      lab1-boot" not in text
    assert "   20 |     x = 1;" in text


def test_timeouts_scale_and_have_a_floor():
    assert calibration.timeout_for(0.1) == calibration.FLOOR_SECONDS
    assert calibration.timeout_for(1.0) == calibration.FACTOR
    assert calibration.timeout_for(0.1, multiplier=2) == calibration.FLOOR_SECONDS
    assert calibration.timeout_for(1.0, multiplier=2) == 2 * calibration.FACTOR


def test_failed_calibration_falls_back(tmp_path, monkeypatch):
    def broken(root, platform="pc"):
        raise build.BuildError("no compiler")
    monkeypatch.setattr(calibration, "known_good_kernel", broken)
    monkeypatch.setattr(calibration, "_measured", {})
    assert calibration.boot_seconds(str(tmp_path)) == calibration.FALLBACK_SECONDS
    assert "no compiler" in calibration.last_problem


def test_calibration_is_shared_through_a_file(tmp_path, monkeypatch):
    kernel = tmp_path / "build" / "calibration" / "solution" / "kernel.elf"
    kernel.parent.mkdir(parents=True)
    kernel.write_text("x")
    calls = []
    monkeypatch.setattr(calibration, "known_good_kernel", lambda root, platform="pc": str(kernel))
    monkeypatch.setattr(calibration, "measure", lambda elf: calls.append(elf) or 0.25)
    monkeypatch.setattr(calibration, "_measured", {})
    assert calibration.boot_seconds(str(tmp_path)) == 0.25
    monkeypatch.setattr(calibration, "_measured", {})  # another worker process
    assert calibration.boot_seconds(str(tmp_path)) == 0.25
    assert len(calls) == 1
    assert json.loads((tmp_path / "build" / ".calibration-pc.json").read_text())["seconds"] == 0.25


def test_results_json_is_gradescope_format(tmp_path):
    rows = [("a", 5, 5, True, ""), ("b", 0, 3, False, "why")]
    path = tmp_path / "sub" / "r.json"
    results.write_json(str(path), rows)
    data = json.loads(path.read_text())
    assert data["score"] == 5 and data["max_score"] == 8
    assert data["tests"][0] == {"name": "a", "score": 5, "max_score": 5, "status": "passed",
                                "output": ""}
    assert data["tests"][1] == {"name": "b", "score": 0, "max_score": 3, "status": "failed",
                                "output": "why"}


def test_summary_lines_line_up():
    rows = [("short", 5, 5, True, ""), ("a much longer test title", 0, 3, False, "")]
    lines = results.summary_lines("lab: grading x", rows)
    assert lines[1] == "lab: grading x"
    assert lines[2].startswith("  PASS  short ....") and lines[2].endswith(" 5/5")
    assert lines[3].startswith("  FAIL  a much longer test title ...")
    assert lines[2].index(" 5/5") == lines[3].index(" 0/3")
    assert lines[-1] == "Score: 5/8"


def test_a_challenge_part_has_its_own_heading_score_line_and_tag(tmp_path):
    rows = [("core one", 5, 5, True, ""), ("extra", 0, 4, False, "why", "challenge"),
            ("core two", 0, 3, False, "", "")]
    lines = results.summary_lines("lab: grading x", rows)
    assert lines.index("Score: 5/8") < lines.index("Challenge score: 0/4"), lines
    heading = next(i for i, line in enumerate(lines) if line.startswith("Challenge part"))
    assert lines.index("Score: 5/8") < heading and lines[heading + 1].startswith("  FAIL  extra")
    assert not any(line.startswith("Score") for line in results.summary_lines("h", rows[1:2]))
    path = tmp_path / "r.json"
    results.write_json(str(path), rows)
    data = json.loads(path.read_text())
    assert data["score"] == 5 and data["max_score"] == 12
    assert data["tests"][1]["tags"] == ["challenge"] and "tags" not in data["tests"][0]


def test_xdist_header_is_dropped():
    assert results.clean_output("[gw1] linux -- Python 3.11.2 /usr/bin/python3\n[HANG] x") == \
        "[HANG] x"


FAKE_GRADER = '''
import pytest

@pytest.mark.points(7)
@pytest.mark.title("first thing")
def test_one():
    pass

@pytest.mark.points(3)
def test_two():
    pytest.fail("[TEST FAILED] wrong value", pytrace=False)

def test_without_points():
    pass
'''


def test_plugin_scores_and_writes_results(tmp_path):
    """conftest.py as a plugin on a made-up grader file: the score block is
    the last thing before pytest's own summary line, results.json and JUnit
    XML get the points."""
    grader = tmp_path / "test_fake.py"
    grader.write_text(FAKE_GRADER)
    out_json, out_xml = tmp_path / "results.json", tmp_path / "junit.xml"
    env = dict(os.environ, PYTHONPATH=GRADING)
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider",
                          "-c", os.path.join(GRADING, "pytest.ini"), "-q", "--lab=fake-lab",
                          f"--results={out_json}",
                          f"--junitxml={out_xml}", str(grader)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    lines = [l for l in run.stdout.splitlines() if l.strip()]
    assert run.returncode == 1, run.stdout + run.stderr
    score = lines.index("fake-lab: grading your code in fake-lab/")
    assert lines[score + 1].startswith("  PASS  first thing ...") and lines[score + 1].endswith("7/7")
    assert lines[score + 2].startswith("  FAIL  test_two ...") and lines[score + 2].endswith("0/3")
    assert lines[score + 3] == "Score: 7/10"
    assert lines[score + 4:] == [lines[-1]] and "1 failed, 2 passed" in lines[-1]
    data = json.loads(out_json.read_text())
    assert (data["score"], data["max_score"], len(data["tests"])) == (7, 10, 2)
    assert data["tests"][1]["output"] == "[TEST FAILED] wrong value"
    xml = out_xml.read_text()
    assert 'name="max_points" value="7"' in xml and 'name="points" value="0"' in xml


def test_doctor_names_the_fix_for_each_missing_tool(tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))  # nothing on PATH at all
    run = subprocess.run([sys.executable, os.path.join(GRADING, "keelgrade", "doctor.py"),
                          "--python", sys.executable], env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    for fix in ("apt-get install gcc", "apt-get install binutils", "apt-get install make",
                "apt-get install qemu-system-x86", "apt-get install xorriso",
                "apt-get install mtools", "apt-get install gdb", "apt-get install bochs"):
        assert fix in run.stdout, f"{fix!r} missing:\n{run.stdout}"
    assert "not booting a kernel" in run.stdout


class FakeMonitorMachine(qemu_machine.QemuMachine):
    """A Machine without QEMU: monitor commands read from a dict of memory."""

    def __init__(self, memory):
        self.memory, self.kernel_elf = memory, "kernel.elf"

    def monitor_command(self, command, timeout=5.0):
        _, fmt, address = command.split()
        address = int(address, 16)
        if fmt == "/5bx":
            return f"{address:016x}: " + " ".join(f"{b:#04x}" for b in self.memory[address])
        count = int(fmt[1:-2])
        words = [self.memory.get(address + 8 * i, 0) for i in range(count)]
        return f"{address:016x}: " + " ".join(f"{w:#018x}" for w in words)


def test_a_frameless_leaf_still_shows_its_caller(monkeypatch):
    """RIP in a function without a frame (cpu_relax: pause; ret): the return
    address at [RSP] is shown if a direct call to that function precedes it."""
    leaf, caller_ret, rsp, rbp = 0xffffffff80109c40, 0xffffffff8010dbe0, 0xffffffff80125d80, \
        0xffffffff80125da0
    rel = (leaf - caller_ret) & 0xffffffff
    call = [0xE8] + list(rel.to_bytes(4, "little"))
    memory = {rsp: caller_ret, caller_ret - 5: call,
              rbp: 0, rbp + 8: 0}
    monkeypatch.setattr(qemu_machine, "function_start", lambda elf, address: leaf)
    regs = f"RIP={leaf + 2:016x} RSP={rsp:016x} RBP={rbp:016x}"
    machine = FakeMonitorMachine(memory)
    assert machine.read_stack(regs) == [(leaf + 2, False), (caller_ret, True)]
    # The same stack word without a call to this function before it: not a caller.
    memory[caller_ret - 5] = [0x90] * 5
    assert machine.read_stack(regs) == [(leaf + 2, False)]


def test_the_frame_pointer_chain_is_followed(monkeypatch):
    monkeypatch.setattr(qemu_machine, "function_start", lambda elf, address: None)
    memory = {0x1000: 0x1100, 0x1008: 0xffffffff80100010,
              0x1100: 0x1200, 0x1108: 0xffffffff80100020,
              0x1200: 0x1100, 0x1208: 0xffffffff80100030}  # loops back: must stop
    chain = FakeMonitorMachine(memory).read_stack("RIP=ffffffff80100000 RSP=0ff0 RBP=1000")
    assert chain == [(0xffffffff80100000, False), (0xffffffff80100010, True),
                     (0xffffffff80100020, True), (0xffffffff80100030, True)]


def test_lab_api_comes_from_the_headers():
    """What lab code may use is what its headers declare (asked of gcc)."""
    from keelgrade import lab_api
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    cc = ["gcc", "-std=gnu17", "-ffreestanding", f"-I{root}/framework/include",
          f"-I{root}/labs/include", f"-I{root}/lab2-mm"]
    api, own = lab_api.lab_api(cc, [f"{root}/labs/include/lab.h", f"{root}/lab2-mm/lab2.h"])
    assert {"buddy_init", "pt_map", "kprintf", "frame_alloc", "buddy_allocator", "memcpy"} <= api
    assert not {"protocol_emit", "ktest_main", "ktest_fail_at", "keel_longjmp", "open",
                "mprotect", "symbol_address"} & api
    assert "buddy_init" in own and "memcpy" not in own and "kprintf" not in own


def test_student_output_is_made_printable():
    from keelgrade import text
    assert text.printable("a\x1b[2Jb\u202ec\td\x7f") == "a\\x1b[2Jb\\u202ec\td\\x7f"
    assert text.quoted(["Score: 100/100", "x\x07"]) == "  | Score: 100/100\n  | x\\x07"
    assert text.clip("abcdef", 3).startswith("abc\n... (output cut at 3")


def test_no_sandbox_means_no_student_code(monkeypatch, tmp_path):
    """Where bubblewrap cannot make a sandbox, grading refuses to build or
    run student code, saying why and how an instructor may opt out."""
    from keelgrade import sandbox
    monkeypatch.setattr(sandbox, "problem", lambda: "bubblewrap is not installed (test)")
    monkeypatch.delenv(sandbox.OPT_OUT, raising=False)
    with pytest.raises(sandbox.SandboxUnavailable) as refused:
        sandbox.build_command(str(tmp_path), ["make"])
    assert "is not installed (test)" in str(refused.value) and "KEEL_SANDBOX=off" in str(refused.value)
    with pytest.raises(build.BuildError):
        build.build_kernel(str(tmp_path), "lab2-mm")
    monkeypatch.setenv(sandbox.OPT_OUT, "off")
    assert sandbox.build_command(str(tmp_path), ["make"]) == ["make"]


class _FakeRun:
    """Stands in for a kernel run in the start-order test: always running."""
    running = True

    def kill(self):
        pass


def test_kernels_start_slowest_first_and_odd_hints_are_ignored(tmp_path, monkeypatch):
    """--boot-ahead starts the current test's kernel, then the slowest of the
    last run first (run-seconds.json beside the kernel); what it cannot read
    there changes nothing."""
    from keelgrade import lab as lab_module
    from keelgrade.table import KTest
    started = []
    monkeypatch.setattr(lab_module, "start_machine",
                        lambda elf, cmdline, workdir: started.append(cmdline) or _FakeRun())
    elf = tmp_path / "kernel.elf"
    elf.write_bytes(b"")
    tests = [KTest(n, 1, n) for n in ("a", "b", "slow", "c")]

    def order(hint):
        (tmp_path / "run-seconds.json").write_text(hint)
        lab = lab_module.Lab(str(tmp_path), "lab2-mm", True, False, "linux",
                             kernel_elf=str(elf), boot_ahead=3)
        monkeypatch.setattr(lab, "timeout", lambda multiplier=1.0: 1.0)
        started.clear()
        lab.start_ahead(tests)
        lab._ahead.clear()
        return [c.split("=")[1] for c in started]

    assert order('{"a": 0.01, "b": 0.02, "slow": 0.3, "c": 0.01}') == ["a", "slow", "b"]
    for odd in ("", "[1, 2]", '{"slow": "fast"}', "\x00\xff", '{"a": 1e999}'):
        assert order(odd) == ["a", "b", "slow"], odd
