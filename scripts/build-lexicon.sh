#!/bin/sh
# Builds the committed normalization lexicon models/lexicon.bin from
# ../shared/data (called by `make train` through scripts/train.sh).
#
#   scripts/build-lexicon.sh [LITMINE [DATA_DIR [OUT]]]
#
# Sources: the training annotations of BC5CDR, NCBI-disease and BioRED
# (each name keeps its most frequent id, BC5CDR's counting most), MeSH (the
# newest desc20XX.xml[.gz] and supp20XX.xml[.gz] in DATA_DIR/lexicons/mesh),
# NCBI gene_info (human) and the DrugBank open vocabulary (whose drugs that
# are MeSH chemicals merge into them).  The development sets are left out,
# and so are their documents where another corpus's training set
# re-annotates them (BioRED holds BC5CDR dev abstracts), so that stages
# tuned on them are measured honestly; LEXICON_WITH_DEV=1 adds them.
# NLM's current MeSH files can be given instead of the shared ones:
#   LEXICON_MESH="desc2025.xml.gz supp2025.xml.gz" scripts/build-lexicon.sh
set -eu

LITMINE=${1:-./litmine}
DATA=${2:-../shared/data}
OUT=${3:-models/lexicon.bin}

if [ ! -d "$DATA" ]; then
    echo "build-lexicon: $DATA not found; keeping the committed $OUT" >&2
    exit 0
fi
mkdir -p "$(dirname "$OUT")"
set -- lexicon build --data "$DATA" --out "$OUT"
if [ "${LEXICON_WITH_DEV:-0}" = 1 ]; then
    set -- "$@" --with-dev
fi
for f in ${LEXICON_MESH:-}; do
    set -- "$@" --mesh "$f"
done
"$LITMINE" "$@"
