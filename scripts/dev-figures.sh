#!/bin/sh
# The held-out development figures of docs/nlp.md, measured as
# a user meets them.  Every model is trained without the development sets
# (NER on train only, the lexicon without the dev documents, the pair
# classifier on train, calibrated and thresholded out of fold on the
# training documents as the NER training's jackknife tagged them), then
# BC5CDR dev is ingested as PubMed XML through the full chain and its
# exported pairs are scored.
#
#   scripts/dev-figures.sh [LITMINE [DATA_DIR [WORK_DIR]]]
#
# WORK_DIR (default: a temporary directory, removed at the end) keeps the
# dev models and dev.db; models already in it are reused, so a second run
# only measures.  About 25 minutes on two cores when it trains the NER
# models.
set -eu

LITMINE=${1:-./litmine}
DATA=${2:-../shared/data}
WORK=${3:-}
if [ ! -f "$DATA/bc5cdr/CDR_DevelopmentSet.PubTator.txt" ]; then
    echo "dev-figures: $DATA/bc5cdr not found" >&2
    exit 1
fi
if [ -z "$WORK" ]; then
    WORK=$(mktemp -d)
    trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"
DEV=$DATA/bc5cdr/CDR_DevelopmentSet.PubTator.txt

[ -s "$WORK/lexicon.bin" ] || "$LITMINE" lexicon build --data "$DATA" --out "$WORK/lexicon.bin"
if [ ! -s "$WORK/ner.bin" ] || [ ! -s "$WORK/jk-train.pubtator" ]; then
    echo "== NER main, trained on train only (strict mentions on dev)"
    "$LITMINE" train ner --data "$DATA" --recipe main --out "$WORK/ner.bin" \
        --cluster-cache "$WORK/clusters.bin" --jackknife-out "$WORK/jk-train.pubtator"
fi
if [ ! -s "$WORK/ner-ncbi.bin" ]; then
    echo "== NER ncbi, trained on train only (strict mentions on dev)"
    "$LITMINE" train ner --data "$DATA" --recipe ncbi --out "$WORK/ner-ncbi.bin" \
        --cluster-cache "$WORK/clusters.bin"
fi
echo "== NER, strict mentions on the dev sets as litmine tag finds them"
"$LITMINE" tag --model "$WORK/ner.bin" <"$DEV" >"$WORK/ner-cdr.pubtator"
"$LITMINE" eval ner --gold "$DEV" --pred "$WORK/ner-cdr.pubtator" --types Chemical,Disease
"$LITMINE" tag --model "$WORK/ner.bin" <"$DATA/biored/Dev.PubTator" >"$WORK/ner-biored.pubtator"
"$LITMINE" eval ner --gold "$DATA/biored/Dev.PubTator" --pred "$WORK/ner-biored.pubtator" --types Gene
NCBI_DEV=$DATA/ncbi_disease/NCBIdevelopset_corpus.txt
"$LITMINE" tag --model "$WORK/ner-ncbi.bin" <"$NCBI_DEV" >"$WORK/ner-ncbi.pubtator"
"$LITMINE" eval ner --gold "$NCBI_DEV" --pred "$WORK/ner-ncbi.pubtator" --types Disease
if [ ! -s "$WORK/pairs.bin" ]; then
    echo "== pair classifier, trained on train only (gold entities on dev)"
    "$LITMINE" train pairs --data "$DATA" --ner-twins "$WORK/jk-train.pubtator" \
        --out "$WORK/pairs.bin"
fi

echo "== normalization of the gold Chemical and Disease mentions of BC5CDR dev"
"$LITMINE" eval norm --gold "$DEV" --lexicon "$WORK/lexicon.bin"

printf '[models]\nner = %s/ner.bin\nlexicon = %s/lexicon.bin\npairs = %s/pairs.bin\n' \
    "$WORK" "$WORK" "$WORK" >"$WORK/dev.conf"
echo "== BC5CDR dev CID, end to end: ingested as PubMed XML, exported pairs scored"
rm -f "$WORK/dev.db" "$WORK/dev.db-wal" "$WORK/dev.db-shm"
"$LITMINE" --config "$WORK/dev.conf" eval cid --gold "$DEV" --via-ingest --keep-db "$WORK/dev.db" \
    --save-pred "$WORK/dev-pred.pubtator"
"$LITMINE" --config "$WORK/dev.conf" --db "$WORK/dev.db" export pairs --all-candidates \
    --format tsv --out "$WORK/dev-pairs.tsv"
echo "== reliability of the exported 'induces' scores"
python3 "$(dirname "$0")/reliability.py" "$DEV" "$WORK/dev-pairs.tsv"
MESH_DESC=$(ls "$DATA"/lexicons/mesh/desc20*.xml.gz 2>/dev/null | tail -n 1)
if [ -n "$MESH_DESC" ]; then
    echo "== its errors by cause (scripts/cid-errors.py)"
    python3 "$(dirname "$0")/cid-errors.py" "$DEV" "$WORK/dev-pred.pubtator" \
        "$WORK/dev-pairs.tsv" "$MESH_DESC"
fi
echo "== the same chain with gold spans, and with gold entities (where the loss is)"
"$LITMINE" --config "$WORK/dev.conf" eval cid --gold "$DEV" --gold-spans
"$LITMINE" --config "$WORK/dev.conf" eval cid --gold "$DEV" --gold-entities
