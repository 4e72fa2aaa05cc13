/* The grader protocol: framed lines on the early serial console that tell a
 * test harness what happened, so it never has to guess from free text.
 *
 * Each frame is one line: "@@keel:NONCE:KIND:TEXT", where NONCE comes from
 * keel.nonce= on the command line so a harness can tell frames of this run
 * from text that merely looks like one. Without keel.nonce= no frames are
 * written (nobody is grading), so a student's console stays readable. The
 * KINDs, and who writes them:
 *   READY loader          the framework is up (framework)
 *   TEST name file:line   one per test in the kernel, for keel.test=list
 *   BEGIN name            a test starts (the test runner, labs/ktest.c)
 *   EXPECT text           the harness must see `text` in the output (a test)
 *   ANSWER text           a result the harness checks on the host (a test)
 *   BENCH name value unit a benchmark's figure (a test)
 *   PASS name             the test passed (the test runner)
 *   FAIL name reason      the test failed, or a requested name is unknown
 *   DONE passed failed    the counts, after the last test (the test runner)
 *   PANIC message         a panic or a bug Keel caught (framework)
 *   EXCEPTION description an exception nobody handled (framework)
 *   EXIT status           the last frame before power-off (framework)
 * The order they must come in is checked by grading/keelgrade/integrity.py. */
#ifndef KEEL_PROTOCOL_H
#define KEEL_PROTOCOL_H

#include <keel/types.h>

/* Write one frame of `kind` whose text is formatted from `fmt`. Newlines in the
 * text are replaced by spaces so a frame stays one line. Any context. */
void protocol_emit(const char *kind, const char *fmt, ...) KEEL_PRINTF(2, 3);

#endif
