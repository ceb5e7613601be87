#!/bin/sh
# `litmine index` and `litmine query` end to end on a small generated corpus
# with four topics, plus `litmine eval search` on a hand-made BEIR set.
. "$(dirname "$0")/lib.sh"
cd "$SCRATCH" || exit 2
DB=$SCRATCH/q.db
python3 - >"$SCRATCH/corpus.xml" <<'PY'
import random
from xml.sax.saxutils import escape
topics = {
    "brca": ("BRCA1 mutation and homologous recombination DNA repair in breast cancer cells",
             ["BRCA1 deficient cells showed impaired double strand break repair.",
              "Homologous recombination depends on BRCA1 and RAD51 loading.",
              "PARP inhibitors were lethal to BRCA1 mutant breast cancer cells.",
              "DNA damage response signalling was reduced after BRCA1 knockdown."]),
    "malaria": ("Artemisinin resistance of Plasmodium falciparum malaria in Southeast Asia",
                ["Kelch13 mutations were associated with delayed parasite clearance.",
                 "Artemisinin combination therapy cured most malaria patients.",
                 "Plasmodium falciparum isolates were genotyped in the clinic.",
                 "Mosquito nets reduced malaria transmission in villages."]),
    "asthma": ("Inhaled corticosteroids and asthma exacerbations in children",
               ["Budesonide reduced asthma exacerbations in the trial.",
                "Airway inflammation decreased with inhaled corticosteroids.",
                "Children with severe asthma were admitted to hospital less often.",
                "Eosinophil counts predicted the response to steroids."]),
    "diabetes": ("Metformin and glucose control in type 2 diabetes mellitus",
                 ["Metformin lowered HbA1c in patients with type 2 diabetes.",
                  "Insulin resistance improved after twelve weeks of metformin.",
                  "Lactic acidosis was rare among metformin users.",
                  "Weight loss accompanied better glucose control."]),
}
rnd = random.Random(7)
print('<?xml version="1.0" encoding="UTF-8"?>\n<PubmedArticleSet>')
pmid = 70000000
for i in range(60):
    name = sorted(topics)[i % 4]
    title, sents = topics[name]
    body = " ".join(rnd.sample(sents, 3))
    print(f'<PubmedArticle><MedlineCitation><PMID Version="1">{pmid + i}</PMID><Article>'
          f'<Journal><Title>J {name}</Title><JournalIssue><PubDate><Year>{2000 + i % 20}</Year>'
          f'</PubDate></JournalIssue></Journal><ArticleTitle>{escape(title)} ({i})</ArticleTitle>'
          f'<Abstract><AbstractText>{escape(body)}</AbstractText></Abstract></Article>'
          f'</MedlineCitation></PubmedArticle>')
print('</PubmedArticleSet>')
PY
lm --db "$DB" ingest "$SCRATCH/corpus.xml"
check "ingest indexes new articles for full text" sql_is "$DB" "select count(*) from search_indexed" 60
lm --db "$DB" query "BRCA1 repair"
ok "lexical search works before any embedding model" 'rc_is 0 && out_has "PMID 70000001"'
lm --db "$DB" index build
check "index build" rc_is 0
# A build's pages must not stay in the write-ahead log, or every later
# read-only query process scans them.
ok "index build ends with the write-ahead log checkpointed" '[ ! -s "$DB-wal" ]'
check "every article has a vector of the current model" sql_is "$DB" \
    "select count(*) from vectors v join embed_models m on m.id = v.model_id where m.state = 'ready'" 60
python3 "$ROOT/scripts/gen-pubmed.py" --articles 5 --start-pmid 71000000 --out "$SCRATCH/more.xml" \
    "$SCRATCH/corpus.xml" >/dev/null
lm --db "$DB" ingest --stages sentences,embed --no-index "$SCRATCH/more.xml"
check "the embed stage gives new articles a vector of the current model" sql_is "$DB" \
    "select count(*) from vectors v join embed_models m on m.id = v.model_id
     where m.state = 'ready' and v.pmid >= 71000000" 5
lm --db "$DB" query --json -k 5 "BRCA1 repair"
check "hybrid query ranks the BRCA1 abstracts first" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["mode"] == "hybrid", r["mode"]
pmids = [h["pmid"] for h in r["results"]]
assert len(pmids) == 5 and all((p - 70000000) % 4 == 1 for p in pmids), pmids
h = r["results"][0]
for key in ("rank", "pmid", "year", "title", "score", "sentence", "highlights", "pairs"):
    assert key in h, key
assert all(0 <= a < b <= len(h["sentence"]) for a, b in h["highlights"])
' "$SCRATCH/out"
lm --db "$DB" query --mode dense -k 3 "parasite clearance in villages"
ok "dense mode finds the malaria topic" 'rc_is 0 && out_has "Plasmodium"'
lm --db "$DB" query --mode lexical --since 2015 -k 50 --json "metformin"
check "--since keeps recent articles only" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["results"] and all(h["year"] >= 2015 for h in r["results"])
' "$SCRATCH/out"
lm --db "$DB" query 'BRCA1" OR NEAR(x, y) -repair* (AND'
check "FTS5 syntax in user text is harmless" rc_is 0
lm --db "$DB" query --mode fuzzy x
check "unknown mode is a usage error" rc_is 2
lm --db "$DB" query
check "query without text is a usage error" rc_is 2
lm --db "$DB" index info
ok "index info" 'rc_is 0 && out_has "60"'
lm --db "$DB" index check
check "index check passes" rc_is 0

# The models load through their mappable caches (util/lm_mapcache.h): the
# first query writes them, later ones map them and answer the same; a
# damaged cache is a miss (rebuilt), a damaged model file is an error.
MC=$SCRATCH/mc
mkdir -p "$MC/models"
cp "$ROOT/models/lexicon.bin" "$ROOT/models/ner.bin" "$MC/models/"
printf '[models]\ndir = %s/models\n' "$MC" >"$MC/conf"
LONG="Cisplatin causes nephrotoxicity and hearing loss in children treated for cancer"
mq() { LITMINE_MODEL_CACHE=$MC/cache lm --config "$MC/conf" --db "$DB" query --json "$@"; }
mq "$LONG"
cp "$SCRATCH/out" "$MC/first.json"
check "the first query writes the models' caches" sh -c \
    '[ "$1" -eq 0 ] && ls "$2"/lexicon.bin-*.map "$2"/ner.bin-*.map >/dev/null' _ "$LM_RC" "$MC/cache"
check "the query found the tagger's concepts" grep -q '"MESH:D002945"' "$MC/first.json"
mq "$LONG"
check "a query from the caches answers the same" sh -c \
    '[ "$1" -eq 0 ] && cmp "$2" "$3"' _ "$LM_RC" "$MC/first.json" "$SCRATCH/out"
for f in "$MC"/cache/*.map; do
    python3 -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x5A; open(p, "wb").write(b)' "$f"
done
mq "$LONG"
check "damaged caches are loaded around and the answer is the same" sh -c \
    '[ "$1" -eq 0 ] && cmp "$2" "$3"' _ "$LM_RC" "$MC/first.json" "$SCRATCH/out"
truncate -s -100 "$MC/models/ner.bin"
mq "$LONG"
ok "a truncated tagger file fails the query that needs it, named" \
    'test "$LM_RC" -ne 0 && err_has "ner.bin" && err_has "truncated"'
mq "breast cancer"
ok "a query the lexicon alone reads does not load the tagger" \
    'rc_is 0 && out_has "MESH:D001943"'

# A tiny BEIR set: 4 documents, 2 queries with known answers.
mkdir -p beir
cat >beir/corpus.jsonl <<'J'
{"_id": "d1", "title": "BRCA1 and DNA repair", "text": "BRCA1 promotes homologous recombination repair of DNA breaks."}
{"_id": "d2", "title": "Malaria drugs", "text": "Artemisinin clears Plasmodium parasites quickly."}
{"_id": "d3", "title": "Asthma steroids", "text": "Inhaled corticosteroids reduce asthma attacks in children."}
{"_id": "d4", "title": "Metformin", "text": "Metformin lowers glucose in type 2 diabetes and repair of tissue."}
J
printf '{"_id": "q1", "text": "BRCA1 homologous recombination"}\n{"_id": "q2", "text": "artemisinin malaria"}\n' >beir/queries.jsonl
printf 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n' >beir/qrels.tsv
lm eval search --corpus beir/corpus.jsonl --queries beir/queries.jsonl --qrels beir/qrels.tsv --mode lexical
ok "eval search prints the four metrics" 'rc_is 0 && out_has "^nDCG@10 1" && out_has "^Recall@100 1" && out_has "^MRR@10 1" && out_has "^latency_ms_median "'
lm eval search --corpus beir/missing.jsonl --queries beir/queries.jsonl --qrels beir/qrels.tsv
check "eval search with a missing corpus fails" test "$LM_RC" -ne 0
finish
