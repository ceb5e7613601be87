#!/bin/sh
# `make demo`: the main job on bundled sample data, into ./litmine-demo.db.
# Ingests the PubMed XML fixtures (and NLM's bulk-file samples when
# ../shared/data sits beside the checkout) through the NLP pipeline with
# the committed models, builds the search index, and shows what came out:
# stats, an article, mentions and pairs, and a semantic query.
set -eu
LITMINE=${1:-./litmine}
DB=${LITMINE_DEMO_DB:-litmine-demo.db}
export LITMINE_CONFIG=""
rm -f "$DB" "$DB-wal" "$DB-shm" "$DB.vectors"

inputs="tests/fixtures/cli/articles.xml tests/fixtures/pubmed/articles.xml"
if [ -d ../shared/data/pubmed_eutils/pmparser_bulk_samples ]; then
    inputs="$inputs $(ls ../shared/data/pubmed_eutils/pmparser_bulk_samples/*.xml.gz | sort)"
fi
stages=sentences
if [ -s models/ner.bin ]; then
    stages=sentences,ner,pairs
else
    echo "(models/ner.bin missing: run 'make train' for entity and relation extraction)"
fi

echo "== litmine ingest --stages $stages -> $DB"
# shellcheck disable=SC2086
"$LITMINE" --db "$DB" --verbose ingest --stages "$stages" $inputs
echo
echo "== litmine index build"
"$LITMINE" --db "$DB" index build || true
echo
echo "== litmine stats"
"$LITMINE" --db "$DB" stats --last 5
pmid=$(sqlite3 "$DB" "select pmid from articles where abstract <> '' order by pmid limit 1")
echo
echo "== litmine show $pmid"
"$LITMINE" --db "$DB" show "$pmid" | head -n 20
if [ "$stages" != sentences ]; then
    echo
    echo "== litmine export mentions --format tsv (first 10)"
    "$LITMINE" --db "$DB" export mentions --format tsv | head -n 11
    echo
    echo "== litmine export pairs (first 5)"
    "$LITMINE" --db "$DB" export pairs --format tsv | head -n 6 | cut -c 1-200
    echo
    echo "== litmine tag (plain text on stdin)"
    echo "Cocaine-induced myocardial infarction in a patient with a BRCA1 mutation treated with tamoxifen." |
        "$LITMINE" tag
fi
echo
echo "== litmine query \"obesity risk in migrants\""
"$LITMINE" --db "$DB" query -k 3 "obesity risk in migrants" || true
echo
echo "Done. Explore with: ./litmine --db $DB stats | query TEXT | export pairs, or sqlite3 $DB"
