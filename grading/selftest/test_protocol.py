"""The protocol parser and the verdict logic, on made-up transcripts."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keelgrade.protocol import parse  # noqa: E402
from keelgrade.verdict import (EXCEPTION, FAIL, HANG, MISSING_OUTPUT, NOT_FOUND, PANIC, PASS,  # noqa: E402
                               TRIPLE_FAULT, judge_test)


class FakeMachine:
    def __init__(self, timed_out=False, hang_report="", reset=""):
        self.timed_out, self.hang_report, self._reset = timed_out, hang_report, reset
        self.elapsed = 8.0

    def reset_report(self):
        return self._reset


def transcript(*lines, nonce="n1"):
    return parse("\r\n".join(lines).encode(), nonce)


def test_frames_need_the_nonce():
    t = transcript("@@keel:n1:READY:x", "@@keel:other:PASS:t1", "hello", "@@keel:n1:DONE:0 0")
    assert t.ready and t.done == (0, 0)
    assert t.forged == 1
    assert t.result_of("t1") is None
    assert "hello" in t.free_text()


def test_pass_and_fail_results():
    t = transcript("@@keel:n1:READY:x", "@@keel:n1:BEGIN:a", "@@keel:n1:PASS:a",
                   "@@keel:n1:FAIL:b file.c:3: wrong value", "@@keel:n1:DONE:1 1",
                   "@@keel:n1:EXIT:1")
    assert t.result_of("a") == ("pass", None)
    assert t.result_of("b") == ("fail", "file.c:3: wrong value")
    assert judge_test(FakeMachine(), t, "a").kind == PASS
    verdict = judge_test(FakeMachine(), t, "b")
    assert verdict.kind == FAIL and "wrong value" in verdict.message


def test_forged_pass_is_not_a_pass():
    t = transcript("@@keel:n1:READY:x", "@@keel:n1:BEGIN:a", "@@keel:forged:PASS:a",
                   "@@keel:n1:EXIT:0")
    assert judge_test(FakeMachine(), t, "a").kind != PASS


def test_panic_verdict_carries_the_report():
    t = transcript("@@keel:n1:READY:x", "@@keel:n1:BEGIN:a", "*** KERNEL PANIC: boom",
                   "    at x.c:3", "  #1 0xffff f+0x1 (x.c:3)", "@@keel:n1:PANIC:boom (at x.c:3)",
                   "@@keel:n1:EXIT:2")
    verdict = judge_test(FakeMachine(), t, "a")
    assert verdict.kind == PANIC and "boom" in verdict.message
    assert "#1 0xffff f+0x1" in verdict.details and "during test 'a'" in verdict.message


def test_exception_verdict():
    t = transcript("@@keel:n1:READY:x", "*** CPU EXCEPTION 14: page fault",
                   "@@keel:n1:EXCEPTION:page fault (vector 14)", "@@keel:n1:EXIT:3")
    assert judge_test(FakeMachine(), t, "a").kind == EXCEPTION


def test_reset_without_exit_is_a_triple_fault():
    t = transcript("@@keel:n1:READY:x", "@@keel:n1:BEGIN:a")
    verdict = judge_test(FakeMachine(reset="EIP=0000fff0"), t, "a")
    assert verdict.kind == TRIPLE_FAULT and "EIP=0000fff0" in verdict.details


def test_timeout_is_a_hang_with_registers():
    t = transcript("@@keel:n1:READY:x", "@@keel:n1:BEGIN:a")
    verdict = judge_test(FakeMachine(timed_out=True, hang_report="RIP=ffffffff80101000"), t, "a")
    assert verdict.kind == HANG and "RIP=ffffffff80101000" in verdict.details


def test_expected_output_must_appear_outside_frames():
    t = transcript("@@keel:n1:READY:x", "@@keel:n1:BEGIN:a", "@@keel:n1:EXPECT:wire-123",
                   "@@keel:n1:PASS:a", "@@keel:n1:DONE:1 0", "@@keel:n1:EXIT:0")
    assert judge_test(FakeMachine(), t, "a").kind == MISSING_OUTPUT
    t = transcript("@@keel:n1:READY:x", "@@keel:n1:BEGIN:a", "wire-123",
                   "@@keel:n1:EXPECT:wire-123", "@@keel:n1:PASS:a", "@@keel:n1:DONE:1 0",
                   "@@keel:n1:EXIT:0")
    assert judge_test(FakeMachine(), t, "a").kind == PASS


def test_unknown_test():
    t = transcript("@@keel:n1:READY:x", "@@keel:n1:FAIL:nosuch no such test in this kernel",
                   "@@keel:n1:DONE:0 1", "@@keel:n1:EXIT:1")
    assert judge_test(FakeMachine(), t, "nosuch").kind == NOT_FOUND


def test_results_json(tmp_path):
    import json
    from keelgrade import results
    rows = [("a", 5, 5, True, ""), ("b", 0, 3, False, "why")]
    path = tmp_path / "r.json"
    results.write_json(str(path), rows)
    data = json.loads(path.read_text())
    assert data["score"] == 5 and data["max_score"] == 8
    assert data["tests"][1] == {"name": "b", "score": 0, "max_score": 3, "status": "failed",
                                "output": "why"}
