#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image
# (in /autograder/source): install what Keel's graders need (Debian or Ubuntu
# packages), then unpack the lab's handout and build what every submission's
# build starts from. See README.md next to it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/config.env"

missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need make make
need gcc gcc
need ld binutils
need musl-gcc musl-tools
need bwrap bubblewrap
need qemu-system-x86_64 qemu-system-x86
need /usr/bin/python3 python3
/usr/bin/python3 -c 'import pytest' 2>/dev/null || missing+=(python3-pytest)
/usr/bin/python3 -c 'import xdist' 2>/dev/null || missing+=(python3-pytest-xdist)
if ((${#missing[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

rm -rf "$here/pristine" "$here/$LAB-handout"
tar -xzf "$here/$LAB-handout.tar.gz" -C "$here"
mv "$here/$LAB-handout" "$here/pristine"
cd "$here/pristine"
KEEL_SANDBOX=$KEEL_SANDBOX PYTHONPATH="$here/pristine/grading" /usr/bin/python3 -m keelgrade.submission \
    pristine --pristine "$here/pristine" --lab "$LAB" --platform "$PLATFORM"
