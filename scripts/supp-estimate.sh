#!/bin/sh
# What importing NLM's supplementary concept records (supp20XX.xml) would
# add to the BC5CDR dev CID figure, through the same ingest + export path
# as scripts/dev-figures.sh (docs/nlp.md, Relations).
#
#   scripts/supp-estimate.sh [LITMINE [DATA_DIR [WORK]]]
#
# WORK is a finished scripts/dev-figures.sh work directory (its train-only
# ner.bin and pairs.bin are reused).  supp20XX.xml is not in ../shared, so
# scripts/supp-sim.py stands in for it with records made from the dev
# gold's own supplementary-record chemicals: an estimate, optimistic in
# that every such chemical's names are known, and for measurement only.
# Prints the plain end-to-end figure, the figure with the stand-in records
# imported, and that one with newer MeSH ids counted (--newer-mesh).
set -eu

LITMINE=${1:-./litmine}
DATA=${2:-../shared/data}
WORK=${3:?usage: scripts/supp-estimate.sh LITMINE DATA_DIR WORK (a dev-figures work directory)}
DEV=$DATA/bc5cdr/CDR_DevelopmentSet.PubTator.txt
DESC=$(ls "$DATA"/lexicons/mesh/desc20*.xml.gz 2>/dev/null | tail -n 1)
for f in "$DEV" "$DESC" "$WORK/ner.bin" "$WORK/pairs.bin" "$WORK/lexicon.bin"; do
    if [ ! -s "$f" ]; then
        echo "supp-estimate: ${f:-MeSH descriptors} not found" >&2
        exit 1
    fi
done
SIM=$WORK/supp-sim
mkdir -p "$SIM"
python3 "$(dirname "$0")/supp-sim.py" "$DEV" "$SIM/supp-sim.xml"
"$LITMINE" lexicon build --data "$DATA" --out "$SIM/lexicon.bin" \
    --mesh "$DESC" --mesh "$SIM/supp-sim.xml"
printf '[models]\nner = %s/ner.bin\nlexicon = %s\npairs = %s/pairs.bin\n' \
    "$WORK" "$WORK/lexicon.bin" "$WORK" >"$SIM/plain.conf"
printf '[models]\nner = %s/ner.bin\nlexicon = %s\npairs = %s/pairs.bin\n' \
    "$WORK" "$SIM/lexicon.bin" "$WORK" >"$SIM/supp.conf"
echo "== end to end, the lexicon of ../shared (as scripts/dev-figures.sh)"
"$LITMINE" --config "$SIM/plain.conf" eval cid --gold "$DEV" --via-ingest
echo "== end to end, with the stand-in supplementary records imported"
"$LITMINE" --config "$SIM/supp.conf" eval cid --gold "$DEV" --via-ingest \
    --save-pred "$SIM/supp-pred.pubtator"
echo "== the same, MeSH ids newer than the gold counted (an upper bound)"
"$LITMINE" --config "$SIM/supp.conf" eval cid --gold "$DEV" \
    --pred "$SIM/supp-pred.pubtator" --newer-mesh
