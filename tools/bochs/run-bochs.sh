#!/usr/bin/env bash
# Run a Keel ISO under Bochs without a window.
#   run-bochs.sh ISO WORKDIR [interactive|batch|debug]
# interactive  the kernel's serial port is this terminal (type into the monitor);
#              Bochs's own text screen goes to WORKDIR/screen.log
# batch        serial to WORKDIR/serial.log, nothing read; for tests
# debug        Bochs's debugger prompt on this terminal, magic breakpoint on;
#              serial to WORKDIR/serial.log
# Debian builds Bochs with its debugger, which would stop at the first
# instruction: a command file holding "c" (continue) starts the machine.
set -euo pipefail
iso=$(realpath "$1") work=$2 mode=${3:-interactive}
here=$(dirname "$(realpath "$0")")
# Nothing outlives this script: script(1) gets SIGTERM when this shell ends
# (by a timeout, SIGTERM, SIGHUP, a closed pipe or SIGKILL), and Bochs, which
# script starts in a session of its own where no terminal signal reaches it,
# gets SIGKILL when script ends (PR_SET_PDEATHSIG, via setpriv). Not SIGTERM:
# Bochs's signal handlers log (its term display's for SIGHUP panics with
# "Received SIGHUP: quit simulation") and its log takes a lock; a signal that
# comes while the lock is held (a log line being written, or the handler of
# another signal: a dying script hangs up Bochs's terminal as the SIGTERM
# comes) deadlocks Bochs with both signals blocked, and only SIGKILL ends it.
# tools/guard, which make runs this under, ends whatever is left (script
# waiting for a deadlocked Bochs) after a grace period.
die_with_parent= kill_with_parent=
if command -v setpriv >/dev/null; then
    die_with_parent="setpriv --pdeathsig TERM" kill_with_parent="setpriv --pdeathsig KILL"
fi
mkdir -p "$work"
work=$(realpath "$work")
serial="mode=file, dev=$work/serial.log"
magic=0
case $mode in
interactive)
    tty=$(tty) || { echo "run-bochs.sh: interactive mode needs a terminal; use batch" >&2; exit 2; }
    serial="mode=term, dev=$tty" ;;
debug) magic=1 ;;
esac
sed -e "s|@ISO@|$iso|" -e "s|@SERIAL@|$serial|" -e "s|@LOG@|$work/bochs.log|" \
    -e "s|@DISPLAY@|term|" -e "s|@MAGIC@|$magic|" "$here/bochsrc.in" >"$work/bochsrc"
echo c >"$work/continue.rc"

case $mode in
interactive)
    echo "Booting $iso in Bochs; the serial console is this terminal. Bochs exits when the kernel powers off (or press Ctrl-C)."
    # Bochs's term display needs a terminal of its own: script gives it one
    # (its screen goes to a file); stdin stays free for the serial port.
    $die_with_parent script -qfec "$kill_with_parent bochs -q -f $work/bochsrc -rc $work/continue.rc" \
        "$work/screen.log" \
        </dev/null >/dev/null || true ;;
batch)
    $die_with_parent script -qfec "$kill_with_parent bochs -q -f $work/bochsrc -rc $work/continue.rc" \
        /dev/null \
        </dev/null >"$work/screen.log" 2>&1 || true
    cat "$work/serial.log" ;;
debug)
    echo "Bochs debugger: 'c' continues, 'lb ADDR' sets a breakpoint, 'r' shows registers,"
    echo "'x /4gx ADDR' reads memory, 'q' quits. Serial output: $work/serial.log"
    # No screen at all (a VNC display nobody waits for), so the debugger
    # prompt has the terminal to itself.
    sed -i 's|^display_library:.*|display_library: rfb, options="timeout=0"|' "$work/bochsrc"
    $kill_with_parent bochs -q -f "$work/bochsrc" || true ;;
esac
