#!/usr/bin/env bash
# Run a static program as init's only job in a Linux guest, under the same
# QEMU machine as Keel (the Makefile's QEMU_MACHINE), and print its output.
#   linux-guest.sh PROGRAM
# Needs Debian's linux-image-amd64 and busybox-static.
set -euo pipefail
program=$1
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
[[ -n $kernel && -r $kernel ]] || { echo "linux-guest.sh: no readable /boot/vmlinuz-* (apt-get install linux-image-amd64)" >&2; exit 2; }
busybox=$(command -v busybox) || { echo "linux-guest.sh: no busybox (apt-get install busybox-static)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/init" <<'INIT'
#!/busybox sh
/busybox mount -t proc proc /proc 2>/dev/null
/program
/busybox poweroff -f
INIT
chmod +x "$work/init"
cp "$busybox" "$work/busybox"
cp "$program" "$work/program"
chmod +x "$work/busybox" "$work/program"
python3 "$(dirname "$0")/../mkprograms.py" "$work/initramfs.cpio" --keep-mode \
    init="$work/init" busybox="$work/busybox" program="$work/program"
# tools/guard: no QEMU outlives make bench.
# shellcheck disable=SC2086
"$(dirname "$0")/../guard" timeout 300 ${KEEL_QEMU:-$(make --no-print-directory -s -C "$(dirname "$0")/../.." qemu-args)} \
    -display none -nodefaults -serial stdio -kernel "$kernel" -initrd "$work/initramfs.cpio" \
    -append "console=ttyS0 quiet panic=-1" </dev/null | tr -d '\r'
