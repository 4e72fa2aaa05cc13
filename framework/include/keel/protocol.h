/* The grader protocol: framed lines on the early serial console that tell a
 * test harness what happened, so it never has to guess from free text.
 *
 * Each frame is one line: "@@keel:NONCE:KIND:TEXT", where NONCE comes from
 * keel.nonce= on the command line so a harness can tell frames
 * of this run from text that merely looks like one. KINDs: READY (framework up),
 * BEGIN name, PASS name, FAIL name reason, EXPECT text (the harness must see
 * text in the output), PANIC message, EXCEPTION description, DONE passed failed,
 * EXIT status. Without keel.nonce= on the command line no frames are written
 * (nobody is grading), so a student's console stays readable. */
#ifndef KEEL_PROTOCOL_H
#define KEEL_PROTOCOL_H

#include <keel/types.h>

/* Write one frame of `kind` whose text is formatted from `fmt`. Newlines in the
 * text are replaced by spaces so a frame stays one line. Any context. */
void protocol_emit(const char *kind, const char *fmt, ...) KEEL_PRINTF(2, 3);

#endif
