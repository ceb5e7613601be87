#!/bin/sh
# Where a forward pass spends its CPU time, litmine against PyTorch, for
# bench/README.md's "What is physically possible" (not run by make bench;
# needs perf, /usr/bin/python3 with python3-torch, and
# `make build/rel/bench/bench-encoder`):
#
#   sh bench/encoder-profile.sh [SHAPE BATCH SEQ]    (default bert-base 8 128)
#
# Each program runs its steady-state loop at 1 thread; perf samples it on
# the CPU clock for PROFILE_SECONDS (default 12) once it is warm, so model
# loading and PyTorch's start-up are left out.  Prints, per program, the
# share of samples in OpenBLAS's sgemm (kernel, packing, beta), in the
# OS kernel, and everything else with its largest symbols.  Shares of CPU
# samples do not depend on how much of a core the program got.
set -eu
cd "$(dirname "$0")/.."
SHAPE=${1:-bert-base}
BATCH=${2:-8}
SEQ=${3:-128}
SECS=${PROFILE_SECONDS:-12}
ENC=build/rel/bench/bench-encoder
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
command -v perf >/dev/null || { echo "encoder-profile: perf is not installed" >&2; exit 1; }
[ -x "$ENC" ] || { echo "encoder-profile: build $ENC first" >&2; exit 1; }

# sample PID after WARM seconds, into FILE
sample() {
    sleep "$2"
    perf record -q -e cpu-clock -F 499 -o "$3" -p "$1" -- sleep "$SECS" >/dev/null 2>&1
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

"$ENC" --shape "$SHAPE" --batch "$BATCH" --seq "$SEQ" --threads 1 \
    --seconds $((SECS + 30)) >/dev/null &
sample $! 4 "$OUT/litmine.data"
OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
    /usr/bin/python3 bench/torch-encoder.py --shape "$SHAPE" --batch "$BATCH" --seq "$SEQ" \
    --threads 1 --seconds $((SECS + 60)) >/dev/null &
sample $! 12 "$OUT/torch.data"

echo "CPU-time profile, $SHAPE batch ${BATCH}x$SEQ, 1 thread (load average: $(uptime | sed 's/.*load average: //')):"
for prog in litmine torch; do
    perf report -i "$OUT/$prog.data" --no-children --sort dso,symbol --stdio 2>/dev/null |
        grep '%' >"$OUT/$prog.txt"
    awk -v p="$prog" '
        { pct = $1 + 0 }
        /sgemm_kernel|sgemm_small_kernel/ { k += pct; next }
        /sgemm_.*copy/ { c += pct; next }
        /sgemm_beta/ { b += pct; next }
        /kernel\.kallsyms/ { os += pct; next }
        { rest += pct }
        END { printf "  %-8s OpenBLAS sgemm %5.1f%% (kernel %.1f, packing %.1f, beta %.1f); OS %4.1f%%; everything else %4.1f%%\n",
                p, k + c + b, k, c, b, os, rest }' "$OUT/$prog.txt"
    grep -v -E 'sgemm_|kernel\.kallsyms' "$OUT/$prog.txt" | head -n 5 |
        awk '{ printf "             %s %s %s\n", $1, $2, $4 }'
done
