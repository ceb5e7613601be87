#!/bin/sh
# `litmine reprocess` replaces what it recomputes and nothing else: row
# counts and contents of every derived table before and after a rerun of
# each stage, the stages added because they read what is replaced, the
# announcement before anything starts, and the stored inputs a rerun stage
# reads (pairs from stored mentions, ner with stored sentences).  Uses the
# committed models; skipped when models/ner.bin is absent.
. "$(dirname "$0")/lib.sh"
cd "$SCRATCH" || exit 2
if [ ! -s "$ROOT/models/ner.bin" ]; then
    skip "reprocess" "models/ner.bin missing (make train)"
    finish
    exit $?
fi
printf '[models]\ndir = %s/models\n[pipeline]\nstages = sentences,ner,pairs,embed\n' "$ROOT" \
    >"$SCRATCH/full.conf"
export LITMINE_CONFIG="$SCRATCH/full.conf"
DB=$SCRATCH/rp.db

# Enough articles for the embedding fit: the fixtures, each repeated under
# new PMIDs.
python3 "$ROOT/scripts/gen-pubmed.py" --articles 24 --out gen.xml \
    "$FIXTURES/cli/articles.xml" "$FIXTURES/pubmed/articles.xml" >/dev/null
lm --db "$DB" ingest "$FIXTURES/cli/articles.xml" "$FIXTURES/pubmed/articles.xml" \
    "$FIXTURES/pubmed/book.xml" gen.xml
check "ingest with the full chain" rc_is 0
lm --db "$DB" index build
check "index build fits an embedding" rc_is 0

# One file per derived table: its rows (mention ids left out: they are
# rowids) and, in counts, the number of rows of each.
snapshot() {
    sql "$DB" "select pmid, idx, start, \"end\" from sentences order by 1, 2" >"$1.sentences"
    sql "$DB" "select pmid, start, \"end\", text, type, concept_id, sentence, score
               from mentions order by 1, 2, 3, 5" >"$1.mentions"
    sql "$DB" "select * from abbreviations order by 1, 4" >"$1.abbreviations"
    sql "$DB" "select * from pairs order by 1, 2, 4" >"$1.pairs"
    # each vector whichever copy holds it (a row, or the vector file)
    python3 "$ROOT/tests/vectors_dump.py" "$DB" >"$1.vectors"
    for t in sentences mentions abbreviations pairs vectors; do
        printf '%s=%s ' $t "$(wc -l <"$1.$t")"
    done >"$1.counts"
}
same() { cmp -s "before.$1" "after.$1" || { echo "    $1 changed: $(cat before.counts) -> $(cat after.counts)" >&2; return 1; }; }
N=$(sql "$DB" "select count(*) from articles")
snapshot before
ok "every vector is read back, from its row or the vector file" \
    '[ -s before.vectors ] && ! grep -q MISSING before.vectors'
ok "every derived table has rows" '! grep -q "=0 " before.counts || { cat before.counts >&2; false; }'

lm --db "$DB" reprocess --stages embed
snapshot after
check "reprocess --stages embed exits 0" rc_is 0
for t in sentences mentions abbreviations pairs; do
    check "--stages embed keeps every row of $t" same $t
done
check "--stages embed rewrites the vectors to the same values" same vectors
check "--stages embed says what it replaces and keeps" err_has \
    "running embed over $N articles: replaces their vectors; keeps their sentences, mentions, abbreviations and pairs"

lm --db "$DB" reprocess --stages ner
snapshot after
check "reprocess --stages ner exits 0" rc_is 0
check "--stages ner says pairs are rerun, before it starts" err_has "pairs runs too"
check "--stages ner announces what it replaces" err_has \
    "running ner and pairs over $N articles: replaces their mentions, abbreviations and pairs; keeps their sentences and vectors"
for t in sentences vectors; do
    check "--stages ner keeps every row of $t" same $t
done
for t in mentions abbreviations pairs; do
    check "--stages ner recomputes $t to the same rows" same $t
done

lm --db "$DB" reprocess --stages pairs
snapshot after
check "reprocess --stages pairs runs alone, from the stored mentions" rc_is 0
check "--stages pairs reruns nothing else" err_has "running pairs over $N articles"
for t in sentences mentions abbreviations vectors; do
    check "--stages pairs keeps every row of $t" same $t
done
check "--stages pairs from stored mentions gives the same pairs" same pairs

lm --db "$DB" reprocess --stages sentences --since 2000-01-01
snapshot after
check "reprocess --stages sentences exits 0" rc_is 0
check "--stages sentences reruns ner and pairs too" err_has "ner and pairs run too"
check "--stages sentences keeps the vectors" same vectors
for t in sentences mentions abbreviations pairs; do
    check "--stages sentences recomputes $t to the same rows" same $t
done

lm --db "$DB" --quiet reprocess --stages embed
check "--quiet silences the announcement" test ! -s "$SCRATCH/err"

# Articles stored without annotations: ner keeps its own sentence split
# with the mentions that refer to it; nothing else appears or goes.
DB2=$SCRATCH/bare.db
lm --db "$DB2" ingest --stages none "$FIXTURES/pubmed/articles.xml"
lm --db "$DB2" reprocess --stages sentences
ok "sentences alone where nothing is computed from them" 'rc_is 0 && ! grep -q "too" "$SCRATCH/err"'
lm --db "$DB2" reprocess --stages ner
check "ner over articles without sentences exits 0" rc_is 0
ok "ner stores the sentences its mentions refer to" '[ "$(sql "$DB2" "select count(*) from mentions m
    where m.sentence is null or not exists (select 1 from sentences s
    where s.pmid = m.pmid and s.idx = m.sentence)")" = 0 ] &&
    [ "$(sql "$DB2" "select count(*) from mentions")" -gt 0 ]'
finish
