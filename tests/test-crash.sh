#!/bin/sh
# Crash safety: kill `litmine ingest` with SIGKILL in the middle of a large
# file, check the database opens, passes integrity_check, and that a rerun
# completes with every article exactly once.  Then the same with SIGINT,
# which must commit the open batch, log the ingest as interrupted and exit
# 130.  Then kill -9 during `reprocess` and during `index build`: the
# database passes its checks and a rerun gives what a run never
# interrupted gives; the same for each step of the vector file's append,
# with new articles only and with a night of revisions and deletions.
. "$(dirname "$0")/lib.sh"
cd "$SCRATCH" || exit 2
N=20000
python3 "$ROOT/scripts/gen-pubmed.py" --articles $N --out big.xml \
    "$FIXTURES/cli/articles.xml" >/dev/null

# Waits until the query $2 on database $1 yields at least $3 (max ~60 s).
wait_for() {
    i=0
    while [ $i -lt 600 ]; do
        n=$(sqlite3 "$1" "$2" 2>/dev/null || echo 0)
        [ "${n:-0}" -ge "$3" ] && return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}

for sig in KILL INT; do
    DB=$SCRATCH/crash-$sig.db
    "$LITMINE" --db "$DB" ingest --batch-size 200 big.xml 2>"$SCRATCH/err-$sig" &
    pid=$!
    if ! wait_for "$DB" "select count(*) from articles" 1000; then
        kill -9 $pid 2>/dev/null
        check "SIG$sig: ingest made progress" false
        continue
    fi
    kill -$sig $pid
    wait $pid
    rc=$?
    partial=$(sqlite3 "$DB" "select count(*) from articles")
    if [ "$sig" = KILL ]; then
        check "SIGKILL: process died by the signal" test "$rc" -eq 137
    else
        check "SIGINT: exit status 130" test "$rc" -eq 130
        check "SIGINT: ingest logged as interrupted" sql_is "$DB" \
            "select status from ingest_log order by id desc limit 1" interrupted
    fi
    check "SIG$sig: stopped part-way ($partial of $N)" test "$partial" -lt $N
    check "SIG$sig: integrity_check passes" sql_is "$DB" "pragma integrity_check" ok
    check "SIG$sig: foreign keys consistent" sql_is "$DB" "pragma foreign_key_check" ""
    "$LITMINE" --db "$DB" ingest --batch-size 200 big.xml 2>>"$SCRATCH/err-$sig"
    check "SIG$sig: rerun completes" test $? -eq 0
    check "SIG$sig: every article exactly once" sql_is "$DB" \
        "select count(*) || '|' || count(distinct pmid) from articles" "$N|$N"
    check "SIG$sig: rerun skipped what was already stored" sql_is "$DB" \
        "select unchanged from ingest_log where status='done'" "$partial"
done

# Kills "$@" (run in the background) with SIGKILL once wait_for $1 $2 $3.
kill_when() {
    db=$1 query=$2 least=$3; shift 3
    "$@" 2>>"$SCRATCH/err-trial" &
    pid=$!
    if ! wait_for "$db" "$query" "$least"; then
        kill -9 $pid 2>/dev/null
        wait $pid
        return 1
    fi
    kill -9 $pid
    wait $pid
    [ $? -eq 137 ]
}
consistent() {
    [ "$(sqlite3 "$1" "pragma integrity_check")" = ok ] &&
        [ -z "$(sqlite3 "$1" "pragma foreign_key_check")" ]
}

# --- kill -9 during reprocess ---------------------------------------------
printf '[pipeline]\nstages = sentences\n[store]\nbatch_size = 200\n' >"$SCRATCH/rp.conf"
export LITMINE_CONFIG="$SCRATCH/rp.conf"
"$LITMINE" --db clean.db ingest --stages none --no-index big.xml 2>>"$SCRATCH/err-trial"
sqlite3 clean.db "vacuum into 'rp.db'"
"$LITMINE" --db clean.db reprocess --stages sentences 2>>"$SCRATCH/err-trial"
check "reprocess: a clean run" test $? -eq 0
check "reprocess: killed with SIGKILL part-way" kill_when rp.db \
    "select count(distinct pmid) from sentences" 1000 "$LITMINE" --db rp.db reprocess --stages sentences
partial=$(sqlite3 rp.db "select count(distinct pmid) from sentences")
check "reprocess: stopped part-way ($partial of $N)" test "$partial" -lt $N
check "reprocess: integrity and foreign keys hold after the kill" consistent rp.db
"$LITMINE" --db rp.db reprocess --stages sentences 2>>"$SCRATCH/err-trial"
check "reprocess: the rerun completes" test $? -eq 0
sqlite3 clean.db "select * from sentences order by pmid, idx" >clean.sentences
sqlite3 rp.db "select * from sentences order by pmid, idx" >rp.sentences
check "reprocess: the rerun gives what the clean run gave" cmp -s clean.sentences rp.sentences

# --- kill -9 during index build -------------------------------------------
sqlite3 clean.db "vacuum into 'ib.db'"
"$LITMINE" --db clean.db index build 2>>"$SCRATCH/err-trial"
check "index build: a clean run" test $? -eq 0
check "index build: killed with SIGKILL part-way" kill_when ib.db \
    "select count(*) from vectors" 1 "$LITMINE" --db ib.db index build
check "index build: the kill left the model unfinished" sql_is ib.db \
    "select count(*) from embed_models where state = 'ready'" 0
check "index build: integrity and foreign keys hold after the kill" consistent ib.db
"$LITMINE" --db ib.db index build 2>>"$SCRATCH/err-trial"
check "index build: the rerun completes" test $? -eq 0
# each vector whichever copy holds it (its row or the vector file)
vectors_of() { python3 "$ROOT/tests/vectors_dump.py" "$1" | cut -d'|' -f2-; }
for db in clean ib; do
    sqlite3 $db.db "select state, count(*) from embed_models group by state" >$db.models
    vectors_of $db.db >$db.vectors
done
check "index build: the rerun leaves one model, nothing half-built" cmp -s clean.models ib.models
check "index build: the clean run's vectors are all readable" \
    sh -c '[ -s clean.vectors ] && ! grep -q MISSING clean.vectors'
check "index build: the rerun's vectors are the clean run's" cmp -s clean.vectors ib.vectors
"$LITMINE" --db ib.db index check >/dev/null 2>>"$SCRATCH/err-trial"
check "index build: index check passes after the rerun" test $? -eq 0

# --- kill -9 at each step of the vector file's compaction -------------------
# (LITMINE_TEST_COMPACT_KILL=N: SIGKILL after .next is written, after the
# database commit, after the rename; store/search/lm_vec_cache.c.  Only
# the sanitizer builds make check runs have these crash points.)
for step in 1 2 3; do
    rm -f c$step.db*
    sqlite3 clean.db "vacuum into 'c$step.db'"
    cp clean.db.vectors c$step.db.vectors
    LITMINE_TEST_COMPACT_KILL=$step "$LITMINE" --db c$step.db index build 2>>"$SCRATCH/err-trial"
    rc=$?
    if [ $step = 1 ] && [ $rc = 0 ]; then
        skip "compaction crash points" "$LITMINE has none (a release build: use litmine-asan)"
        crash_points_missing=1
        break
    fi
    check "compaction step $step: index build killed there" test $rc -eq 137
    check "compaction step $step: integrity and foreign keys hold" consistent c$step.db
    "$LITMINE" --db c$step.db index check >/dev/null 2>>"$SCRATCH/err-trial"
    check "compaction step $step: index check passes before any repair" test $? -eq 0
    "$LITMINE" --db c$step.db query "cisplatin" >/dev/null 2>>"$SCRATCH/err-trial"
    check "compaction step $step: queries answer before any repair" test $? -eq 0
    "$LITMINE" --db c$step.db index build 2>>"$SCRATCH/err-trial"
    check "compaction step $step: the rerun completes" test $? -eq 0
    vectors_of c$step.db >c$step.vectors
    check "compaction step $step: the rerun's vectors are the clean run's" \
        cmp -s clean.vectors c$step.vectors
    check "compaction step $step: no .next left" test ! -e c$step.db.vectors.next
done

# NAME.db and its vector file: a copy of clean.db's.
clean_copy() {
    rm -f "$1".db*
    sqlite3 clean.db "vacuum into '$1.db'"
    cp clean.db.vectors "$1".db.vectors
}

# After a refresh killed at a step, on NAME.db: the vectors and answers of
# REF (an ingest of XML never interrupted) before any repair; then, after
# the rerun of the ingest and a refresh, every article once, the same
# vector file, and REF's vectors and answers.  LABEL names the checks.
killed_then_rerun() {
    kr_label=$1 kr_db=$2 kr_xml=$3 kr_ref=$4
    "$LITMINE" --db $kr_db.db index check >/dev/null 2>>"$SCRATCH/err-trial"
    check "$kr_label: index check passes before any repair" test $? -eq 0
    vectors_of $kr_db.db >$kr_db.vectors
    check "$kr_label: the same vectors before any repair" cmp -s $kr_ref.vectors $kr_db.vectors
    "$LITMINE" --db $kr_db.db query "cisplatin" >$kr_db.query 2>>"$SCRATCH/err-trial"
    check "$kr_label: the same answers before any repair" cmp -s $kr_ref.query $kr_db.query
    "$LITMINE" --db $kr_db.db ingest --stages sentences,embed $kr_xml 2>>"$SCRATCH/err-trial"
    check "$kr_label: the rerun completes" test $? -eq 0
    "$LITMINE" --db $kr_db.db index refresh 2>>"$SCRATCH/err-trial"
    check "$kr_label: every article once" sql_is $kr_db.db \
        "select count(*) - count(distinct pmid) from articles" 0
    check "$kr_label: still the same file" sql_is $kr_db.db \
        "select file_id from vector_files" "$file_before"
    vectors_of $kr_db.db >$kr_db.vectors
    check "$kr_label: the rerun's vectors are the clean run's" cmp -s $kr_ref.vectors $kr_db.vectors
    "$LITMINE" --db $kr_db.db query "cisplatin" >$kr_db.query 2>>"$SCRATCH/err-trial"
    check "$kr_label: the rerun's answers are the clean run's" cmp -s $kr_ref.query $kr_db.query
}

# --- kill -9 at each step of an append to the vector file ------------------
# An ingest of articles with newer PMIDs appends their vectors to the file
# in place (LITMINE_TEST_COMPACT_KILL=4: rows written not synced, 5: synced
# not committed, 6: committed).  Each kill leaves a database that answers
# queries; the rerun gives the vectors and answers of an ingest never
# interrupted, every article once.
python3 "$ROOT/scripts/gen-pubmed.py" --articles 300 --start-pmid 90000000 --out more.xml \
    "$FIXTURES/cli/articles.xml" >/dev/null
sqlite3 clean.db "vacuum into 'ap.db'"
cp clean.db.vectors ap.db.vectors
file_before=$(sqlite3 ap.db "select file_id from vector_files")
"$LITMINE" --db ap.db ingest --stages sentences,embed more.xml 2>>"$SCRATCH/err-trial"
check "append: an ingest never interrupted" test $? -eq 0
check "append: the new vectors went into the same file" sql_is ap.db \
    "select file_id from vector_files" "$file_before"
check "append: no vector left in the database" sql_is ap.db \
    "select count(*) from vectors where length(vec) > 0" 0
vectors_of ap.db >ap.vectors
"$LITMINE" --db ap.db query "cisplatin" >ap.query 2>>"$SCRATCH/err-trial"
check "append: the query answers" test -s ap.query
for step in 4 5 6; do
    [ -n "$crash_points_missing" ] && break
    clean_copy a$step
    LITMINE_TEST_COMPACT_KILL=$step "$LITMINE" --db a$step.db ingest --stages sentences,embed \
        more.xml 2>>"$SCRATCH/err-trial"
    rc=$?
    if [ $rc = 0 ]; then
        skip "append crash points" "$LITMINE has none (a release build: use litmine-asan)"
        break
    fi
    check "append step $step: ingest killed there" test $rc -eq 137
    check "append step $step: integrity and foreign keys hold" consistent a$step.db
    killed_then_rerun "append step $step" a$step more.xml ap
    check "append step $step: nothing left in the database after a refresh" sql_is a$step.db \
        "select count(*) from vectors where length(vec) > 0" 0
done

# --- a night of revisions and deletions: shadowed, not rewritten -----------
# An update file of 100 revised articles (other text), 200 new ones and 50
# DeleteCitations: the revised and deleted rows stay in the vector file,
# shadowed by the database (a full row, a void mark), since they are under
# 10% of its rows; the new rows are appended.  Killed at each step of that
# refresh (4-6), the database answers as before any repair, and the rerun
# as a run never interrupted.
python3 - more.xml night.xml <<'PY'
import re, sys
arts = re.findall(r"<PubmedArticle>.*?</PubmedArticle>", open(sys.argv[1]).read(), re.S)
out = []
for j, a in enumerate(arts):
    if j < 100:
        a = re.sub(r'<PMID Version="1">\d+</PMID>', '<PMID Version="1">%d</PMID>' % (50000001 + j),
                   a, count=1)
    out.append(a)
dels = "".join('<PMID Version="1">%d</PMID>' % (50001000 + i) for i in range(50))
open(sys.argv[2], "w").write('<?xml version="1.0" encoding="UTF-8"?>\n<PubmedArticleSet>\n'
                             + "\n".join(out) + "\n<DeleteCitation>" + dels
                             + "</DeleteCitation>\n</PubmedArticleSet>\n")
PY
clean_copy nt
inode_before=$(ls -i nt.db.vectors | cut -d' ' -f1)
"$LITMINE" --db nt.db ingest --stages sentences,embed night.xml 2>>"$SCRATCH/err-trial"
check "night: an ingest never interrupted" test $? -eq 0
check "night: the vector file kept (same id)" sql_is nt.db \
    "select file_id from vector_files" "$file_before"
check "night: the vector file kept (same inode)" test "$(ls -i nt.db.vectors | cut -d' ' -f1)" = "$inode_before"
check "night: the revisions stay full rows" sql_is nt.db \
    "select count(*) from vectors where length(vec) > 0" 100
check "night: the deleted articles have no vector" sql_is nt.db \
    "select count(*) from vectors where pmid between 50001000 and 50001049" 0
"$LITMINE" --db nt.db index check >/dev/null 2>>"$SCRATCH/err-trial"
check "night: index check passes" test $? -eq 0
vectors_of nt.db >nt.vectors
"$LITMINE" --db nt.db query "cisplatin" >nt.query 2>>"$SCRATCH/err-trial"
check "night: the query answers" test -s nt.query
"$LITMINE" --db nt.db query -k 1000 --mode dense "cisplatin" >nt.deep 2>>"$SCRATCH/err-trial"
check "night: no deleted article answers" sh -c '! grep -q "500010[0-4][0-9]" nt.deep'
for step in 4 5 6; do
    [ -n "$crash_points_missing" ] && break
    clean_copy n$step
    LITMINE_TEST_COMPACT_KILL=$step "$LITMINE" --db n$step.db ingest --stages sentences,embed \
        night.xml 2>>"$SCRATCH/err-trial"
    check "night step $step: ingest killed there" test $? -eq 137
    check "night step $step: integrity and foreign keys hold" consistent n$step.db
    killed_then_rerun "night step $step" n$step night.xml nt
    check "night step $step: the revisions stay full rows" sql_is n$step.db \
        "select count(*) from vectors where length(vec) > 0" 100
done
finish
