#!/usr/bin/env bash
# Make a bootable GRUB ISO for a Keel kernel.
#   mkiso.sh KERNEL.elf OUT.iso "KERNEL COMMAND LINE"
# The image is rebuilt only when the kernel or the command line changed.
set -euo pipefail
kernel=$1 out=$2 cmdline=${3:-}
stamp="$out.cmdline"
if [[ -f $out && $out -nt $kernel && -f $stamp && "$(cat "$stamp")" == "$cmdline" ]]; then
    exit 0
fi
staging=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$staging" "$log"' EXIT
mkdir -p "$staging/boot/grub"
cp "$kernel" "$staging/boot/kernel.elf"
cat >"$staging/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
menuentry "Keel" {
    multiboot2 /boot/kernel.elf $cmdline
    boot
}
CFG
if ! grub-mkrescue -o "$out.tmp" "$staging" >"$log" 2>&1; then
    cat "$log" >&2
    echo "mkiso.sh: grub-mkrescue failed (are grub-pc-bin, xorriso and mtools installed? try: make deps)" >&2
    exit 1
fi
mv "$out.tmp" "$out"
printf '%s' "$cmdline" >"$stamp"
