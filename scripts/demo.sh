#!/bin/sh
# `make demo`: the main job on bundled sample data, into ./litmine-demo.db.
# Ingests the PubMed XML fixtures (and NLM's bulk-file samples when
# ../shared/data is beside the checkout), then shows what was stored.
set -eu
LITMINE=${1:-./litmine}
DB=${LITMINE_DEMO_DB:-litmine-demo.db}
export LITMINE_CONFIG=""

inputs="tests/fixtures/cli/articles.xml tests/fixtures/cli/update.xml"
if [ -d ../shared/data/pubmed_eutils/pmparser_bulk_samples ]; then
    inputs="$inputs $(ls ../shared/data/pubmed_eutils/pmparser_bulk_samples/*.xml.gz | sort)"
fi

echo "== litmine ingest -> $DB"
# shellcheck disable=SC2086
"$LITMINE" --db "$DB" --verbose ingest $inputs
echo
echo "== litmine stats"
"$LITMINE" --db "$DB" stats --last 5
pmid=$(sqlite3 "$DB" "select pmid from articles where abstract <> '' order by pmid limit 1")
echo
echo "== litmine show $pmid"
"$LITMINE" --db "$DB" show "$pmid" | head -n 20
echo
echo "== litmine export articles --format csv (first 3 rows)"
"$LITMINE" --db "$DB" export articles --format csv | head -n 4 | cut -c 1-160
echo
echo "Done. Explore with: ./litmine --db $DB stats, or sqlite3 $DB"
