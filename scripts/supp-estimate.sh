#!/bin/sh
# What importing NLM's supplementary concept records (supp20XX.xml) would
# add to the BC5CDR dev CID figure, through the same ingest + export path
# as scripts/dev-figures.sh (docs/nlp.md, Relations).
#
#   scripts/supp-estimate.sh LITMINE DATA_DIR WORK [PAIRS]
#
# WORK is a finished scripts/dev-figures.sh work directory (its train-only
# ner.bin, lexicon.bin and pairs.bin are reused).  PAIRS is another
# train-only pair model to use instead of WORK/pairs.bin, e.g. another seed:
#   litmine train pairs --data DATA_DIR --ner-twins WORK/jk-train.pubtator \
#       --seed 2 --out WORK/pairs-seed2.bin
# supp20XX.xml is not in ../shared, so scripts/supp-sim.py stands in for it
# with records made from the dev gold's own supplementary-record chemicals:
# an estimate, optimistic in that every such chemical's names are known,
# and for measurement only.  Prints the plain end-to-end figure, the
# figure with the stand-in records imported, and that one with newer MeSH
# ids counted (--newer-mesh).
set -eu

USAGE="usage: scripts/supp-estimate.sh LITMINE DATA_DIR WORK [PAIRS]"
LITMINE=${1:?$USAGE}
DATA=${2:?$USAGE}
WORK=${3:?$USAGE}
PAIRS=${4:-$WORK/pairs.bin}
DEV=$DATA/bc5cdr/CDR_DevelopmentSet.PubTator.txt
MESH_DIR=$DATA/lexicons/mesh
DESC=$(ls "$MESH_DIR"/desc20*.xml "$MESH_DIR"/desc20*.xml.gz 2>/dev/null | sort | tail -n 1)
# With --mesh given, lexicon build reads only the files named: a real
# supplementary file beside the descriptors would be in the plain lexicon
# (WORK's, built without --mesh) and not in the stand-in one.
if ls "$MESH_DIR"/supp20* >/dev/null 2>&1; then
    echo "supp-estimate: $MESH_DIR has supplementary records; nothing to estimate" >&2
    exit 1
fi
for f in "$DEV" "$DESC" "$WORK/ner.bin" "$PAIRS" "$WORK/lexicon.bin"; do
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
printf '[models]\nner = %s/ner.bin\nlexicon = %s\npairs = %s\n' \
    "$WORK" "$WORK/lexicon.bin" "$PAIRS" >"$SIM/plain.conf"
printf '[models]\nner = %s/ner.bin\nlexicon = %s\npairs = %s\n' \
    "$WORK" "$SIM/lexicon.bin" "$PAIRS" >"$SIM/supp.conf"
echo "== end to end, the lexicon of ../shared (as scripts/dev-figures.sh)"
"$LITMINE" --config "$SIM/plain.conf" eval cid --gold "$DEV" --via-ingest
echo "== end to end, with the stand-in supplementary records imported"
"$LITMINE" --config "$SIM/supp.conf" eval cid --gold "$DEV" --via-ingest \
    --save-pred "$SIM/supp-pred.pubtator"
echo "== the same, MeSH ids newer than the gold counted (an upper bound)"
"$LITMINE" --config "$SIM/supp.conf" eval cid --gold "$DEV" \
    --pred "$SIM/supp-pred.pubtator" --newer-mesh
