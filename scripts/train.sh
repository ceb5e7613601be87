#!/bin/sh
# `make train`: regenerates every committed model from ../shared/data.
#
#   scripts/train.sh [LITMINE [DATA_DIR]]
#
#   models/lexicon.bin   normalization lexicon with MeSH (scripts/build-lexicon.sh)
#   models/ner.bin       Chemical + Disease (BC5CDR) and Gene (BioRED, BC2GM)
#   models/ner-ncbi.bin  Disease (NCBI-disease guidelines)
#   models/pairs.bin     chemical-disease pair classifier (scripts/train-pairs.sh)
#
# The shipped NER models and pair classifier are trained on train + dev
# (--final): the dev figures they would print are not held out.
# scripts/dev-figures.sh trains the same models without the dev sets and
# prints the held-out figures README.md shows, measured through ingest and
# export (adds ~25 minutes on two cores); NER_DEV=1 runs it first.
# Training is deterministic for a given seed and thread count.
set -eu

LITMINE=${1:-./litmine}
DATA=${2:-../shared/data}

if [ ! -d "$DATA" ] || [ ! -f "$DATA/bc5cdr/CDR_TrainingSet.PubTator.txt" ]; then
    echo "train: $DATA not found (or incomplete): the models are trained from the shared" >&2
    echo "train: corpora (BC5CDR, NCBI-disease, BioRED, BC2GM, lexicons, SciFact text)." >&2
    echo "train: Check out ../shared next to this repository, or pass DATA_DIR." >&2
    exit 1
fi
if [ ! -x "$LITMINE" ]; then
    echo "train: $LITMINE not found (run make first)" >&2
    exit 1
fi
mkdir -p models

start=$(date +%s)
if [ -x scripts/build-lexicon.sh ]; then
    scripts/build-lexicon.sh "$LITMINE" "$DATA" models/lexicon.bin
fi

# word clusters are learned once and shared by the NER trainings below
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
if [ "${NER_DEV:-0}" = 1 ]; then
    echo "== held-out dev figures (models trained without the dev sets)"
    scripts/dev-figures.sh "$LITMINE" "$DATA"
fi

echo "== NER models (train + dev)"
# the out-of-fold tags of the BC5CDR documents are what the pair
# classifier learns end-to-end candidates and its calibration from
"$LITMINE" train ner --data "$DATA" --recipe main --final --out models/ner.bin \
    --cluster-cache "$scratch/clusters.bin" --jackknife-out "$scratch/jk.pubtator"
"$LITMINE" train ner --data "$DATA" --recipe ncbi --final --out models/ner-ncbi.bin \
    --cluster-cache "$scratch/clusters.bin"

if [ -x scripts/train-pairs.sh ]; then
    PAIRS_FINAL=1 PAIRS_NER_TWINS="$scratch/jk.pubtator" \
        scripts/train-pairs.sh "$LITMINE" "$DATA" models/pairs.bin
fi
# models/MANIFEST gives each model its training date: `litmine --version`
# prints it beside the model's id (its SHA-256 prefix).
today=$(date -u +%Y-%m-%d)
for f in models/*.bin; do
    printf '%s\t%s\t%s\n' "$(basename "$f")" "$(sha256sum "$f" | cut -d' ' -f1)" "$today"
done > models/MANIFEST
echo "train: done in $(( $(date +%s) - start )) s"
