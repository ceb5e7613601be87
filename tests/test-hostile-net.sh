#!/bin/sh
# Hostile input over the network and in XML, through the commands a user
# runs: every case here once broke litmine (issue [2/7]) and must stay
# fixed.  The E-utilities stand-in (tests/eutils_server.py, 127.0.0.1 only)
# plays the hostile server:
#   - a "billion laughs" ESearch or EFetch answer (under 1 KB, 12 GB once
#     its entities are expanded) and the same document as a file to ingest;
#   - redirects to another host name for the same machine (localhost), to
#     another port, and of a POST carrying the API key, email and PMIDs;
#   - answers far larger than [eutils] max_response_mb: streamed, announced
#     by Content-Length, and a gzip bomb;
#   - a server that stalls, against the per-request deadline;
#   - an EFetch answer with a bad article (a PMID that is no number);
#   - failures whose messages must not show the contact email.
# The memory-heavy cases also run under a virtual-memory ceiling
# (`ulimit -v`, 1 GB) with the optimised ./litmine, which has no sanitizer
# runtime reserving address space: before the fixes the billion laughs
# alone took 23 GB.
. "$(dirname "$0")/lib.sh"
cd "$SCRATCH" || exit 2
eutils_server_start 300

DB=$SCRATCH/h.db
cat >"$SCRATCH/h.conf" <<CONF
[store]
path = $DB
[pipeline]
stages = sentences
[eutils]
base_url = $BASE/entrez/eutils/
email = curator@example.org
max_rps = 10
max_tries = 3
max_response_mb = 16
CONF
export LITMINE_CONFIG="$SCRATCH/h.conf"
REL=$ROOT/litmine
CEILING_KB=1048576

# log_count PYTHON-CONDITION: how many logged requests satisfy it (r is one).
log_count() {
    server_log >"$SCRATCH/log"
    python3 -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) for r in [json.loads(l)] if eval(sys.argv[2])))' \
        "$SCRATCH/log" "$1"
}
count_is() {
    got=$(log_count "$1")
    [ "$got" -eq "$2" ] || { echo "    $got requests with $1, want $2" >&2; return 1; }
}
articles_is() { sql_is "$DB" "select count(*) from articles" "$1"; }

# lm_capped ARGS...: the optimised build under the memory ceiling (OpenBLAS
# on one thread, or its per-thread buffers alone could pass 1 GB on a
# machine with many cores).
lm_capped() {
    (ulimit -v $CEILING_KB; OPENBLAS_NUM_THREADS=1 exec "$REL" "$@") >"$SCRATCH/out" 2>"$SCRATCH/err"
    LM_RC=$?
}

# ---- billion laughs ------------------------------------------------------

control reset '{}'
control control '{"laughs_next": 1, "target": "esearch"}'
lm fetch --query asthma
ok "billion-laughs ESearch: refused, exit 1" 'rc_is 1 && err_has "declares XML entities"'
check "... after one request: no retry, no EFetch with its WebEnv" count_is 'True' 1
check "... nothing stored" articles_is 0
check "... the failure is in the ingest log" sql_is "$DB" \
    "select status from ingest_log where source = 'eutils:asthma'" failed

control reset '{}'
control control '{"laughs_next": 1, "target": "efetch"}'
lm fetch --pmids 30000001,30000002
ok "billion-laughs EFetch: refused, exit 1" 'rc_is 1 && err_has "declares XML entities"'
check "... not retried" count_is '"efetch" in r["path"]' 1
check "... nothing stored" articles_is 0

control reset '{}'
control control '{"laughs_next": 1, "target": "esearch"}'
lm watch add laughs --query asthma --since 2021/03/01
lm fetch --watches
ok "a watch answered with billion laughs fails the run (exit 1)" 'rc_is 1 && err_has "declares XML entities"'
check "... and keeps its marker" sql_is "$DB" \
    "select coalesce(done_through, 'none') || '|' || last_status from watches" "none|failed"
lm watch remove laughs

lm ingest "$FIXTURES/eutils/efetch_laughs.xml"
ok "a billion-laughs file to ingest: bad input (exit 3), no leak" \
    'rc_is 3 && err_has "efetch_laughs.xml:3: the document declares XML entities"'

if [ -x "$REL" ]; then
    control reset '{}'
    control control '{"laughs_next": 1, "target": "esearch"}'
    lm_capped fetch --query asthma
    ok "billion laughs under a 1 GB ceiling: a clean refusal" 'rc_is 1 && err_has "declares XML entities"'
else
    skip "billion laughs under a memory ceiling" "build ./litmine first"
fi

# ---- redirects -----------------------------------------------------------

OTHER=http://localhost:${BASE##*:}
control reset '{}'
control control "{\"redirect_next\": 1, \"redirect_code\": 302, \"redirect_to\": \"$OTHER\", \"target\": \"esearch\"}"
NCBI_API_KEY=KEY4711secret "$LITMINE" fetch --query asthma >"$SCRATCH/out" 2>"$SCRATCH/err"; LM_RC=$?
ok "GET redirected to another host: not followed, exit 1" \
    'rc_is 1 && err_has "redirect to http://localhost:[0-9]*/.* not followed: it leads to another host"'
check "... the other host never asked" count_is 'r["host"].startswith("localhost")' 0
check "... neither key nor email in the message" sh -c \
    '! grep -E "KEY4711secret|curator|example\.org" "$1"' _ "$SCRATCH/err"

# More than 200 PMIDs are POSTed: the body holds key, email and PMIDs.
seq 30000000 30000299 | tr '\n' ',' | sed 's/,$//' >"$SCRATCH/ids"
control reset '{}'
control control "{\"redirect_next\": 1, \"redirect_code\": 307, \"redirect_to\": \"$OTHER\", \"target\": \"efetch\"}"
NCBI_API_KEY=KEY4711secret "$LITMINE" fetch --pmids "$(cat "$SCRATCH/ids")" >"$SCRATCH/out" 2>"$SCRATCH/err"; LM_RC=$?
ok "POST answered 307: its body is never re-sent (exit 1)" \
    'rc_is 1 && err_has "a request body is never re-sent"'
check "... one POST, nothing sent elsewhere" count_is 'True' 1
check "... nothing stored from the redirect" articles_is 0

control reset '{}'
control control "{\"redirect_next\": 1, \"redirect_code\": 301, \"redirect_to\": \"$BASE\", \"target\": \"esearch\"}"
lm fetch --query malaria --max 10
ok "a GET redirect on the same host and port is followed" 'rc_is 0 && articles_is 10'

# ---- oversized answers ---------------------------------------------------

for variant in streamed huge_length huge_gzip; do
    control reset '{}'
    control control "{\"huge_next\": 1, \"huge_mb\": 2048, \"$variant\": true, \"target\": \"efetch\"}"
    if [ -x "$REL" ]; then lm_capped fetch --pmids 30000001; else lm fetch --pmids 30000001; fi
    ok "a 2 GB EFetch answer ($variant): refused at the 16 MB limit, exit 1" \
        'rc_is 1 && err_has "larger than the 16 MB limit"'
    check "... not retried" count_is '"efetch" in r["path"]' 1
done
control reset '{}'
control control '{"huge_next": 1, "huge_mb": 64, "target": "esearch"}'
lm fetch --query asthma
ok "an oversized ESearch answer is refused too" 'rc_is 1 && err_has "larger than"'

# ---- the deadline --------------------------------------------------------

printf '[eutils]\ntimeout_s = 1\nmax_tries = 20\ndeadline_s = 3\n' >"$SCRATCH/d.conf"
cat "$SCRATCH/h.conf" "$SCRATCH/d.conf" | sed '/^max_tries = 3$/d' >"$SCRATCH/dl.conf"
control reset '{}'
control control '{"slow_next": 20, "slow_ms": 1500, "target": "esearch"}'
lm --config "$SCRATCH/dl.conf" fetch --query asthma
ok "20 tries of a stalled request end at the 3 s deadline" 'rc_is 1 && err_has "3 s deadline"'
ok "... after a few attempts, not 20" '[ "$(log_count True)" -le 4 ]'

# ---- a bad article in an EFetch answer -------------------------------------

control reset '{}'
control control '{"badpmid_next": 1, "target": "efetch"}'
lm --db "$SCRATCH/bad.db" fetch --query asthma --max 20
ok "a bad article in an EFetch answer: reported with what the answer said, exit 3" \
    'rc_is 3 && err_has "article with an invalid PMID \"30001233x\" not stored"'
check "... the others of the batch are stored, the bad one is not" \
    sql_is "$SCRATCH/bad.db" "select count(*), sum(pmid = 30001233) from articles" "20|0"
check "... and it is counted in the ingest log" \
    sql_is "$SCRATCH/bad.db" "select sum(rejected) from ingest_log" 1

# ---- the contact email ---------------------------------------------------

control reset '{}'
control control '{"fail_next": [400], "target": "esearch"}'
lm fetch --query asthma
ok "a failed request exits 1 with the URL in the message" 'rc_is 1 && err_has "email=\*\*\*"'
check "... the contact email is not on stderr" sh -c \
    '! grep -E "curator|example\.org" "$1"' _ "$SCRATCH/err"
check "... nor anywhere in the database" sh -c \
    '! sqlite3 "$1" .dump | grep -E "curator|example\.org"' _ "$DB"

# The ceiling refuses only the hostile: an ordinary fetch fits under it.
if [ -x "$REL" ]; then
    control reset '{}'
    lm_capped --db "$SCRATCH/capped.db" fetch --query malaria
    ok "an ordinary fetch of 300 articles runs under the same ceiling" \
        'rc_is 0 && sql_is "$SCRATCH/capped.db" "select count(*) from articles" 300'
fi
finish
