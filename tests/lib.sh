# Shell test helpers for the CLI tests (sourced by tests/test-*.sh).
#
# Each `check NAME CONDITION-COMMAND...` is one test: it passes when the
# command exits 0.  `skip NAME WHY` records a skipped test.  `finish` prints
# the summary line tests/run.sh adds up and exits non-zero on failure.
# LITMINE points at the binary under test (the sanitizer build in
# `make check`); every test works in its own scratch directory.

LITMINE=${LITMINE_BIN:-./litmine}
case $LITMINE in /*) ;; *) LITMINE=$(pwd)/$LITMINE ;; esac
ROOT=$(pwd)
FIXTURES=$ROOT/tests/fixtures
SHARED=""
for d in "${LITMINE_SHARED_DATA:-}" ../shared/data; do
    if [ -n "$d" ] && [ -d "$d" ]; then SHARED=$(cd "$d" && pwd); break; fi
done
T_NAME=$(basename "$0")
T_PASSED=0 T_FAILED=0 T_SKIPPED=0
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/litmine-sh-XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
# Sanitizer builds must not turn leaks in child processes into noise.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
# Tests never read the machine's configuration.  The default one they get
# runs only the sentence stage: NER has its own tests, and loading its
# model in every sanitizer-built CLI call would make the suite crawl.
printf '[pipeline]\nstages = sentences\n' >"$SCRATCH/default.conf"
export LITMINE_CONFIG="$SCRATCH/default.conf"
# Nor its model caches (util/lm_mapcache.h): each script has its own.
export LITMINE_MODEL_CACHE="$SCRATCH/model-cache"

check() {
    name=$1; shift
    if "$@"; then
        T_PASSED=$((T_PASSED + 1)); echo "ok   $name" >&2
    else
        T_FAILED=$((T_FAILED + 1)); echo "FAIL $name" >&2
    fi
}

skip() {
    T_SKIPPED=$((T_SKIPPED + 1)); echo "  skip: $1: $2" >&2
}

# lm ARGS...: runs litmine, saving stdout/stderr/exit status in $SCRATCH.
lm() {
    "$LITMINE" "$@" >"$SCRATCH/out" 2>"$SCRATCH/err"
    LM_RC=$?
    return 0
}

rc_is() { [ "$LM_RC" -eq "$1" ] || { echo "    exit status $LM_RC, want $1; stderr:" >&2; sed 's/^/    /' "$SCRATCH/err" >&2; return 1; }; }
out_has() { grep -q -- "$1" "$SCRATCH/out" || { echo "    stdout lacks: $1" >&2; return 1; }; }
err_has() { grep -q -- "$1" "$SCRATCH/err" || { echo "    stderr lacks: $1; got:" >&2; sed 's/^/    /' "$SCRATCH/err" >&2; return 1; }; }
sql() { sqlite3 -batch -noheader "$1" "$2"; }
sql_is() {
    got=$(sql "$1" "$2")
    [ "$got" = "$3" ] || { echo "    $2 = '$got', want '$3'" >&2; return 1; }
}

finish() {
    echo "# $T_NAME: $T_PASSED passed, $T_FAILED failed, $T_SKIPPED skipped"
    [ "$T_FAILED" -eq 0 ]
}

# ok NAME 'SHELL EXPRESSION': like check, for compound conditions.
ok() {
    name=$1; shift
    if eval "$1"; then
        T_PASSED=$((T_PASSED + 1)); echo "ok   $name" >&2
    else
        T_FAILED=$((T_FAILED + 1)); echo "FAIL $name" >&2
    fi
}

# wait_until SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds
# (status 0) or SECONDS have passed (status 1).
wait_until() {
    limit=$(($1 * 10)); shift
    n=0
    while [ $n -lt $limit ]; do
        "$@" && return 0
        sleep 0.1; n=$((n + 1))
    done
    return 1
}

# ---- the E-utilities stand-in and bulk-file mirrors ------------------------

# eutils_server_start [SECONDS]: starts tests/eutils_server.py on 127.0.0.1
# (a random port; it exits after SECONDS, default 300, or with this shell)
# and sets SERVER (its pid) and BASE (http://127.0.0.1:PORT).
eutils_server_start() {
    python3 "$ROOT/tests/eutils_server.py" --timeout "${1:-300}" \
        >"$SCRATCH/server.out" 2>"$SCRATCH/server.err" &
    SERVER=$!
    trap 'kill $SERVER 2>/dev/null; rm -rf "$SCRATCH"' EXIT
    i=0
    while [ ! -s "$SCRATCH/server.out" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    BASE=http://127.0.0.1:$(head -n 1 "$SCRATCH/server.out")
}

# control ENDPOINT JSON: POSTs to the stand-in's /control or /reset.
control() { python3 -c '
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(),
    headers={"Content-Type": "application/json"}), timeout=10).read()' "$BASE/$1" "$2"; }

# server_log: the stand-in's request log, one JSON object per line.
server_log() { python3 -c '
import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "$BASE/log"; }

# mirror_file XML DEST.xml.gz: puts XML, gzipped, into a bulk-file mirror
# with its NLM-style .md5 beside it.
mirror_file() {
    gzip -c "$1" >"$2"
    echo "MD5($(basename "$2"))= $(md5sum "$2" | cut -d' ' -f1)" >"$2.md5"
}

# ---- litmine serve ------------------------------------------------------------

# serve_fixture_db DIR: ingests tests/fixtures/serve/articles.xml through the
# sentence, NER and pair stages (the committed models) into DIR/serve.db,
# with its config in DIR/serve.conf, and refreshes the search index.
serve_fixture_db() {
    printf '[models]\ndir = %s/models\n[pipeline]\nstages = sentences,ner,pairs\n' "$ROOT" >"$1/serve.conf"
    "$LITMINE" --config "$1/serve.conf" --db "$1/serve.db" ingest "$FIXTURES/serve/articles.xml" \
        >/dev/null 2>"$1/ingest.err" &&
        "$LITMINE" --config "$1/serve.conf" --db "$1/serve.db" index refresh >/dev/null 2>>"$1/ingest.err"
}

# serve_start DIR [ARGS...]: starts `litmine serve` on DIR/serve.db on
# 127.0.0.1 with a free port, waits (at most 120 s) until it listens, and
# sets SERVE_PID and URL (http://127.0.0.1:PORT, no trailing slash).  The
# server dies with the test's shell in any case.
serve_start() {
    dir=$1; shift
    "$LITMINE" --config "$dir/serve.conf" --db "$dir/serve.db" serve --listen 127.0.0.1:0 "$@" \
        2>"$dir/serve.err" &
    SERVE_PID=$!
    trap 'kill $SERVE_PID 2>/dev/null; rm -rf "$SCRATCH"' EXIT
    wait_until 120 grep -q 'listening on' "$dir/serve.err" || return 1
    URL=$(sed -n 's|.*listening on \(http://[^ ]*\)/$|\1|p' "$dir/serve.err")
    [ -n "$URL" ]
}

# serve_stop: SIGTERM, then waits (at most 30 s); SERVE_RC gets the exit status.
serve_stop() {
    kill -TERM "$SERVE_PID" 2>/dev/null
    n=0
    while kill -0 "$SERVE_PID" 2>/dev/null && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
    if kill -0 "$SERVE_PID" 2>/dev/null; then kill -9 "$SERVE_PID"; SERVE_RC=137; return 1; fi
    wait "$SERVE_PID"; SERVE_RC=$?
}

# http PATH [METHOD]: fetches URL/PATH into $SCRATCH/http.{status,headers,body}.
http() {
    python3 "$ROOT/tests/http_client.py" get "$URL$1" "$SCRATCH/http" ${2:+"$2"}
}
status_is() { [ "$(cat "$SCRATCH/http.status")" = "$1" ] || { echo "    status $(cat "$SCRATCH/http.status"), want $1" >&2; head -c 400 "$SCRATCH/http.body" >&2; return 1; }; }
body_has() { grep -qF -- "$1" "$SCRATCH/http.body" || { echo "    body lacks: $1" >&2; return 1; }; }
body_lacks() { ! grep -qF -- "$1" "$SCRATCH/http.body" || { echo "    body has: $1" >&2; return 1; }; }
header_has() { grep -qiF -- "$1" "$SCRATCH/http.headers" || { echo "    headers lack: $1" >&2; return 1; }; }
# json_ok 'PYTHON EXPRESSION over d': the body parses as JSON and the expression is true.
json_ok() { python3 -c '
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$SCRATCH/http.body" "$1" || { echo "    JSON check failed: $1" >&2; head -c 400 "$SCRATCH/http.body" >&2; return 1; }; }
