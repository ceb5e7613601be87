#!/bin/sh
# CLI tests for `litmine fetch` and `litmine watch` against the local
# E-utilities stand-in (tests/eutils_server.py on 127.0.0.1, random port,
# bounded lifetime).  The client's own behaviour (slicing, retries, rate
# limits) is tested in tests/test-eutils.c; here: the commands, the store
# they fill, watches and their resume marker, and that the API key never
# leaks.
. "$(dirname "$0")/lib.sh"
cd "$SCRATCH" || exit 2

eutils_server_start 300

cat >"$SCRATCH/f.conf" <<CONF
[store]
path = $SCRATCH/f.db
[pipeline]
stages = sentences
[eutils]
base_url = $BASE/
email = tests@example.org
max_rps = 10
CONF
export LITMINE_CONFIG="$SCRATCH/f.conf"
DB=$SCRATCH/f.db

lm fetch
check "fetch without a mode is a usage error" rc_is 2
lm fetch --query asthma --pmids 1
check "two modes are a usage error" rc_is 2
lm fetch --pmids 12,abc
check "bad PMID list is a usage error" rc_is 2

lm fetch --query asthma
check "fetch --query exits 0" rc_is 0
check "all 1234 records stored" sql_is "$DB" "select count(*) from articles where pmid between 30000000 and 30001233" 1234
check "fetched articles are parsed fully" sql_is "$DB" \
    "select title from articles where pmid = 30000005" "Study 30000005 of asthma: β-adrenergic signalling & outcomes"
check "sentence stage ran on fetched articles" sql_is "$DB" \
    "select count(distinct pmid) >= 1234 from sentences" 1
check "ingest log row for the query" sql_is "$DB" \
    "select kind || '|' || status || '|' || articles from ingest_log where source = 'eutils:asthma'" "eutils|done|1234"
server_log >"$SCRATCH/log1"
check "tool and email on every request" python3 -c '
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
assert reqs and all(r["params"].get("tool") == "litmine" and r["params"].get("email") == "tests@example.org" for r in reqs)
assert sum(1 for r in reqs if r["path"].endswith("efetch.fcgi")) == 3, "1234 records in 3 batches of 500"
assert all(r["ua"].startswith("litmine/") for r in reqs)
' "$SCRATCH/log1"

lm fetch --query asthma
check "re-fetch stores nothing twice" sql_is "$DB" \
    "select unchanged from ingest_log where source = 'eutils:asthma' order by id desc limit 1" 1234

lm fetch --query malaria --max 120
check "--max stops early" sql_is "$DB" "select count(*) from articles where pmid between 32000000 and 32000299" 120

printf '30000001\n# comment\n32000200\n89999999\n' >"$SCRATCH/ids.txt"
lm fetch --pmid-file "$SCRATCH/ids.txt"
check "fetch by PMID file" sql_is "$DB" "select count(*) from articles where pmid in (32000200, 89999999)" 2

lm fetch --query nosuchtermxyz
ok "zero hits with PhraseNotFound is a warning, not an error" 'rc_is 0 && err_has "PhraseNotFound"'

# --- faults and secrets -------------------------------------------------
control reset '{}'
control control '{"html_next": 5, "target": "esearch"}'
NCBI_API_KEY=SECRETKEY123 "$LITMINE" fetch --query malaria >"$SCRATCH/out" 2>"$SCRATCH/err"; LM_RC=$?
ok "HTML instead of XML fails" 'rc_is 1 && err_has "HTML"'
check "api key not in the error message" sh -c '! grep -q SECRETKEY123 "$1"' _ "$SCRATCH/err"
server_log >"$SCRATCH/log2"
check "api key was sent to the server" grep -q '"api_key": "SECRETKEY123"' "$SCRATCH/log2"
check "api key not stored in the database" sh -c '! sqlite3 "$1" .dump | grep -q SECRETKEY123' _ "$DB"

# systemd's LoadCredential=api_key:FILE hands the key over as a file.
mkdir -p "$SCRATCH/cred" && printf 'CREDKEY456\n' >"$SCRATCH/cred/api_key"
control reset '{}'
CREDENTIALS_DIRECTORY="$SCRATCH/cred" "$LITMINE" fetch --query malaria --max 1 >"$SCRATCH/out" 2>"$SCRATCH/err"; LM_RC=$?
server_log >"$SCRATCH/log2c"
check "the api key credential is sent" grep -q '"api_key": "CREDKEY456"' "$SCRATCH/log2c"
check "the api key credential is not in the output" sh -c '! grep -q CREDKEY456 "$1" "$2"' _ "$SCRATCH/out" "$SCRATCH/err"

control reset '{}'
control control '{"error_body_next": 1, "target": "esearch"}'
lm fetch --query malaria
ok "NCBI <ERROR> body is an error" 'rc_is 1 && [ -s "$SCRATCH/err" ]'

# --- watches ------------------------------------------------------------
lm watch add w-asthma --query asthma --since 2021/03/01
check "watch add" rc_is 0
lm watch add w-asthma --query other
ok "duplicate watch name refused" 'rc_is 2 && err_has "exists"'
lm watch add "bad name" --query x
check "invalid watch name refused" rc_is 2
lm watch add w-bad --query x --since 2021-13-01
check "invalid --since refused" rc_is 2
lm watch add w-malaria --query malaria --since 2022/05/01
lm watch list
ok "watch list shows both" 'rc_is 0 && out_has "w-asthma" && out_has "w-malaria"'

control reset '{}'
control control '{"fail_next": [400], "target": "efetch"}'
lm fetch --watches
check "a failed watch run exits 1" rc_is 1
check "a failed window does not move its marker" sql_is "$DB" \
    "select coalesce(done_through, 'none') from watches where name = 'w-asthma'" none
check "the other watch still ran" sql_is "$DB" \
    "select last_status from watches where name = 'w-malaria'" done

control reset '{}'
lm fetch --watches
check "watch run exits 0" rc_is 0
YESTERDAY=$(TZ=UTC date -d '@'$(( $(date +%s) - 5*3600 - 86400 )) +%Y/%m/%d)
check "marker moves to yesterday (US Eastern)" sql_is "$DB" \
    "select done_through from watches where name = 'w-asthma'" "$YESTERDAY"
check "watch run recorded" sql_is "$DB" \
    "select last_status || '|' || last_count from watches where name = 'w-asthma'" "done|1234"
control reset '{}'
lm fetch --watches
server_log >"$SCRATCH/log3"
check "an up-to-date watch makes no request" sh -c '[ ! -s "$1" ]' _ "$SCRATCH/log3"
lm watch remove w-malaria
check "watch remove" sql_is "$DB" "select count(*) from watches" 1
lm watch remove w-malaria
check "removing a missing watch fails" rc_is 1

# --- the nightly run ------------------------------------------------------
lm watch add w-flood --query flood --since 2023/06/15
lm run
ok "a run whose watch cannot be fetched fails and says why" \
    'rc_is 1 && err_has "more than the 9999" && err_has "run failed"'
lm watch remove w-flood
lm watch add w-malaria2 --query malaria --since 2022/05/01
lm run
ok "run exits 0 and prints a summary" 'rc_is 0 && err_has "run done: 1 sources, 300 articles (0 new, 0 updated, 300 unchanged)"'
lm run
ok "a second run finds nothing new" 'rc_is 0 && err_has "run done: 0 sources"'
flock "$DB.lock" sleep 2 &
LOCKER=$!
i=0   # until the background flock holds the lock
while flock -n "$DB.lock" true 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
lm run
ok "a second concurrent run is refused" 'rc_is 4 && err_has "another litmine run"'
wait $LOCKER
"$LITMINE" run --no-watches 2>"$SCRATCH/journal.err"
JOURNAL_STREAM=$(stat -c '%d:%i' "$SCRATCH/journal.err") "$LITMINE" run --no-watches 2>"$SCRATCH/journal.err"
check "under journald lines carry syslog priorities" grep -q '^<5>run done' "$SCRATCH/journal.err"
# SIGHUP during a step: the configuration is read again before the next.
# (The bulk-file host is the stand-in too: tests never leave loopback.)
printf '[sync]\nbase_url = %s/pubmed/\nspool_dir = %s/spool\nmax_tries = 2\n' "$BASE" "$SCRATCH" >>"$SCRATCH/f.conf"
control reset '{}'
lm watch add w-slow --query malaria --since 2022/05/01
control control '{"slow_next": 1, "slow_ms": 2500, "target": "esearch"}'
"$LITMINE" run --sync updates >"$SCRATCH/out" 2>"$SCRATCH/err" &
RUNNER=$!
sleep 1
kill -HUP $RUNNER
wait $RUNNER
check "SIGHUP reloads the configuration between steps" grep -q "configuration reloaded from" "$SCRATCH/err"
lm watch remove w-slow
lm run --sync sometimes
check "invalid --sync is a usage error" rc_is 2

# --- sync (bulk files) --------------------------------------------------
control reset '{}'
lm sync --updates
check "sync stops at the file whose MD5 does not match" rc_is 1
check "the error names that file" err_has "pubmed99n0003.xml.gz"
check "files before it are ingested in numeric order" sql_is "$DB" \
    "select group_concat(source, ',') from (select source from ingest_log where kind = 'sync' and status = 'done' order by id)" \
    "pubmed98n0999.xml.gz,pubmed99n0001.xml.gz,pubmed99n0002.xml.gz"
check "their articles are stored" sql_is "$DB" \
    "select count(*) from articles where pmid between 40000000 and 40100119" 360
check "ingested files leave the spool, the corrupt one leaves nothing" sh -c '[ -z "$(ls -A "$1")" ]' _ "$SCRATCH/spool"
control reset '{}'
lm sync --updates
server_log >"$SCRATCH/log4"
check "a rerun downloads only what is not ingested yet" python3 -c '
import json, sys
gets = [json.loads(l)["path"] for l in open(sys.argv[1])]
files = [p for p in gets if p.endswith(".xml.gz")]
assert files == ["/pubmed/updatefiles/pubmed99n0003.xml.gz"], files
' "$SCRATCH/log4"

mkdir -p "$SCRATCH/mirror/baseline" "$SCRATCH/mirror/updatefiles"
mirror_file "$FIXTURES/cli/articles.xml" "$SCRATCH/mirror/baseline/pubmed26n0001.xml.gz"
mirror_file "$FIXTURES/cli/update.xml" "$SCRATCH/mirror/updatefiles/pubmed26n0002.xml.gz"
printf '[sync]\nbase_url = file://%s/mirror\n[pipeline]\nstages = sentences\n' "$SCRATCH" >"$SCRATCH/m.conf"
lm --config "$SCRATCH/m.conf" --db "$SCRATCH/mirror.db" sync --spool "$SCRATCH/spool2" --keep
check "file:// mirror syncs" rc_is 0
check "baseline and update applied in order" sql_is "$SCRATCH/mirror.db" \
    "select version || '|' || (select count(*) from articles) from articles where pmid = 31000001" "2|2"
check "--keep keeps the downloads" test -s "$SCRATCH/spool2/pubmed26n0002.xml.gz"

finish
