"""Broken variants of lab 1's challenge part (trace_call and the monitor's
trace command), in the BROKEN format of __init__.py."""

BROKEN = {
    "trace_counts_its_own_call": (
        # Counting from the moment TF is set: trace_call's own call is counted.
        "lab1-boot", "trace.c", "        if (frame->rip != entry_rip)\n            return true;\n", "",
        "trace_counts_a_loop", ["trace_call counted", "none of trace_call's own"]),
    "trace_stops_when_rsp_moves": (
        # "Back in the caller" taken as "rsp changed": the first push ends the trace.
        "lab1-boot", "trace.c", "} else if (frame->rsp > entry_rsp) {",
        "} else if (frame->rsp != entry_rsp) {",
        "trace_follows_calls", ["trace_demo_calls(4): trace_call counted 1 instructions",
                                "of those it calls"]),
    "trace_handler_not_put_back": (
        # The old handler is forgotten: the trace's own stays installed.
        "lab1-boot", "trace.c", "    trap_set_handler(TRAP_DEBUG, saved);", "    (void)saved;",
        "trace_counts_a_loop", ["did not put back the TRAP_DEBUG handler"]),
}
