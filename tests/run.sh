#!/bin/sh
# Runs every test program given as arguments, then every tests/test-*.sh
# script once per litmine binary in $LITMINE_BINS (default $LITMINE_BIN),
# then every fuzzer in $FUZZ_BINS for $FUZZ_SECONDS, and adds up the
# "# NAME: N passed, N failed, N skipped" line each prints.  A program that
# crashes or exits non-zero without such a line counts as one failure.  The
# last line is the total, in the form CI reads:
#     N passed, N failed, N skipped
set -u
cd "$(dirname "$0")/.." || exit 2

passed=0 failed=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run_one() {
    name=$1; shift
    start=$(date +%s)
    "$@" >"$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    summary=$(grep -E '^# .*: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1)
    if [ -z "$summary" ]; then
        echo "FAIL $name: exited $rc without a summary line"
        tail -n 40 "$log"
        failed=$((failed + 1))
        return
    fi
    p=$(echo "$summary" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
    f=$(echo "$summary" | sed -E 's/.* ([0-9]+) failed.*/\1/')
    s=$(echo "$summary" | sed -E 's/.* ([0-9]+) skipped$/\1/')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1   # crashed or sanitizer report after its summary
    fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    if [ "$f" -ne 0 ]; then
        echo "FAIL $name ($p passed, $f failed, $s skipped, ${secs}s):"
        grep -E 'FAIL|ERROR|Sanitizer|runtime error|skip' "$log" | head -n 60
    else
        echo "ok   $name ($p passed, $s skipped, ${secs}s)"
        [ "$s" -ne 0 ] && grep -E '^  skip' "$log" | sort -u | head -n 5
    fi
}

# The build a program or binary comes from, for the report.
flavour() {
    case $1 in
        */tsan/*) echo " (tsan)" ;;
        */clang/*|*-clang) echo " (clang)" ;;
    esac
}

for bin in "$@"; do
    run_one "$(basename "$bin")$(flavour "$bin")" "$bin"
done
for lm in ${LITMINE_BINS:-${LITMINE_BIN:-./litmine}}; do
    LITMINE_BIN=$lm
    export LITMINE_BIN
    for script in tests/test-*.sh; do
        [ -e "$script" ] || continue
        run_one "$(basename "$script")$(flavour "$lm")" sh "$script"
    done
done
for fz in ${FUZZ_BINS:-}; do
    run_one "$(basename "$fz") (${FUZZ_SECONDS:-20} s)" sh tests/fuzz/run-one.sh "$fz" "${FUZZ_SECONDS:-20}"
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
