#!/bin/sh
# Crash safety: kill `litmine ingest` with SIGKILL in the middle of a large
# file, check the database opens, passes integrity_check, and that a rerun
# completes with every article exactly once.  Then the same with SIGINT,
# which must commit the open batch, log the ingest as interrupted and exit
# 130.
. "$(dirname "$0")/lib.sh"
cd "$SCRATCH" || exit 2
N=20000
python3 "$ROOT/scripts/gen-pubmed.py" --articles $N --out big.xml \
    "$FIXTURES/cli/articles.xml" >/dev/null

# Waits until the database holds at least $2 articles (max ~60 s).
wait_for_rows() {
    i=0
    while [ $i -lt 600 ]; do
        n=$(sqlite3 "$1" "select count(*) from articles" 2>/dev/null || echo 0)
        [ "${n:-0}" -ge "$2" ] && return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}

for sig in KILL INT; do
    DB=$SCRATCH/crash-$sig.db
    "$LITMINE" --db "$DB" ingest --batch-size 200 big.xml 2>"$SCRATCH/err-$sig" &
    pid=$!
    if ! wait_for_rows "$DB" 1000; then
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
finish
