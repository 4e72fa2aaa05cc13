#!/usr/bin/env bash
# Install the Debian packages Keel needs, if any are missing. Idempotent and
# quick when everything is there (it only looks for commands and files).
#   install-deps.sh deps-build   compiler and binutils
#   install-deps.sh deps-boot    + QEMU and GRUB
#   install-deps.sh deps         + Bochs, gdb, pytest (everything `make test` uses)
#   install-deps.sh deps-bench   + a Linux kernel and busybox (make bench's Linux guest)
set -euo pipefail
want=${1:-deps}

missing=()
need() { # need CHECK PACKAGE: CHECK is a command name or an absolute path
    local check=$1 package=$2
    if [[ $check == /* ]]; then [[ -e $check ]] && return 0; else command -v "$check" >/dev/null 2>&1 && return 0; fi
    missing+=("$package")
}

need gcc gcc
need ld binutils
need make make
need /usr/bin/python3 python3
need musl-gcc musl-tools
need bwrap bubblewrap
if [[ $want != deps-build ]]; then
    need qemu-system-x86_64 qemu-system-x86
    need grub-mkrescue grub-common
    need /usr/lib/grub/i386-pc/multiboot2.mod grub-pc-bin
    need xorriso xorriso
    need mformat mtools
fi
if [[ $want == deps || $want == deps-bench ]]; then
    need bochs bochs
    need /usr/lib/x86_64-linux-gnu/bochs/plugins/libbx_term_gui.so bochs-term
    need /usr/share/bochs/BIOS-bochs-latest bochsbios
    need /usr/share/vgabios/vgabios.bin vgabios
    need gdb gdb
    need script bsdutils
    /usr/bin/python3 -c 'import pytest' 2>/dev/null || missing+=(python3-pytest)
    /usr/bin/python3 -c 'import xdist' 2>/dev/null || missing+=(python3-pytest-xdist)
    /usr/bin/python3 -c 'import pexpect' 2>/dev/null || missing+=(python3-pexpect)
fi

if [[ $want == deps-bench ]]; then
    compgen -G '/boot/vmlinuz-*' >/dev/null || missing+=(linux-image-amd64)
    need busybox busybox-static
fi

((${#missing[@]} == 0)) && exit 0

echo "Keel needs these Debian packages: ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo="sudo"
    else
        echo "Not root and no sudo: ask an administrator to run" >&2
        echo "  apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi
echo "Installing them with apt-get (this happens once)..." >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
