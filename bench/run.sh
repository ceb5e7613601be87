#!/bin/sh
# `make bench`: prints figures, asserts nothing.
#
# Ingest: generates a >= 200 MB PubMed XML file from the fixtures (and NLM
# bulk samples when ../shared/data is present) plus its .gz, then times
#   zcat alone, litmine ingest (plain and gz, parse + store on one core),
#   the parser alone, and NCBI EDirect's `xtract -mixed` extracting PMID,
#   title and abstract (when installed: apt-get install ncbi-entrez-direct).
# Later stages add their own sections below.
set -eu
cd "$(dirname "$0")/.."
LITMINE=./litmine
WORK=${BENCH_DIR:-/tmp/litmine-bench}
MB=${BENCH_MB:-200}
mkdir -p "$WORK"
export LITMINE_CONFIG=""

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", b / 1e6 / s }'; }

templates="tests/fixtures/cli/articles.xml"
for f in tests/fixtures/pubmed/*.xml ../shared/data/pubmed_eutils/pmparser_bulk_samples/*.xml.gz; do
    [ -e "$f" ] && templates="$templates $f"
done
XML=$WORK/bench.xml
if [ ! -s "$XML" ] || [ "$(stat -c %s "$XML")" -lt $((MB * 1000000)) ]; then
    echo "generating ${MB} MB of PubMed XML in $XML ..."
    # shellcheck disable=SC2086
    python3 scripts/gen-pubmed.py --mb "$MB" --out "$XML" $templates >/dev/null
    gzip -1 -c "$XML" >"$XML.gz"
fi
bytes=$(stat -c %s "$XML")
articles=$(grep -c '<PubmedArticle>' "$XML")
echo "input: $articles articles, $(rate "$bytes" 1) MB uncompressed, $(rate "$(stat -c %s "$XML.gz")" 1) MB gzip"
echo

# This host's speed drifts by up to 1.6x from one minute to the next, so
# each measurement runs BENCH_ROUNDS times (default 3), the tools taking
# turns within a round so that litmine and xtract see the same conditions;
# the median is printed, then the best run.
ROUNDS=${BENCH_ROUNDS:-3}
TIMES=$WORK/times
rm -rf "$TIMES"
mkdir -p "$TIMES"
timeit() {
    key=$1
    shift
    t0=$(now)
    "$@" >/dev/null
    t1=$(now)
    echo "$(elapsed "$t0" "$t1")" >>"$TIMES/$key"
}
fresh_db() { rm -f "$WORK/bench.db" "$WORK/bench.db-wal" "$WORK/bench.db-shm"; }
report() {
    [ -s "$TIMES/$1" ] || return 0
    sort -n "$TIMES/$1" | awk -v b="$bytes" -v n="$articles" -v label="$2" '
        { t[NR] = $1 }
        END {
            m = t[int((NR + 1) / 2)]
            printf "%-34s %6.2f s %6.1f MB/s %6.0f articles/s  (best %.2f s, %.1f MB/s; %d runs)\n",
                label, m, b / 1e6 / m, n / m, t[1], b / 1e6 / t[1], NR
        }'
}

# Parse + store only (--stages none).  The parser and the SQLite writer are
# separate threads; "1 core" pins both to one CPU with taskset.
ONE_CORE=""
command -v taskset >/dev/null 2>&1 && ONE_CORE="taskset -c 0"
INGEST="$LITMINE --db $WORK/bench.db ingest --stages none --no-index --batch-size 5000"
round=0
while [ "$round" -lt "$ROUNDS" ]; do
    round=$((round + 1))
    [ -x build/rel/bench/bench-pubmed ] && timeit parse build/rel/bench/bench-pubmed "$XML"
    if [ -n "$ONE_CORE" ]; then
        fresh_db; timeit plain1 $ONE_CORE $INGEST "$XML"
    fi
    fresh_db; timeit plainall $INGEST "$XML"
    timeit reingest $INGEST --force "$XML"
    if command -v xtract >/dev/null 2>&1; then
        timeit xtract xtract -mixed -input "$XML" -pattern PubmedArticle \
            -element MedlineCitation/PMID ArticleTitle AbstractText
    fi
done
# gzip input: bounded by inflating, one round is enough.
timeit zcat zcat "$XML.gz"
if [ -n "$ONE_CORE" ]; then
    fresh_db; timeit gz1 $ONE_CORE $INGEST "$XML.gz"
fi
fresh_db; timeit gzall $INGEST "$XML.gz"

report zcat "zcat alone:"
report parse "parse only (plain, 1 core):"
report plain1 "ingest $(basename "$XML") (1 core):"
report plainall "ingest $(basename "$XML") (all cores):"
report gz1 "ingest $(basename "$XML").gz (1 core):"
report gzall "ingest $(basename "$XML").gz (all cores):"
report reingest "re-ingest, all unchanged:"
if command -v xtract >/dev/null 2>&1; then
    report xtract "xtract -mixed (PMID,title,abs):"
else
    echo "xtract: not installed (apt-get install ncbi-entrez-direct) - skipped"
fi
echo

# ---- NLP: sentence splitter agreement, tagger speed -----------------------
echo
if [ -x build/rel/bench/sentence-agreement ] && [ -f ../shared/data/scifact/corpus.jsonl.gz ]; then
    build/rel/bench/sentence-agreement ../shared/data/scifact/corpus.jsonl.gz | tail -n 3
fi
if [ -x build/rel/bench/bench-ner ] && [ -s models/ner.bin ]; then
    build/rel/bench/bench-ner | tail -n 4
fi

# ---- pipeline: the full stage chain on >= 20,000 real-looking abstracts ----
# Articles/s and peak RSS for 1 and 2 worker threads, and where the time
# goes (per-stage shares from `ingest --verbose`).  Needs models/ner.bin.
echo
ABS=$WORK/abstracts.xml
[ -s "$ABS" ] || python3 scripts/gen-abstracts.py --articles "${BENCH_ABSTRACTS:-20000}" --out "$ABS" >/dev/null
n_abs=$(grep -c '<PubmedArticle>' "$ABS")
if [ ! -s models/ner.bin ]; then
    echo "pipeline: models/ner.bin missing (make train) - skipped"
else
    for threads in 1 2; do
        rm -f "$WORK/pipe.db" "$WORK/pipe.db-wal" "$WORK/pipe.db-shm"
        python3 - "$LITMINE" "$WORK/pipe.db" "$ABS" "$threads" "$n_abs" <<'PY'
import resource, subprocess, sys, time
litmine, db, xml, threads, n = sys.argv[1:6]
t0 = time.monotonic()
p = subprocess.run([litmine, "--db", db, "--verbose", "ingest", "--threads", threads,
                    "--stages", "sentences,ner,pairs", "--no-index", xml], capture_output=True, text=True)
secs = time.monotonic() - t0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
if p.returncode:
    sys.exit("pipeline bench failed: " + p.stderr)
shares = [l for l in p.stderr.splitlines() if "time per stage" in l]
print(f"pipeline, {threads} thread(s): {int(n)} abstracts in {secs:.1f} s = "
      f"{int(n) / secs:.0f} abstracts/s, peak RSS {rss:.0f} MB")
if shares:
    print("   " + shares[0].replace("litmine: ", ""))
PY
    done
fi

# --- search: dense latency curve, ingest with deferred vs immediate FTS
# maintenance, model fit time, embedding throughput, query latency at
# BENCH_SEARCH_DOCS synthetic abstracts (default 100000), and SciFact dev
# quality per mode with the plain-FTS5 baseline.
echo
echo "search:"
if [ -x build/rel/bench/bench-search ]; then
    OPENBLAS_NUM_THREADS=1 build/rel/bench/bench-search vectors
    OPENBLAS_NUM_THREADS=1 build/rel/bench/bench-search store "$WORK" "${BENCH_SEARCH_DOCS:-100000}"
    rm -f "$WORK"/bench-imm.db* "$WORK"/bench-search.db*
fi
SF=../shared/data/scifact
if [ -d "$SF" ] && $LITMINE eval search --help >/dev/null 2>&1; then
    echo "SciFact dev (150 queries):"
    $LITMINE eval search --corpus "$SF/corpus.jsonl.gz" --queries "$SF/queries.dev.jsonl" \
        --qrels "$SF/qrels.dev.tsv" --mode all | sed 's/^/  /'
else
    echo "SciFact eval: skipped (no ../shared/data/scifact or eval search not built)"
fi

# ---- serve: page latency at 100k abstracts and a 64-client load test (bench/serve.sh) ----
echo
sh bench/serve.sh

# ---- encoder: transformer forward passes vs PyTorch (bench/encoder.sh) ----
echo
sh bench/encoder.sh
