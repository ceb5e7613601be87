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

t0=$(now); zcat "$XML.gz" >/dev/null; t1=$(now)
zs=$(elapsed "$t0" "$t1")
echo "zcat alone:                      $(printf %6.2f "$zs") s  $(rate "$bytes" "$zs") MB/s"

if [ -x build/rel/bench/bench-pubmed ]; then
    t0=$(now); build/rel/bench/bench-pubmed "$XML" >/dev/null; t1=$(now)
    s=$(elapsed "$t0" "$t1")
    echo "parse only (plain, 1 core):      $(printf %6.2f "$s") s  $(rate "$bytes" "$s") MB/s"
fi

# Parse + store only (--stages none).  The parser and the SQLite writer are
# separate threads; "1 core" pins both to one CPU with taskset.
ONE_CORE=""
command -v taskset >/dev/null 2>&1 && ONE_CORE="taskset -c 0"
for input in "$XML" "$XML.gz"; do
    for cores in 1 all; do
        [ "$cores" = 1 ] && [ -z "$ONE_CORE" ] && continue
        pin=""; [ "$cores" = 1 ] && pin=$ONE_CORE
        rm -f "$WORK/bench.db" "$WORK/bench.db-wal" "$WORK/bench.db-shm"
        t0=$(now); $pin $LITMINE --db "$WORK/bench.db" ingest --stages none --no-index --batch-size 5000 "$input"; t1=$(now)
        s=$(elapsed "$t0" "$t1")
        label="ingest $(basename "$input") ($cores core):"
        printf "%-32s %6.2f s  %s MB/s  %s articles/s\n" "$label" "$s" "$(rate "$bytes" "$s")" \
            "$(awk -v n="$articles" -v s="$s" 'BEGIN { printf "%.0f", n / s }')"
    done
done
t0=$(now); $LITMINE --db "$WORK/bench.db" ingest --stages none --no-index --force "$XML"; t1=$(now)
s=$(elapsed "$t0" "$t1")
printf "%-32s %6.2f s  %s MB/s\n" "re-ingest, all unchanged:" "$s" "$(rate "$bytes" "$s")"

if command -v xtract >/dev/null 2>&1; then
    t0=$(now)
    xtract -mixed -input "$XML" -pattern PubmedArticle \
        -element MedlineCitation/PMID ArticleTitle AbstractText >/dev/null
    t1=$(now)
    s=$(elapsed "$t0" "$t1")
    echo "xtract -mixed (PMID,title,abs):  $(printf %6.2f "$s") s  $(rate "$bytes" "$s") MB/s"
else
    echo "xtract: not installed (apt-get install ncbi-entrez-direct) - skipped"
fi

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
