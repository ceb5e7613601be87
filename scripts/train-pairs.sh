#!/bin/sh
# Retrains the chemical-disease pair classifier models/pairs.bin from
# ../shared/data (called by `make train` through scripts/train.sh).
#
#   scripts/train-pairs.sh [LITMINE [DATA_DIR [OUT]]]
#
# Corpora: BC5CDR train (CID -> "induces"; also as the lexicon sees it, each
# fold normalised by a lexicon built without it, so that the classifier
# fits what end-to-end candidates look like), BioRED train ("treats" from
# Negative_Correlation, "associated" from any chemical-disease relation);
# calibration and thresholds come from out-of-fold training scores
# (PAIRS_NER_TWINS=FILE, from `train ner --jackknife-out`: "induces" also
# learns from the BC5CDR documents as the tagger found them, and is
# calibrated and thresholded on those).  PAIRS_FINAL=1 trains on train + dev (the
# shipped model); otherwise the BC5CDR dev figures with gold entities are
# printed next to the co-occurrence baselines.  BioRED's
# Positive_Correlation pairs are not added to "induces" by default: BioRED
# re-annotates abstracts that BC5CDR also holds, possibly from its test set
# (PAIRS_BIORED_INDUCES=1 adds them; +0.5-1 F1 on dev).  Training is
# deterministic: the same data gives the same file.
set -eu

LITMINE=${1:-./litmine}
DATA=${2:-../shared/data}
OUT=${3:-models/pairs.bin}

if [ ! -f "$DATA/bc5cdr/CDR_TrainingSet.PubTator.txt" ]; then
    echo "train-pairs: $DATA/bc5cdr not found; keeping the committed $OUT" >&2
    exit 0
fi
mkdir -p "$(dirname "$OUT")"
set -- train pairs --data "$DATA" --out "$OUT"
if [ "${PAIRS_BIORED_INDUCES:-0}" = 1 ]; then
    set -- "$@" --biored-induces
fi
if [ "${PAIRS_FINAL:-0}" = 1 ]; then
    set -- "$@" --final
fi
if [ -n "${PAIRS_NER_TWINS:-}" ]; then
    set -- "$@" --ner-twins "$PAIRS_NER_TWINS"
fi
"$LITMINE" "$@"
