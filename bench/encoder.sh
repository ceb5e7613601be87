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
#
# On CPUs with AVX512_BF16 the same rounds also run litmine's precision
# bf16 and PyTorch under bf16 autocast, with ratios against PyTorch f32
# and PyTorch bf16, and one accuracy line per shape (bf16 against f32 on
# the same batch: hidden states and mean-pooled vectors).
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${BENCH_ROUNDS:-3}
TIMES=$(mktemp -d)
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
wall() { sed -E 's/.*: +([0-9.]+) tokens\/s.*/\1/'; }
percpu() { sed -E 's/.*tokens\/s, +([0-9.]+) per CPU-s.*/\1/'; }
trap 'rm -rf "$TIMES"' EXIT
echo "encoder (load average before: $(uptime | sed 's/.*load average: //')):"
ENC=build/rel/bench/bench-encoder
ESECS=${BENCH_ENC_SECONDS:-5}
if [ -x "$ENC" ]; then
    have_torch=0
    /usr/bin/python3 -c 'import torch' >/dev/null 2>&1 && have_torch=1
    [ "$have_torch" -eq 1 ] || echo "  PyTorch: /usr/bin/python3 has no torch (apt-get install python3-torch) - litmine only"
    have_bf16=0
    grep -qw avx512_bf16 /proc/cpuinfo 2>/dev/null && have_bf16=1
    [ "$have_bf16" -eq 1 ] || echo "  bf16: this CPU has no AVX512_BF16 - f32 only"
    torch_run() {   # torch_run SHAPE BATCH SEQ THREADS [--bf16]
        OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=$4 OPENBLAS_NUM_THREADS=$4 \
            /usr/bin/python3 bench/torch-encoder.py --shape "$1" --batch "$2" --seq "$3" \
            --threads "$4" --seconds "$ESECS" ${5:-}
    }
    for cfg in "bert-base 8 128" "bert-base 2 512" "minilm-l6 8 128"; do
        set -- $cfg
        for threads in 1 2; do
            rm -f "$TIMES"/enc_*
            round=0
            while [ "$round" -lt "$ROUNDS" ]; do
                round=$((round + 1))
                line=$($ENC --shape "$1" --batch "$2" --seq "$3" --threads "$threads" --seconds "$ESECS")
                echo "$line" >>"$TIMES/enc_line"
                echo "$line" | wall >>"$TIMES/enc_l"
                echo "$line" | percpu >>"$TIMES/enc_lc"
                if [ "$have_torch" -eq 1 ]; then
                    tline=$(torch_run "$1" "$2" "$3" "$threads")
                    echo "$tline" | wall >>"$TIMES/enc_t"
                    echo "$tline" | percpu >>"$TIMES/enc_tc"
                fi
                if [ "$have_bf16" -eq 1 ]; then
                    line=$($ENC --shape "$1" --batch "$2" --seq "$3" --threads "$threads" --seconds "$ESECS" --precision bf16)
                    echo "$line" >>"$TIMES/enc_bline"
                    echo "$line" | wall >>"$TIMES/enc_b"
                    echo "$line" | percpu >>"$TIMES/enc_bc"
                    if [ "$have_torch" -eq 1 ]; then
                        tline=$(torch_run "$1" "$2" "$3" "$threads" --bf16)
                        echo "$tline" >>"$TIMES/enc_tbline"
                        echo "$tline" | wall >>"$TIMES/enc_tb"
                        echo "$tline" | percpu >>"$TIMES/enc_tbc"
                    fi
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
            if [ -s "$TIMES/enc_b" ]; then
                bm=$(median "$TIMES/enc_b")
                grep -F " $bm tokens/s" "$TIMES/enc_bline" | head -n 1 | sed 's/^/  /'
                bc=$(median "$TIMES/enc_bc")
                if [ -s "$TIMES/enc_t" ]; then
                    awk -v a="$bm" -v b="$tm" -v ac="$bc" -v bc="$tc" -v r="$ROUNDS" 'BEGIN {
                        printf "  -> litmine bf16 %.2fx PyTorch f32, %.2fx per CPU-s (medians of %d)\n", a / b, ac / bc, r }'
                fi
                if [ -s "$TIMES/enc_tb" ]; then
                    tbm=$(median "$TIMES/enc_tb")
                    tbc=$(median "$TIMES/enc_tbc")
                    note=$(head -n 1 "$TIMES/enc_tbline" | sed -E 's/.*(bf16 autocast: [^)]*).*/\1/')
                    awk -v a="$bm" -v b="$tbm" -v ac="$bc" -v bc="$tbc" -v s="$1" -v c="$2x$3" -v n="$threads" -v r="$ROUNDS" -v note="$note" 'BEGIN {
                        printf "  torch   %-9s batch %s, %d thread%s, bf16 autocast: %8.1f tokens/s, %8.1f per CPU-s (%s) -> litmine bf16 %.2fx, %.2fx per CPU-s (medians of %d)\n",
                            s, c, n, (n > 1 ? "s" : ""), b, bc, note, a / b, ac / bc, r }'
                fi
            fi
        done
        $ENC --shape "$1" --batch "$2" --seq "$3" --threads 2 --mode blas --seconds "$ESECS" | sed 's/^/  /'
        if [ "$have_bf16" -eq 1 ]; then
            $ENC --shape "$1" --batch "$2" --seq "$3" --accuracy | sed 's/^/  /'
        fi
    done
    echo "  load average after: $(uptime | sed 's/.*load average: //')"
fi
