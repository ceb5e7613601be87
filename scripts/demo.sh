#!/bin/sh
# `make demo`: the main job on real PubMed records, into ./litmine-demo.db.
# Ingests scripts/demo/pubmed-sample.xml.gz — 98 real PubMed records
# (NOTICE beside it) — and, when ../shared/data sits beside the checkout,
# NLM's bulk-file samples too, through the NLP pipeline with the committed
# models; builds the search index; then shows every part of the chain: an
# article with its highlighted mentions and pairs, a query with hits, an
# export excerpt, and the commands to try next.  Works from a fresh clone.
set -eu
LITMINE=${1:-./litmine}
DB=${LITMINE_DEMO_DB:-litmine-demo.db}
export LITMINE_CONFIG=""
rm -f "$DB" "$DB-wal" "$DB-shm" "$DB.vectors"

inputs="scripts/demo/pubmed-sample.xml.gz"
# LITMINE_DEMO_NO_SHARED=1 shows what a fresh clone shows (tests use it).
if [ -z "${LITMINE_DEMO_NO_SHARED:-}" ] && [ -d ../shared/data/pubmed_eutils/pmparser_bulk_samples ]; then
    inputs="$inputs $(ls ../shared/data/pubmed_eutils/pmparser_bulk_samples/*.xml.gz | sort)"
fi

step() { printf '\n== %s\n' "$*"; }

step "litmine ingest (sentences, entities, concepts, pairs) -> $DB"
# shellcheck disable=SC2086
"$LITMINE" --db "$DB" --verbose ingest $inputs
step "litmine index build"
"$LITMINE" --db "$DB" index build
step "litmine stats"
"$LITMINE" --db "$DB" stats --last 3
step "litmine show 31826360   (mentions highlighted by type; --json for the same as JSON)"
"$LITMINE" --db "$DB" show 31826360 | grep -v '^Affiliation \|^            [0-9]*\. '
step "litmine query \"kidney disease in children\""
"$LITMINE" --db "$DB" query -k 3 "kidney disease in children"
step "litmine export pairs --format tsv   (first 6 rows)"
"$LITMINE" --db "$DB" export pairs --format tsv | head -n 7 | cut -c 1-160
step "litmine tag   (plain text on stdin)"
echo "Cocaine-induced myocardial infarction in a patient with a BRCA1 mutation treated with tamoxifen." |
    "$LITMINE" tag
cat <<EON

Try next (the database is $DB):
  ./litmine --db $DB show 41598251 --json | python3 -m json.tool | head
  ./litmine --db $DB query --type chemical "radiation injury"
  ./litmine --db $DB export mentions --pmid 31826360 --format tsv
  ./litmine --db $DB export pairs --format bioc-xml --out pairs.bioc.xml
  ./litmine --db $DB export authors --year-from 2026 --format csv --out authors.csv
  sqlite3 $DB 'select relation, count(*) from pairs group by 1'
Every command and option: docs/usage.md, or man -l docs/litmine.1
EON
