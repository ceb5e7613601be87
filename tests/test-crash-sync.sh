#!/bin/sh
# Crash safety of `litmine sync`: a file:// mirror of four update files
# (5,000 generated articles each, with NLM-style .md5 files) is synced, and
# the sync is killed with SIGKILL twice — once inside the first file, once
# inside the third — each time followed by PRAGMA integrity_check, a
# foreign-key check and a rerun that must complete with every article
# exactly once and every file ingested once, whatever the spool was left
# holding.  (tests/test-crash.sh does the same for ingest.)
. "$(dirname "$0")/lib.sh"
cd "$SCRATCH" || exit 2
PER=5000
FILES=4
N=$((PER * FILES))
mkdir -p mirror/updatefiles
for i in 1 2 3 4; do
    python3 "$ROOT/scripts/gen-pubmed.py" --articles $PER --start-pmid $((60000000 + i * 100000)) \
        --out "u$i.xml" "$FIXTURES/cli/articles.xml" >/dev/null
    mirror_file "u$i.xml" "mirror/updatefiles/pubmed99n000$i.xml.gz"
done
printf '[sync]\nbase_url = file://%s/mirror/\nmax_tries = 2\n[pipeline]\nstages = sentences\n' \
    "$SCRATCH" >"$SCRATCH/sync.conf"

# has_articles DB N: the database (being written) holds N articles or more.
has_articles() {
    [ "$(sqlite3 "$1" "select count(*) from articles" 2>/dev/null || echo 0)" -ge "$2" ]
}

# sync_cmd DB TAG: the sync (exec'd, so that `sync_cmd ... &` leaves $! the
# pid of litmine itself).
sync_cmd() {
    exec "$LITMINE" --config "$SCRATCH/sync.conf" --db "$1" sync --updates --spool "$SCRATCH/spool-$2" \
        --batch-size 200
}

for at in 1000 11000; do
    DB=$SCRATCH/sync-$at.db
    sync_cmd "$DB" "$at" 2>"$SCRATCH/err-$at" &
    pid=$!
    if ! wait_until 60 has_articles "$DB" $at; then
        kill -9 $pid 2>/dev/null
        check "kill at $at: sync made progress" false
        continue
    fi
    kill -9 $pid
    wait $pid
    rc=$?
    partial=$(sqlite3 "$DB" "select count(*) from articles")
    check "kill at $at: died by SIGKILL" test "$rc" -eq 137
    check "kill at $at: stopped part-way ($partial of $N)" test "$partial" -lt $N
    check "kill at $at: integrity_check passes" sql_is "$DB" "pragma integrity_check" ok
    check "kill at $at: foreign keys consistent" sql_is "$DB" "pragma foreign_key_check" ""
    (sync_cmd "$DB" "$at") 2>>"$SCRATCH/err-$at"
    check "kill at $at: rerun completes" test $? -eq 0
    check "kill at $at: every article exactly once" sql_is "$DB" \
        "select count(*) || '|' || count(distinct pmid) from articles" "$N|$N"
    check "kill at $at: every file ingested once" sql_is "$DB" \
        "select count(*) || '|' || count(distinct source) from ingest_log where kind = 'sync' and status = 'done'" \
        "$FILES|$FILES"
    check "kill at $at: the spool is empty again" sh -c '[ -z "$(ls -A "$1")" ]' _ "$SCRATCH/spool-$at"
    logged=$(sqlite3 "$DB" "select count(*) from ingest_log")
    (sync_cmd "$DB" "$at") 2>>"$SCRATCH/err-$at"
    check "kill at $at: a third run has nothing to do" sql_is "$DB" \
        "select count(*) from ingest_log" "$logged"
done
finish
