#!/usr/bin/env bash
# Make a bootable GRUB ISO for a Keel kernel.
#   mkiso.sh KERNEL.elf OUT.iso "KERNEL COMMAND LINE" [NAME=FILE ...]
# Each NAME=FILE becomes a boot module (GRUB module2) whose command line is
# NAME. The image is rebuilt only when an input or the command line changed.
set -euo pipefail
kernel=$1 out=$2 cmdline=${3:-}
shift $(($# < 3 ? $# : 3))
modules=("$@")
stamp="$out.cmdline"
fresh=yes
for input in "$kernel" "${modules[@]#*=}"; do
    [[ -f $out && $out -nt $input ]] || fresh=no
done
if [[ $fresh == yes && -f $stamp && "$(cat "$stamp")" == "$cmdline ${modules[*]}" ]]; then
    exit 0
fi
staging=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$staging" "$log"' EXIT
mkdir -p "$staging/boot/grub"
cp "$kernel" "$staging/boot/kernel.elf"
module_lines=""
for module in "${modules[@]}"; do
    name=${module%%=*} file=${module#*=}
    cp "$file" "$staging/boot/$name"
    module_lines+="    module2 /boot/$name $name"$'\n'
done
cat >"$staging/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
menuentry "Keel" {
    multiboot2 /boot/kernel.elf $cmdline
$module_lines    boot
}
CFG
if ! grub-mkrescue -o "$out.tmp" "$staging" >"$log" 2>&1; then
    cat "$log" >&2
    echo "mkiso.sh: grub-mkrescue failed (are grub-pc-bin, xorriso and mtools installed? try: make deps)" >&2
    exit 1
fi
mv "$out.tmp" "$out"
printf '%s' "$cmdline ${modules[*]}" >"$stamp"
