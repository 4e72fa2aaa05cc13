#!/usr/bin/env bash
# Build what a student receives for one lab:
#   labs/mkhandout.sh LAB OUT.tar.gz
# The prebuilt framework (lib/libkeel.a, lib/keel.ld) and its public headers,
# the shared lab kernel sources, the lab's skeleton, handout and tests, the
# lab's graders, tools and docs. No framework sources, no solution.
set -euo pipefail
lab=$1 out=$2
[[ -d $lab && -f $lab/lab.mk ]] || { echo "mkhandout: no lab called '$lab'" >&2; exit 1; }
[[ -f build/framework/libkeel.a ]] || { echo "mkhandout: build the framework first (make lib)" >&2; exit 1; }

name="$lab-handout"
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
dest="$staging/$name"
mkdir -p "$dest/lib" "$dest/framework" "$dest/labs" "$dest/grading"

cp build/framework/libkeel.a build/framework/libkeel-checked.a build/framework/libkeel-linux.a \
    build/framework/keel.ld "$dest/lib/"
# make doctor boots a kernel known to be good, built here from the
# framework's sources: the calibration kernel (the framework alone).
make --no-print-directory -s kernel LAB=calibration SOLUTION=1 >/dev/null
objcopy --strip-debug build/calibration/solution/kernel.elf "$dest/lib/known-good-kernel.elf"
cp -r framework/include "$dest/framework/"
cp -r labs/include labs/calibration labs/kernel_main.c labs/ktest.c "$dest/labs/"
cp Makefile .clang-format "$dest/"
# config.mk also says which files each lab this one runs on provides (their
# lab.mk stays behind), for USE_MINE to compile a student's own copy of them.
{
    printf '# Written by make handout: this tree is the %s handout.\nLAB ?= %s\n' "$lab" "$lab"
    make --no-print-directory -s used-labs LAB="$lab"
} >"$dest/config.mk"

# The lab, minus its reference solution.
tar -C . --exclude="$lab/solution" -cf - "$lab" | tar -C "$dest" -xf -

# Other labs this kernel runs on: their reference solutions prebuilt, their
# headers as source.
for platform in pc linux; do
    make --no-print-directory -s kernel LAB="$lab" PLATFORM=$platform >/dev/null
    reference=$(make --no-print-directory -s reference-objects LAB="$lab" PLATFORM=$platform)
    # Stripped: no debug information, no local symbols, no paths of the
    # machine that built them; what links is all a student needs.
    for word in $reference; do
        stripped="$staging/$(basename "${word#*:}")"
        objcopy --strip-unneeded --remove-section=.comment "${word#*:}" "$stripped"
        ar rcsD "$dest/lib/libref-$platform-$lab-${word%%:*}.a" "$stripped"
        rm -f "$stripped"
    done
done

# Fingerprints of this lab's own reference, as the later labs' handouts ship
# it: the graders refuse a submission that contains it (hashes only, no code).
make --no-print-directory -s fingerprints LAB="$lab" >/dev/null
mkdir -p "$dest/grading/fingerprints"
cp "build/fingerprints/$lab.json" "$dest/grading/fingerprints/"
if [[ -n $reference ]]; then
    for header in lab*/lab[0-9].h; do
        [[ $header == "$lab"/* ]] && continue
        mkdir -p "$dest/$(dirname "$header")"
        cp "$header" "$dest/$header"
    done
fi

# Graders: the library and this lab's grader file only.
lab_tests="test_${lab//-/_}.py"
(cd grading && tar --exclude='__pycache__' --exclude='results' --exclude='selftest' \
    --exclude='test_*.py' -cf - .) | tar -C "$dest/grading" -xf -
cp "grading/$lab_tests" "$dest/grading/"

# Tools and docs.
tar --exclude='__pycache__' -cf - tools docs | tar -C "$dest" -xf -

cat >"$dest/README.md" <<README
# Keel: $lab

This is your copy of the $lab lab. Start with \`$lab/README.md\`.

    make qemu          # build your kernel and boot it in QEMU (serial console in this terminal)
    make grade         # run the graders on your code
    make qemu-gdb      # boot and wait for the debugger; then \`make gdb\` in another terminal
    make doctor        # check that this machine has everything Keel needs

The framework comes prebuilt in \`lib/libkeel.a\`; its API is documented in
\`framework/include/keel/*.h\`.
README

# Fail loudly if anything secret slipped in.
if find "$dest" -path '*/solution*' -o -path "$dest/framework/core*" -o -path "$dest/framework/arch*" \
    -o -path "$dest/framework/platform*" | grep -q .; then
    echo "mkhandout: solution or framework sources in the handout; refusing" >&2
    exit 1
fi
mkdir -p "$(dirname "$out")"
tar -C "$staging" -czf "$out" "$name"
echo "wrote $out"
