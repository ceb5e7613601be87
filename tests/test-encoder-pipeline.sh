#!/bin/sh
# Transformer encoders inside the pipeline, on the tiny fixture models:
# [embed] model makes ingest store vectors of the model's dimension under
# an "encoder" model, and query use it; a changed model is refused by
# query (lexical search still works) until `index build` re-embeds;
# [ner] model (and `tag --model DIR`, `eval cid --ner-model DIR`) tag with a
# token-classification model
# whose mentions reach export, normalised like the CRF's; and ingest gives
# the same mentions, pairs and vectors with 1 or 3 threads.  [embed] and
# [ner] precision = bf16 (and model embed --precision): refused when unknown
# or when the CPU lacks AVX512_BF16, else the same mentions as f32 (scores
# aside), vectors within cosine 0.999, identical for 1 and 3 threads.
. "$(dirname "$0")/lib.sh"
cd "$SCRATCH" || exit 2
FX=$ROOT/tests/fixtures/encoder
python3 - >"$SCRATCH/corpus.xml" <<'PY'
from xml.sax.saxutils import escape
docs = [
    ("BRCA1 mutation and DNA repair in breast cancer",
     "BRCA1 deficient cells showed impaired double strand break repair."),
    ("Naloxone and clonidine in hypertensive rats",
     "Naloxone reversed the antihypertensive effect of clonidine."),
    ("Cisplatin nephrotoxicity",
     "Cisplatin-induced acute kidney injury was reduced by magnesium."),
    ("Metformin in type 2 diabetes",
     "Metformin lowered HbA1c; lactic acidosis was rare."),
    ("Artemisinin resistance in malaria",
     "Kelch13 mutations were associated with delayed parasite clearance."),
    ("Inhaled corticosteroids and asthma",
     "Budesonide reduced asthma exacerbations in children."),
]
print('<?xml version="1.0" encoding="UTF-8"?>\n<PubmedArticleSet>')
for i, (t, a) in enumerate(docs):
    print(f'<PubmedArticle><MedlineCitation><PMID Version="1">{80000000 + i}</PMID><Article>'
          f'<Journal><Title>J</Title><JournalIssue><PubDate><Year>2020</Year></PubDate>'
          f'</JournalIssue></Journal><ArticleTitle>{escape(t)}</ArticleTitle>'
          f'<Abstract><AbstractText>{escape(a)}</AbstractText></Abstract></Article>'
          f'</MedlineCitation></PubmedArticle>')
print('</PubmedArticleSet>')
PY
conf() {   # conf FILE EMBED_DIR [NER_DIR]
    {
        printf '[models]\ndir = %s/models\n' "$ROOT"
        printf '[pipeline]\nstages = sentences,ner,pairs,embed\n'
        printf '[embed]\nmodel = %s\n' "$2"
        [ -n "${3:-}" ] && printf '[ner]\nmodel = %s\n' "$3"
    } >"$1"
}

# ---- embeddings ------------------------------------------------------------
conf "$SCRATCH/st.conf" "$FX/bert-st-bf16" "$FX/bert-uncased-ner"
DB=$SCRATCH/e.db
LITMINE_CONFIG=$SCRATCH/st.conf lm --db "$DB" ingest "$SCRATCH/corpus.xml"
check "ingest with [embed] model exits 0" rc_is 0
check "the encoder becomes the current model" \
    sql_is "$DB" "select kind || ' ' || dim || ' ' || state from embed_models" "encoder 32 ready"
check "the model record names the directory and content id" \
    sql_is "$DB" "select json_extract(data, '\$.dir') = '$FX/bert-st-bf16' and length(json_extract(data, '\$.content_id')) = 64 from embed_models" 1
LITMINE_CONFIG=$SCRATCH/st.conf lm --db "$DB" index info
check "every article has a vector of it" out_has "^vectors  *6$"
check "index info describes the encoder" out_has "encoder  *$FX/bert-st-bf16 (content id [0-9a-f]\{8\}, mean pooling, 32 dimensions)"
LITMINE_CONFIG=$SCRATCH/st.conf lm --db "$DB" query --mode dense -k 6 --json "BRCA1 repair"
ok "a dense query is answered with the encoder" 'rc_is 0 && out_has "80000000"'
# Without [embed] model, the encoder named in the store embeds the query.
lm --db "$DB" query --mode dense -k 6 --json "BRCA1 repair"
check "query without [embed] model uses the stored encoder" rc_is 0

# ---- a changed model -------------------------------------------------------
conf "$SCRATCH/cls.conf" "$FX/bert-cased-cls" "$FX/bert-uncased-ner"
LITMINE_CONFIG=$SCRATCH/cls.conf lm --db "$DB" query "BRCA1 repair"
check "query after the model changed fails" rc_is 2
check "... saying which model made the vectors and what to run" \
    err_has "the stored vectors were made by $FX/bert-st-bf16 .*run \`litmine index build\`"
LITMINE_CONFIG=$SCRATCH/cls.conf lm --db "$DB" query --mode lexical "BRCA1 repair"
ok "lexical search still works meanwhile" 'rc_is 0 && out_has "PMID 80000000"'
LITMINE_CONFIG=$SCRATCH/cls.conf lm --db "$DB" ingest "$SCRATCH/corpus.xml"
check "ingest meanwhile works" rc_is 0
LITMINE_CONFIG=$SCRATCH/cls.conf lm --db "$DB" index info
ok "... and adds no vector of the new model to the old one" \
    'out_has "^vectors  *6$" && out_has "bert-st-bf16"'
LITMINE_CONFIG=$SCRATCH/cls.conf lm --db "$DB" index build
check "index build re-embeds with the new model" rc_is 0
check "... says so" err_has "encoder $FX/bert-cased-cls, 20 dimensions"
check "... the new model is current, the old one retired" \
    sql_is "$DB" "select group_concat(dim || ' ' || state, ',') from embed_models order by id" "32 retired,20 ready"
LITMINE_CONFIG=$SCRATCH/cls.conf lm --db "$DB" index info
ok "... with a vector of 20 dimensions per article" \
    'out_has "^vectors  *6$" && out_has "bert-cased-cls (content id [0-9a-f]*, mean pooling, 20 dimensions)"'
LITMINE_CONFIG=$SCRATCH/cls.conf lm --db "$DB" query --mode dense "BRCA1 repair"
check "query works again" rc_is 0
LITMINE_CONFIG=$SCRATCH/cls.conf lm --db "$DB" index build
check "a second build with the same model has nothing to redo" err_has "already current"

# ---- NER -------------------------------------------------------------------
lm --db "$DB" export mentions --format tsv
check "export lists the encoder's mentions" rc_is 0
ok "... typed Chemical or Disease only" \
    '[ "$(tail -n +2 "$SCRATCH/out" | wc -l)" -gt 0 ] && ! tail -n +2 "$SCRATCH/out" | grep -q "	Gene	"'
lm --db "$DB" export mentions --format tsv --type Chemical
ok "... Chemical mentions are there" '[ "$(tail -n +2 "$SCRATCH/out" | wc -l)" -gt 0 ]'
printf 'Naloxone reversed the antihypertensive effect of clonidine.\n' >"$SCRATCH/text"
LITMINE_CONFIG=$SCRATCH/st.conf lm tag --model "$FX/bert-uncased-ner" --format jsonl <"$SCRATCH/text"
ok "tag --model DIR tags with the encoder" 'rc_is 0 && out_has "\"type\":\"Chemical\""'
lm tag --model "$FX/bert-st-bf16" <"$SCRATCH/text"
ok "tag --model DIR refuses a model without a token head" \
    'rc_is 2 && err_has "not a token-classification model"'
conf "$SCRATCH/bad.conf" "$FX/bert-st-bf16" "$FX/bert-cased-cls"
LITMINE_CONFIG=$SCRATCH/bad.conf lm --db "$SCRATCH/bad.db" ingest "$SCRATCH/corpus.xml"
ok "ingest refuses a [ner] model that is not a tagger" \
    'rc_is 2 && err_has "\[ner\] model"'

LITMINE_CONFIG=$SCRATCH/st.conf lm eval cid --gold "$ROOT/tests/fixtures/cid/small.pubtator" \
    --ner-model "$FX/bert-uncased-ner" --save-pred "$SCRATCH/cid.pred"
ok "eval cid --ner-model DIR predicts with the encoder" \
    'rc_is 0 && grep -q "	Chemical	" "$SCRATCH/cid.pred"'

# eval search scores the configured encoder.
mkdir -p beir
printf '%s\n' '{"_id": "d1", "title": "BRCA1", "text": "BRCA1 promotes DNA repair."}' \
    '{"_id": "d2", "title": "Malaria", "text": "Artemisinin clears parasites."}' >beir/corpus.jsonl
printf '{"_id": "q1", "text": "BRCA1 repair"}\n' >beir/queries.jsonl
printf 'query-id\tcorpus-id\tscore\nq1\td1\t1\n' >beir/qrels.tsv
LITMINE_CONFIG=$SCRATCH/st.conf lm --verbose eval search --corpus beir/corpus.jsonl \
    --queries beir/queries.jsonl --qrels beir/qrels.tsv --mode dense
ok "eval search embeds with [embed] model" \
    'rc_is 0 && err_has "encoder .*bert-st-bf16, 32 dims" && out_has "^nDCG@10 "'

# ---- bf16 precision ---------------------------------------------------------
bconf() {   # bconf FILE EMBED_PRECISION NER_PRECISION
    conf "$1" "$FX/bert-st-bf16" "$FX/bert-uncased-ner"
    printf '[embed]\nprecision = %s\n[ner]\nprecision = %s\n' "$2" "$3" >>"$1"
}
bconf "$SCRATCH/bad-prec.conf" fp8 f32
LITMINE_CONFIG=$SCRATCH/bad-prec.conf lm --db "$SCRATCH/bp.db" ingest "$SCRATCH/corpus.xml"
ok "an unknown [embed] precision is refused" \
    'rc_is 2 && err_has "\[embed\] precision \"fp8\": use f32 or bf16"'
bconf "$SCRATCH/bf16.conf" bf16 bf16
LITMINE_CPU_NO_AVX512BF16=1 LITMINE_CONFIG=$SCRATCH/bf16.conf lm --db "$SCRATCH/nocpu.db" \
    ingest "$SCRATCH/corpus.xml"
ok "bf16 on a CPU without AVX512_BF16 is refused, saying why" \
    'rc_is 2 && err_has "precision bf16 needs a CPU with AVX512_BF16"'
lm model info "$FX/bert-uncased-ner"
if grep -q "^precision: .* available on this CPU" "$SCRATCH/out"; then
    for n in 1 3; do
        LITMINE_CONFIG=$SCRATCH/bf16.conf lm --db "$SCRATCH/b$n.db" ingest --threads $n "$SCRATCH/corpus.xml"
        check "ingest with [embed] and [ner] precision = bf16, $n thread(s)" rc_is 0
        lm --db "$SCRATCH/b$n.db" export mentions --format tsv --out "$SCRATCH/bm$n.tsv"
        LITMINE_CONFIG=$SCRATCH/bf16.conf lm --db "$SCRATCH/b$n.db" query --mode dense -k 6 --json "BRCA1 repair"
        cp "$SCRATCH/out" "$SCRATCH/bv$n.txt"
    done
    ok "bf16: same mentions and vectors with 1 and 3 threads" \
        'cmp -s "$SCRATCH/bm1.tsv" "$SCRATCH/bm3.tsv" && cmp -s "$SCRATCH/bv1.txt" "$SCRATCH/bv3.txt" && grep -q 80000005 "$SCRATCH/bv1.txt"'
    # an f32 run for comparison: same mention spans, types and concepts
    LITMINE_CONFIG=$SCRATCH/st.conf lm --db "$SCRATCH/f.db" ingest "$SCRATCH/corpus.xml"
    lm --db "$SCRATCH/f.db" export mentions --format tsv --out "$SCRATCH/fm.tsv"
    cut -f1-7 "$SCRATCH/fm.tsv" >"$SCRATCH/fm7.tsv"
    cut -f1-7 "$SCRATCH/bm1.tsv" >"$SCRATCH/bm7.tsv"
    ok "bf16 tags the same mentions as f32 on the fixture model (scores aside)" \
        'cmp -s "$SCRATCH/fm7.tsv" "$SCRATCH/bm7.tsv" && [ "$(wc -l <"$SCRATCH/fm7.tsv")" -gt 1 ]'
    printf 'BRCA1 repair in breast cancer\nNaloxone reversed clonidine\n' >"$SCRATCH/texts"
    lm model embed "$FX/bert-st-bf16" <"$SCRATCH/texts"
    cp "$SCRATCH/out" "$SCRATCH/e32.txt"
    lm model embed "$FX/bert-st-bf16" --precision bf16 <"$SCRATCH/texts"
    ok "model embed --precision bf16: vectors within cosine 0.999 of f32's, not equal" \
        'rc_is 0 && python3 -c "
import json, math, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert len(a) == len(b) == 2 and a != b
for x, y in zip(a, b):
    c = sum(p * q for p, q in zip(x, y)) / math.sqrt(sum(p * p for p in x) * sum(q * q for q in y))
    assert c > 0.999, c
" "$SCRATCH/e32.txt" "$SCRATCH/out"'
else
    skip "bf16 precision in the pipeline" "this CPU has no AVX512_BF16"
fi
lm model embed "$FX/bert-st-bf16" --precision half </dev/null
ok "model embed refuses an unknown --precision" 'rc_is 2 && err_has "\"half\": use f32 or bf16"'

# ---- the thread count changes nothing --------------------------------------
for n in 1 3; do
    LITMINE_CONFIG=$SCRATCH/st.conf lm --db "$SCRATCH/t$n.db" ingest --threads $n "$SCRATCH/corpus.xml"
    check "ingest with $n thread(s)" rc_is 0
    lm --db "$SCRATCH/t$n.db" export mentions --format tsv --out "$SCRATCH/m$n.tsv"
    lm --db "$SCRATCH/t$n.db" export pairs --all-candidates --format tsv --out "$SCRATCH/p$n.tsv"
    # Equal scores for every article: equal vectors (whatever their encoding).
    LITMINE_CONFIG=$SCRATCH/st.conf lm --db "$SCRATCH/t$n.db" query --mode dense -k 6 --json "BRCA1 repair"
    cp "$SCRATCH/out" "$SCRATCH/v$n.txt"
done
ok "same mentions with 1 and 3 threads" 'cmp -s "$SCRATCH/m1.tsv" "$SCRATCH/m3.tsv" && [ -s "$SCRATCH/m1.tsv" ]'
ok "same pairs with 1 and 3 threads" 'cmp -s "$SCRATCH/p1.tsv" "$SCRATCH/p3.tsv"'
ok "same vectors with 1 and 3 threads" 'cmp -s "$SCRATCH/v1.txt" "$SCRATCH/v3.txt" && grep -q 80000005 "$SCRATCH/v1.txt"'
finish
