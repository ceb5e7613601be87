#!/bin/sh
# The full NLP chain with the committed models: `litmine tag` output
# (offsets, types, concept ids, abbreviation propagation), ingestion through
# sentences,ner,pairs, and determinism — the database content is identical
# for 1 and 3 worker threads.  Skipped when models/ner.bin is absent.
. "$(dirname "$0")/lib.sh"
cd "$SCRATCH" || exit 2
if [ ! -s "$ROOT/models/ner.bin" ]; then
    skip "full chain" "models/ner.bin missing (make train)"
    finish
    exit $?
fi
printf '[models]\ndir = %s/models\n[pipeline]\nstages = sentences,ner,pairs\n' "$ROOT" >"$SCRATCH/full.conf"
export LITMINE_CONFIG="$SCRATCH/full.conf"

echo "Cocaine-induced myocardial infarction (MI) in a patient with a BRCA1 mutation treated with tamoxifen. MI recurred." |
    "$LITMINE" tag >"$SCRATCH/tag.out" 2>"$SCRATCH/err"
check "tag exits 0" test $? -eq 0
check "tag: chemical at its code-point span with its MeSH id" grep -q "^1	0	7	Cocaine	Chemical	MESH:D003042$" "$SCRATCH/tag.out"
check "tag: disease normalised" grep -q "^1	16	37	myocardial infarction	Disease	MESH:D009203$" "$SCRATCH/tag.out"
check "tag: gene normalised to NCBI Gene" grep -q "	BRCA1	Gene	NCBIGene:672$" "$SCRATCH/tag.out"
check "tag: abbreviation inherits type and concept" sh -c '[ "$(grep -c "	MI	Disease	MESH:D009203$" "$1")" -eq 2 ]' _ "$SCRATCH/tag.out"
printf '9|t|Lithium toxicity.\n9|a|Serum lithium rose.\n\n' | "$LITMINE" tag --format jsonl >"$SCRATCH/tag.json"
check "tag --format jsonl with PubTator input" python3 -c '
import json, sys
d = json.loads(open(sys.argv[1]).read())
text = "Lithium toxicity. Serum lithium rose."
assert d["id"] == "9" and d["mentions"], d
for m in d["mentions"]:
    assert text[m["start"]:m["end"]] == m["text"] and 0 <= m["score"] <= 1
assert any(m["type"] == "Chemical" and m["id"] and m["id"].startswith("MESH:") for m in d["mentions"])
' "$SCRATCH/tag.json"
echo "x" | "$LITMINE" tag --model "$SCRATCH/nope.bin" >/dev/null 2>"$SCRATCH/err"
check "tag with a missing model fails clearly" sh -c '[ $1 -ne 0 ] && grep -q "nope.bin" "$2"' _ $? "$SCRATCH/err"
head -c 1000 "$ROOT/models/ner.bin" >"$SCRATCH/trunc.bin"
echo "x" | "$LITMINE" tag --model "$SCRATCH/trunc.bin" >/dev/null 2>"$SCRATCH/err"
check "tag with a truncated model reports corruption" sh -c '[ $1 -ne 0 ] && grep -qi "corrupt\|truncated\|checksum" "$2"' _ $? "$SCRATCH/err"

INPUTS="$FIXTURES/cli/articles.xml $FIXTURES/pubmed/articles.xml"
[ -n "$SHARED" ] && INPUTS="$INPUTS $SHARED/pubmed_eutils/pmparser_bulk_samples/pubmed26n1334.xml.gz"
dump() {
    sqlite3 "$1" "select pmid, start, \"end\", text, type, coalesce(concept_id, ''), sentence, printf('%.4f', score) from mentions order by pmid, start, \"end\", type;
                  select * from sentences order by pmid, idx;
                  select * from abbreviations order by pmid, start;
                  select pmid, chemical_id, disease_id, relation, printf('%.4f', score), evidence_start from pairs order by 1, 2, 3;"
}
# shellcheck disable=SC2086
"$LITMINE" --db "$SCRATCH/t1.db" ingest --threads 1 $INPUTS 2>"$SCRATCH/err"
check "full-chain ingest, 1 thread" test $? -eq 0
# shellcheck disable=SC2086
"$LITMINE" --db "$SCRATCH/t3.db" ingest --threads 3 $INPUTS 2>"$SCRATCH/err"
check "full-chain ingest, 3 threads" test $? -eq 0
dump "$SCRATCH/t1.db" >"$SCRATCH/d1"
dump "$SCRATCH/t3.db" >"$SCRATCH/d3"
# The fixtures alone hold few entities (BRCA1, H2O2, calcium); the bulk
# sample adds hundreds.
if [ -n "$SHARED" ]; then
    check "mentions were found and normalised" sql_is "$SCRATCH/t1.db" \
        "select count(*) > 10 and count(concept_id) > 5 from mentions" 1
else
    check "mentions were found and normalised" sql_is "$SCRATCH/t1.db" \
        "select count(*) >= 5 and count(concept_id) = count(*)
                and sum(concept_id = 'NCBIGene:672') >= 1 from mentions" 1
fi
check "identical annotations for 1 and 3 threads" cmp -s "$SCRATCH/d1" "$SCRATCH/d3"
check "stored mention offsets reproduce the text" sql_is "$SCRATCH/t1.db" \
    "select count(*) from mentions m join articles a on a.pmid = m.pmid
     where substr(a.title || ' ' || a.abstract, m.start + 1, m.\"end\" - m.start) <> m.text" 0

# Query concepts: case, possessives and hyphens do not matter, and a short
# query is read against the lexicon when the tagger finds nothing in it.
for q in "Parkinson's disease" "Parkinson disease" "parkinson-disease" "PARKINSON DISEASE" \
         "parkinson disease" "Parkinson’s disease and levodopa"; do
    lm --db "$SCRATCH/t1.db" query --json "$q"
    check "query concepts of \"$q\": Parkinson disease, by its MeSH heading" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
ids = {c["id"]: c["name"] for c in d["concepts"]}
assert ids.get("MESH:D010300") == "parkinson disease", d["concepts"]
' "$SCRATCH/out"
done
finish
