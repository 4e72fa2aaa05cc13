#!/usr/bin/env bash
# make run: boot the complete kernel with a host program as its first process.
#   run-program.sh KERNEL_DIR PROGRAM "ARGUMENTS"
# Prints the program's output and exits with its exit status (128 + signal
# when the kernel killed it), like running it on Linux. A KERNEL_DIR built
# for the Linux platform (…-linux) runs the kernel as a process, else QEMU.
set -uo pipefail
kernel_dir=$1 program=$2 arguments=${3:-}
if [[ ! -f $program ]]; then
    echo "make run: no such file '$program' (PROG=/path/to/a/static/x86_64/program)" >&2
    exit 2
fi
if ! file "$program" 2>/dev/null | grep -q 'ELF 64-bit.*x86-64.*statically linked'; then
    echo "make run: '$program' is not a static x86_64 ELF program (build it with musl-gcc -static)" >&2
    exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
name=$(basename "$program")
: >"$work/run.args"
for argument in $arguments; do printf '%s\n' "$argument" >>"$work/run.args"; done
# The program first: it wins over a bundled one of the same name.
entries=("$name=$program" "run.args=$work/run.args")
for binary in "$kernel_dir"/programs/*; do entries+=("$(basename "$binary")=$binary"); done
python3 "$(dirname "$0")/mkprograms.py" "$work/programs.cpio" "${entries[@]}" || exit 2
boot() {
    if [[ $kernel_dir == *-linux ]]; then
        "$kernel_dir/kernel.elf" --initrd="$work/programs.cpio" "keel.run=$name" keel.nonce=run 2>&1
    else
        # The Makefile's machine (make exports KEEL_QEMU; run alone, ask it).
        # shellcheck disable=SC2086
        ${KEEL_QEMU:-$(make --no-print-directory -s -C "$(dirname "$0")/.." qemu-args)} \
            -display none -nodefaults -serial stdio \
            -kernel "$kernel_dir/kernel.elf" -initrd "$work/programs.cpio" \
            -append "keel.run=$name keel.nonce=run"
    fi
}
# The kernel's status travels in its EXIT line (QEMU's own exit code keeps
# only 7 bits of it); that line is not shown.
boot </dev/null | tr -d '\r' |
    {
        blank=0 # a frame comes after a newline of its own: hold blank lines back
        while IFS= read -r line || [[ -n $line ]]; do
            case $line in
            @@keel:run:EXIT:*) echo "${line#@@keel:run:EXIT:}" >"$work/status"; blank=0 ;;
            @@keel:run:*) blank=0 ;;
            "") blank=$((blank + 1)) ;;
            *)
                for ((; blank > 0; blank--)); do echo; done
                printf '%s\n' "$line"
                ;;
            esac
        done
    }
code=${PIPESTATUS[0]}
if [[ -s $work/status ]]; then
    status=$(cat "$work/status")
    # make turns any failing command into its own exit code 2: say it here.
    (( status != 0 )) && [[ -n ${MAKELEVEL:-} ]] && echo "[$name exited with status $status]" >&2
    exit $(( status > 255 ? 255 : status ))
fi
echo "make run: the kernel did not power off normally (exit code $code)" >&2
exit 125
