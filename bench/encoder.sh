#!/bin/sh
# The encoder section of `make bench` (also runs alone: sh bench/encoder.sh
# after `make build/rel/bench/bench-encoder`).  Prints, asserts nothing.
#
# BERT-base (12 x 768) and MiniLM-L6 (6 x 384) shapes with random weights,
# batches of B sequences of L tokens (8 x 128 and 2 x 512), at 1 and 2
# threads, litmine and PyTorch taking turns in BENCH_ROUNDS rounds; the
# median of each is printed with the ratio.  litmine's 2 threads are two
# workers with single-threaded OpenBLAS (how the pipeline runs it; the
# "OpenBLAS threads" line is one worker with 2 BLAS threads); PyTorch gets
# torch.set_num_threads(N) with OMP_NUM_THREADS=N OPENBLAS_NUM_THREADS=N and
# OMP_WAIT_POLICY=PASSIVE.  Needs /usr/bin/python3 with python3-torch for
# the comparison.  Two ratios are printed: tokens per wall-clock second,
# and tokens per CPU second (scaled to N threads); on a host shared with
# other jobs the second does not depend on who got a core when.
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${BENCH_ROUNDS:-3}
TIMES=$(mktemp -d)
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
trap 'rm -rf "$TIMES"' EXIT
echo "encoder (load average before: $(uptime | sed 's/.*load average: //')):"
ENC=build/rel/bench/bench-encoder
ESECS=${BENCH_ENC_SECONDS:-5}
if [ -x "$ENC" ]; then
    have_torch=0
    /usr/bin/python3 -c 'import torch' >/dev/null 2>&1 && have_torch=1
    [ "$have_torch" -eq 1 ] || echo "  PyTorch: /usr/bin/python3 has no torch (apt-get install python3-torch) - litmine only"
    for cfg in "bert-base 8 128" "bert-base 2 512" "minilm-l6 8 128"; do
        set -- $cfg
        for threads in 1 2; do
            rm -f "$TIMES/enc_l" "$TIMES/enc_t" "$TIMES/enc_lc" "$TIMES/enc_tc" "$TIMES/enc_line"
            round=0
            while [ "$round" -lt "$ROUNDS" ]; do
                round=$((round + 1))
                line=$($ENC --shape "$1" --batch "$2" --seq "$3" --threads "$threads" --seconds "$ESECS")
                echo "$line" >>"$TIMES/enc_line"
                echo "$line" | sed -E 's/.*: +([0-9.]+) tokens\/s.*/\1/' >>"$TIMES/enc_l"
                echo "$line" | sed -E 's/.*tokens\/s, +([0-9.]+) per CPU-s.*/\1/' >>"$TIMES/enc_lc"
                if [ "$have_torch" -eq 1 ]; then
                    tline=$(OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads \
                        /usr/bin/python3 bench/torch-encoder.py --shape "$1" --batch "$2" --seq "$3" \
                        --threads "$threads" --seconds "$ESECS")
                    echo "$tline" | sed -E 's/.*: +([0-9.]+) tokens\/s.*/\1/' >>"$TIMES/enc_t"
                    echo "$tline" | sed -E 's/.*tokens\/s, +([0-9.]+) per CPU-s.*/\1/' >>"$TIMES/enc_tc"
                fi
            done
            lm=$(median "$TIMES/enc_l")
            # the litmine line of the median run, for its GEMM figures
            grep -F " $lm tokens/s" "$TIMES/enc_line" | head -n 1 | sed 's/^/  /'
            if [ -s "$TIMES/enc_t" ]; then
                tm=$(median "$TIMES/enc_t")
                lc=$(median "$TIMES/enc_lc")
                tc=$(median "$TIMES/enc_tc")
                awk -v a="$lm" -v b="$tm" -v ac="$lc" -v bc="$tc" -v s="$1" -v c="$2x$3" -v n="$threads" -v r="$ROUNDS" 'BEGIN {
                    printf "  torch   %-9s batch %s, %d thread%s: %8.1f tokens/s, %8.1f per CPU-s -> litmine %.2fx PyTorch, %.2fx per CPU-s (medians of %d)\n",
                        s, c, n, (n > 1 ? "s" : ""), b, bc, a / b, ac / bc, r }'
            fi
        done
        $ENC --shape "$1" --batch "$2" --seq "$3" --threads 2 --mode blas --seconds "$ESECS" | sed 's/^/  /'
    done
    echo "  load average after: $(uptime | sed 's/.*load average: //')"
fi
