#!/bin/sh
# `litmine merge` and the Snakemake workflow: shard databases written by
# the full NLP chain over groups of files, merged in file order, must
# export byte for byte what one sequential ingest of the same files
# exports (articles, mentions, pairs, concepts; CSV and JSON Lines) — on
# the fixtures (new versions, an older version, DeleteCitations) and on
# NLM's bulk-file samples in ../shared/data when present.  Shards of
# another schema version, other models, an unknown table or a foreign
# embedding model are refused before anything is written; a dry run
# writes nothing; a merge killed with SIGKILL leaves the target as it was.
. "$(dirname "$0")/lib.sh"
cd "$SCRATCH" || exit 2

if [ ! -s "$ROOT/models/ner.bin" ]; then
    skip "merge" "models/ner.bin missing (make train)"
    finish
fi
# The full chain, as a cluster job runs it (embed is idle without a model).
printf '[models]\ndir = %s/models\n' "$ROOT" >full.conf
export LITMINE_CONFIG="$SCRATCH/full.conf"

C=$FIXTURES/cli P=$FIXTURES/pubmed
FILES="$C/articles.xml $C/update.xml $C/older.xml $P/articles.xml $P/update.xml"

# exports DB PREFIX: every export, CSV and JSON Lines, into PREFIX.*
exports() {
    for what in articles mentions pairs concepts; do
        for fmt in csv jsonl; do
            "$LITMINE" --db "$1" export "$what" --format $fmt --out "$2.$what.$fmt" || return 1
        done
    done
}

# same_exports A B: A.* and B.* exports identical and not all empty.
same_exports() {
    for f in "$1".*.csv "$1".*.jsonl; do
        cmp -s "$f" "$2${f#"$1"}" || { echo "    $f and $2${f#"$1"} differ" >&2; return 1; }
    done
    [ "$(cat "$1".mentions.csv | wc -l)" -gt 1 ] || { echo "    no mentions" >&2; return 1; }
}

# pubmed/update.xml holds an article without a PMID: exit 3, the rest stored.
lm --db seq.db ingest --threads 2 $FILES
check "sequential ingest of the fixtures" rc_is 3
exports seq.db seq
check "ingest records the models of sentences, ner and pairs" sql_is seq.db \
    "select group_concat(stage, ',') from (select stage from stage_models order by stage)" \
    "ner,pairs,sentences"

lm --db s1.db ingest --no-index $C/articles.xml $C/update.xml
check "shard 1 ingested" rc_is 0
lm --db s2.db ingest --no-index $C/older.xml $P/articles.xml
check "shard 2 ingested" rc_is 0
lm --db s3.db ingest --no-index $P/update.xml
check "shard 3 ingested" rc_is 3
lm merge s1.db s2.db s3.db --into merged.db
check "merge exits 0" rc_is 0
check "merge says what each shard brings" out_has "shard 2/3 s2.db: 3 articles (1 new, 2 replacing a stored version"
check "merge says what it replaces" out_has "2 stored articles are replaced by newer versions"
exports merged.db merged
check "merged exports equal the sequential ingest's" same_exports seq merged
check "the merged database's checks pass" sql_is merged.db "pragma integrity_check" ok
check "merged ingest log holds every file" sql_is merged.db "select count(*) from ingest_log" 5
check "merged articles are queued for the search index" sql_is merged.db \
    "select count(*) from articles where pmid not in (select pmid from search_indexed)" 0
check "deletions recorded" sql_is merged.db \
    "select count(*) from deleted_pmids" "$(sql seq.db 'select count(*) from deleted_pmids')"

# Shards merged before are skipped, as ingest skips files it logged.
lm merge s1.db s2.db s3.db --into merged.db
check "merging again: every shard skipped" out_has "shard 3/3 s3.db: already merged"
check "merging again: nothing changes" out_has "merging: 0 new articles; 0 stored"
exports merged.db again
check "merging again: exports unchanged" same_exports seq again

# What it would replace, without writing.
cp merged.db before.db
"$LITMINE" --db into.db ingest $C/articles.xml 2>>err
cp into.db into-before.db
lm merge --dry-run s1.db s2.db --into into.db
check "dry run exits 0" rc_is 0
check "dry run says what would be replaced" out_has "stored articles would be replaced"
check "dry run says nothing was written" out_has "dry run: nothing written"
check "dry run leaves the target unchanged" cmp -s into.db into-before.db

# Refusals: nothing written, exit 2, a clear message.
refused() {   # refused NAME EXPECTED-MESSAGE SHARD
    cp into-before.db into.db
    lm merge "$3" --into into.db
    check "$1: refused with exit 2" rc_is 2
    check "$1: says why" err_has "$2"
    check "$1: target unchanged" cmp -s into.db into-before.db
}
cp s1.db newer.db
sqlite3 newer.db "update schema_version set version = 99"
refused "newer schema" "newer.db.*schema version 99 is newer" newer.db
cp s1.db older.db
sqlite3 older.db "update schema_version set version = 9"
refused "older schema" "older.db.*schema version 9 is older" older.db
printf '[models]\ndir = %s/models\nner = %s/models/ner-ncbi.bin\n' "$ROOT" "$ROOT" >ncbi.conf
LITMINE_CONFIG=$SCRATCH/ncbi.conf "$LITMINE" --db othermodel.db ingest --no-index \
    $C/older.xml 2>>err
refused "other NER model" "annotated by different models" othermodel.db
cp s1.db extra.db
sqlite3 extra.db "create table extra_table (x)"
refused "unknown table" "cannot merge (extra_table)" extra.db
cp s1.db vectors.db
sqlite3 vectors.db "insert into embed_models (id, kind, dim, created_at, data)
    values (7, 'lsa', 2, '2026-01-01', x'00');
    insert into vectors select 7, pmid, 0, x'0000803f0000803f' from articles"
refused "vectors of an unknown embedding model" "vectors of embedding model 7" vectors.db
lm merge into.db --into into.db
check "the target itself as a shard: refused" rc_is 2
lm merge missing.db --into into.db
check "a missing shard: refused" rc_is 2
check "a missing shard: named" err_has "missing.db"
lm merge s1.db
check "no --into: usage error" rc_is 2

# kill -9 in the middle of a merge: the target is what it was.
python3 "$ROOT/scripts/gen-pubmed.py" --articles 20000 --start-pmid 50000000 --out big1.xml \
    "$C/articles.xml" >/dev/null
python3 "$ROOT/scripts/gen-pubmed.py" --articles 20000 --start-pmid 51000000 --out big2.xml \
    "$C/articles.xml" >/dev/null
"$LITMINE" --db big1.db ingest --no-index --stages none big1.xml 2>>err
"$LITMINE" --db big2.db ingest --no-index --stages none big2.xml 2>>err
"$LITMINE" --db kill.db ingest --stages none $C/articles.xml 2>>err
sql kill.db "select pmid, version, title from articles order by pmid" >kill-before.txt
"$LITMINE" merge big1.db big2.db --into kill.db >kill.out 2>kill.err &
pid=$!
i=0
while [ $i -lt 600 ] && ! grep -q "shard 1/2" kill.out; do sleep 0.05; i=$((i + 1)); done
kill -9 $pid
wait $pid
rc=$?
check "SIGKILL: the merge was killed part-way" test "$rc" -eq 137
check "SIGKILL: target passes integrity_check" sql_is kill.db "pragma integrity_check" ok
sql kill.db "select pmid, version, title from articles order by pmid" >kill-after.txt
check "SIGKILL: target holds what it held before" cmp -s kill-before.txt kill-after.txt
check "SIGKILL: no ingest-log rows from the shards" sql_is kill.db \
    "select count(*) from ingest_log" 1
"$LITMINE" merge big1.db big2.db --into kill.db >/dev/null 2>>err
check "SIGKILL: merging again completes" sql_is kill.db "select count(*) from articles" 40003

# The Snakemake workflow on the fixtures: 3 shard jobs of 2 files, merge.
snake() {   # snake DB GROUP-SIZE INDEX FILE...
    db=$1 group=$2 index=$3; shift 3
    list=$(printf '%s,' "$@")
    snakemake -s "$ROOT/workflow/Snakefile" --cores 2 --quiet \
        --config "files=[${list%,}]" db="$SCRATCH/$db" group_size=$group \
        litmine="$LITMINE" index=$index >"$db.snake.log" 2>&1
}
if ! command -v snakemake >/dev/null 2>&1; then
    skip "snakemake workflow" "snakemake is not installed (scripts/install-deps.sh)"
else
    snake wf.db 2 0 $FILES
    check "snakemake --cores 2 on the fixtures" test $? -eq 0
    check "snakemake: one shard per group of 2 files" test -s wf.db.shards/shard-00002.db
    exports wf.db wf
    check "snakemake: merged exports equal the sequential ingest's" same_exports seq wf
    snakemake -s "$ROOT/workflow/Snakefile" --profile "$ROOT/workflow/profiles/slurm" -n \
        --config files="$C/articles.xml" db="$SCRATCH/profile.db" >profile.log 2>&1
    check "the example Slurm profile is valid (dry run)" test $? -eq 0
fi

# NLM's bulk-file samples (baseline and update files), in file order.
BULK=$SHARED/pubmed_eutils/pmparser_bulk_samples
if [ -z "$SHARED" ] || [ ! -d "$BULK" ]; then
    skip "bulk samples" "../shared/data absent"
elif ! command -v snakemake >/dev/null 2>&1; then
    skip "bulk samples" "snakemake is not installed"
else
    BULK_FILES=$(ls "$BULK"/*.xml.gz | sort)
    "$LITMINE" --db bulk-seq.db ingest --threads 2 $BULK_FILES 2>>err
    check "bulk samples: sequential ingest" test $? -eq 0
    exports bulk-seq.db bulk-seq
    snake bulk.db 1 1 $BULK_FILES
    check "bulk samples: snakemake with index build" test $? -eq 0
    check "bulk samples: index built" test -e bulk.db.indexed
    exports bulk.db bulk
    check "bulk samples: merged exports equal the sequential ingest's" \
        same_exports bulk-seq bulk
    check "bulk samples: deletions applied" sql_is bulk.db \
        "select count(*) from deleted_pmids" "$(sql bulk-seq.db 'select count(*) from deleted_pmids')"
    lm --db bulk.db query "cancer"
    check "bulk samples: the merged database answers queries" rc_is 0
fi
finish
