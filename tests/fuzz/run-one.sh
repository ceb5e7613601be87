#!/bin/sh
# Runs one libFuzzer harness for a set time, for `make fuzz` (FUZZ_SECONDS)
# and `make check` (CHECK_FUZZ_SECONDS):
#     tests/fuzz/run-one.sh build/fuzz/fuzz-NAME SECONDS
# Inputs come from the committed seeds (tests/fuzz/corpus/NAME and the
# test fixtures that fit) and from build/fuzz/corpus/NAME, where libFuzzer
# keeps what it found new, so successive runs go deeper; that folder is
# never committed.  A crash, leak, UBSan report, timeout (10 s per input) or
# an input needing over 2 GB fails the run; the input is saved as
# build/fuzz/crashes/NAME-<kind>-<hash> for the regression test that
# should follow.  Prints the "# NAME: ..." summary line tests/run.sh adds.
set -u
bin=$1
secs=$2
cd "$(dirname "$0")/../.." || exit 2
name=$(basename "$bin")
target=${name#fuzz-}
work=build/fuzz/corpus/$target
mkdir -p "$work" build/fuzz/crashes
seeds=tests/fuzz/corpus/$target
dict=""
case $target in
    pubmed|efetch) seeds="$seeds tests/fixtures/pubmed tests/fixtures/cli tests/fixtures/eutils"
                   dict=-dict=tests/fuzz/xml.dict ;;
    esearch) seeds="$seeds tests/fixtures/eutils"; dict=-dict=tests/fuzz/xml.dict ;;
esac
log=build/fuzz/$name.log
# shellcheck disable=SC2086
ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="build/fuzz/crashes/$name-" $dict "$work" $seeds >"$log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
units=$(ls "$work" | wc -l)
if [ "$rc" -eq 0 ]; then
    echo "  $name: ${execs:-?} inputs in $secs s, $units in its corpus"
    echo "# $name: 1 passed, 0 failed, 0 skipped"
else
    grep -E 'ERROR|runtime error|invariant failed|SUMMARY|Test unit written|==[0-9]+==' "$log" | head -n 30
    echo "FAIL $name: exit $rc after ${execs:-?} inputs; log: $log"
    echo "# $name: 0 passed, 1 failed, 0 skipped"
fi
[ "$rc" -eq 0 ]
