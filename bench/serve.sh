#!/bin/sh
# `make bench`, serve section: `litmine serve` on BENCH_SERVE_DOCS (default
# 100,000) real-looking abstracts (scripts/gen-abstracts.py) ingested
# through the sentence, NER and pair stages and indexed for hybrid search
# (`index build`), the database kept in $WORK between runs.  Then, against
# the server on 127.0.0.1 (4 threads):
#   latency  one client for BENCH_SERVE_SECONDS (default 15) walking search
#            (hybrid, the default, and lexical), article, concept and pairs
#            pages (by disease; unfiltered): server-side p50/p95 per page
#            (its Server-Timing header), and the server's CPU time per
#            request;
#   load     64 concurrent keep-alive clients for 5 s (warm-up: every
#            worker used once), then for 10 s over the same pages:
#            requests/s, errors (any answer but a complete 200), latency,
#            and the server's RSS, in all and anonymous, every 250 ms.
# Prints figures, asserts nothing.  Standalone: sh bench/serve.sh
set -eu
cd "$(dirname "$0")/.."
LITMINE=${LITMINE:-./litmine}
WORK=${BENCH_DIR:-/tmp/litmine-bench}
N=${BENCH_SERVE_DOCS:-100000}
SECS=${BENCH_SERVE_SECONDS:-15}
BIN=build/rel/bench/bench-serve
mkdir -p "$WORK"
DB=$WORK/serve-$N.db
if [ ! -x "$BIN" ] || [ ! -s models/ner.bin ]; then
    echo "serve: needs $BIN and models/ner.bin - skipped"
    exit 0
fi
CONF=$WORK/serve.conf
printf '[models]\ndir = %s/models\n' "$(pwd)" >"$CONF"
if [ ! -s "$DB" ]; then
    XML=$WORK/serve-abstracts-$N.xml
    [ -s "$XML" ] || python3 scripts/gen-abstracts.py --articles "$N" --out "$XML" >/dev/null
    t0=$(date +%s)
    $LITMINE --config "$CONF" --db "$DB.tmp" ingest --threads 2 --stages sentences,ner,pairs \
        --no-index "$XML" >/dev/null
    $LITMINE --config "$CONF" --db "$DB.tmp" index build >/dev/null
    for f in "$DB.tmp"*; do mv "$f" "$DB${f#"$DB.tmp"}"; done
    echo "serve: built $DB ($N abstracts, NER, pairs, index) in $(( $(date +%s) - t0 )) s"
fi
echo "serve: $(sqlite3 "$DB" 'select count(*) from articles') articles, $(sqlite3 "$DB" 'select count(*) from mentions') mentions, $(sqlite3 "$DB" 'select count(*) from pairs') pairs"

# The pages: searches made of title words of random articles, random
# articles, the most mentioned concepts, the pairs of frequent diseases.
PATHS=$WORK/serve-paths.txt
python3 - "$DB" "$PATHS" <<'PY'
import random, sqlite3, sys, urllib.parse
db, out = sys.argv[1], sys.argv[2]
c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
rnd = random.Random(17)
pmids = [r[0] for r in c.execute("select pmid from articles order by random() limit 300")]
titles = [r[0] for r in c.execute("select title from articles order by random() limit 300")]
concepts = [r[0] for r in c.execute(
    "select concept_id from mentions where concept_id is not null and concept_id <> '-' "
    "group by concept_id order by count(*) desc limit 150")]
diseases = [r[0] for r in c.execute(
    "select disease_id from pairs where relation <> 'cooccurs' group by disease_id "
    "order by count(*) desc limit 100")]
lines = []
for t in titles:
    words = [w for w in t.replace(".", " ").replace(",", " ").split() if len(w) > 3][:4]
    if words:
        q = urllib.parse.quote(" ".join(words))
        lines.append("search /search?q=" + q)
        lines.append("lexical /search?mode=lexical&q=" + q)
lines += [f"article /article/{p}" for p in pmids]
lines += ["concept /concept/" + urllib.parse.quote(i, safe="") for i in concepts]
lines += ["pairs /pairs?disease=" + urllib.parse.quote(i, safe="") for i in diseases]
lines += ["pairs-all /pairs", "pairs-all /pairs?relation=induces", "pairs-all /api/pairs?page=2"] * 10
rnd.shuffle(lines)
open(out, "w").write("\n".join(lines) + "\n")
PY

ERR=$WORK/serve.err
# A database kept from an older litmine is brought to this schema first
# (the server only reads; a write command migrates).
$LITMINE --config "$CONF" --db "$DB" index refresh >/dev/null
$LITMINE --config "$CONF" --db "$DB" serve --listen 127.0.0.1:0 --threads 4 2>"$ERR" &
PID=$!
trap 'kill $PID 2>/dev/null' EXIT
i=0
while ! grep -q 'listening on' "$ERR" && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$ERR")
[ -n "$PORT" ] || { echo "serve: server did not start"; cat "$ERR"; exit 0; }
echo "serve: startup (4 searchers, autocomplete list) $(awk -v n=$i 'BEGIN { printf "%.1f", n / 10 }') s"
# The server's CPU time (user + system, clock ticks) over a run divided by
# the requests it answered: a per-request cost that a busy host inflates
# far less than wall-clock latency.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
# run CLIENTS SECONDS: one bench-serve run, then the CPU time per request.
run() {
    t0=$(cpu_ticks)
    $BIN 127.0.0.1 "$PORT" "$PATHS" "$1" "$2" "$PID" >"$WORK/serve-run.txt"
    t1=$(cpu_ticks)
    awk -v t0="$t0" -v t1="$t1" -v hz="$(getconf CLK_TCK)" \
        '/requests\/s/ { for (i = 1; i < NF; i++) if ($(i + 1) == "requests,") n = $i }
         { print }
         END { if (n) printf "  server CPU time: %.1f ms per request (%d requests)\n", (t1 - t0) * 1000 / hz / n, n }' \
        "$WORK/serve-run.txt"
}
echo "latency, 1 client, ${SECS} s (load average $(cut -d' ' -f1 /proc/loadavg) on $(nproc) CPUs):"
run 1 "$SECS"
# Each worker's searcher allocates its query buffers on first use, which
# one client never gets past: a first round warms all of them, the second
# is the one whose memory must stay flat.
echo "warm-up, 64 clients, 5 s:"
$BIN 127.0.0.1 "$PORT" "$PATHS" 64 5 "$PID" | grep -E 'requests/s|RSS|anonymous'
echo "load, 64 clients, 10 s (load average $(cut -d' ' -f1 /proc/loadavg)):"
run 64 10
kill -TERM $PID
wait $PID && echo "serve: SIGTERM -> exit 0" || echo "serve: exit status $?"
trap - EXIT
