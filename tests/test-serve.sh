#!/bin/sh
# `litmine serve` as a client sees it: a server started on a fixture
# database (ingested through the NER and pair stages) on 127.0.0.1 with a
# free port, every page and API endpoint fetched with the suite's own
# client (tests/http_client.py), then the safety rules — stored
# <script>, quotes and & escaped, limits on query length, parameters,
# PMIDs and request size, 400/404/405, security headers, slow
# clients dropped — a concurrent ingest seen by the next request and, once
# the server has rebuilt its concept index, by autocomplete; an index build
# while it serves picked up by dense search; and a clean exit on SIGTERM.
. "$(dirname "$0")/lib.sh"
D=$SCRATCH
serve_fixture_db "$D"
check "fixture database ingested" sh -c '[ -s "$1/serve.db" ] || { cat "$1/ingest.err" >&2; exit 1; }' _ "$D"

lm --db "$D/serve.db" serve --listen nowhere
check "serve: a bad --listen is a usage error" rc_is 2
lm --db "$D/serve.db" serve --threads 0
check "serve: --threads 0 is a usage error" rc_is 2
lm --db "$D/missing.db" serve --listen 127.0.0.1:0
check "serve: a missing database fails before listening" sh -c '[ $1 -ne 0 ] && [ $1 -ne 2 ]' _ "$LM_RC"

if ! serve_start "$D" --threads 2 --timeout 2; then
    check "server starts" false
    cat "$D/serve.err" >&2
    finish; exit
fi
check "server listens on 127.0.0.1 only" sh -c 'case "$1" in http://127.0.0.1:*) ;; *) exit 1;; esac' _ "$URL"

# ---- pages ------------------------------------------------------------------
http /
check "home page" status_is 200
check "home page has the search form" body_has '<form class="search" action="/search"'
check "pages carry a Content-Security-Policy without script" header_has "Content-Security-Policy: default-src 'none'"
check "pages carry X-Content-Type-Options: nosniff" header_has "X-Content-Type-Options: nosniff"
check "pages say how long they took" header_has "Server-Timing: app;dur="

http "/search?q=hepatotoxicity"
check "search page" status_is 200
check "search page lists the hepatotoxicity articles" sh -c '[ $(grep -o "class=\"title\" href=\"/article/" "$1" | wc -l) -ge 5 ]' _ "$SCRATCH/http.body"
check "search snippets mark the query words" body_has '<b>'
check "search snippets link mentions to their concept" body_has '<a class="e e-Disease" href="/concept/MESH%3AD056486"'
check "search page has year facets" body_has '<ul class="facet" id="facet-years">'
check "search page has concept facets" body_has 'concept=MESH%3AD000082'
http "/search?q=hepatotoxicity&year=2017"
check "year facet keeps that year's articles" sh -c 'grep -q "/article/32000002" "$1" && ! grep -q "/article/32000001\"" "$1"' _ "$SCRATCH/http.body"
http "/api/search?q=hepatotoxicity&concept=MESH:D000082"
check "concept facet keeps the articles mentioning it" json_ok 'd["total"] == 3 and all(r["pmid"] in (32000001, 32000005, 32000008) for r in d["results"])'
http "/search?q=hepatotoxicity&mode=sideways"
check "unknown search mode is a 400" status_is 400

http /article/32000008
check "article page" status_is 200
check "stored <script> is escaped, never emitted" body_lacks '<script'
check "stored <script> shows as text" body_has '&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;'
check "stored quotes and & are escaped" body_has '&amp; &#39;quoted&#39;'
check "stored markup in the abstract is escaped" body_has '&lt;b&gt;bold&lt;/b&gt;'
check "journal with <, & and quotes is escaped" body_has 'Security &amp; &quot;Testing&quot; &lt;Journal&gt;'
check "article mentions are coloured by type" body_has 'class="e e-Chemical"'
check "article links to PubMed" body_has 'https://pubmed.ncbi.nlm.nih.gov/32000008/'
check "article lists its pairs with evidence" body_has '<td class="rel">induces</td>'
http "/article/32000002?chemical=MESH:D007538&disease=MESH:D056486"
check "a pair's link marks its evidence sentence" body_has '<mark class="evidence" id="evidence">'
http /article/99999999
check "unknown PMID is a 404" status_is 404
http /article/abc
check "malformed PMID is a 400" status_is 400

http /concept/MESH:D056486
check "concept page" status_is 200
check "concept page draws articles per year as SVG" body_has '<svg class="chart" id="years-chart"'
check "chart has one bar per year with articles" sh -c '[ $(grep -o "<rect class=\"bar\"" "$1" | wc -l) -eq 6 ]' _ "$SCRATCH/http.body"
check "concept page shows the names it is written as" body_has 'Written as:'
check "concept page lists co-mentioned concepts" body_has '/concept/MESH%3AD000082'
check "concept page lists top pairs" body_has '<td class="rel">induces</td>'
http /concept/MESH:D000000
check "unknown concept is a 404" status_is 404

http "/pairs?disease=hepatotoxicity&relation=induces"
check "pairs page" status_is 200
check "pairs filter by a disease name finds the drugs" sh -c 'for d in acetaminophen isoniazid "valproic acid" amiodarone; do grep -q ">$d</a>" "$1" || exit 1; done' _ "$SCRATCH/http.body"
check "pairs rows link to their evidence" body_has '#evidence">'
check "pairs page offers the CSV of the filter" body_has 'href="/pairs.csv?disease=hepatotoxicity&amp;relation=induces"'
http "/api/pairs?disease=hepatotoxicity&relation=induces&sort=oldest"
check "pairs sorted oldest first answer 'since when'" json_ok '[p["year"] for p in d["pairs"]] == sorted(p["year"] for p in d["pairs"]) and d["pairs"][0]["year"] == 2015'
http "/pairs?sort=sideways"
check "unknown sort is a 400" status_is 400
http "/pairs?relation=explodes"
check "unknown relation is a 400" status_is 400
http "/pairs?min_score=2"
check "min_score above 1 is a 400" status_is 400

http "/pairs.csv?disease=hepatotoxicity&relation=induces&year_from=2018"
check "pairs CSV" status_is 200
check "pairs CSV is an attachment" header_has 'Content-Disposition: attachment; filename="litmine-pairs.csv"'
check "pairs CSV has the filter's rows and a header" python3 -c '
import csv, io, sys
rows = list(csv.DictReader(io.open(sys.argv[1], encoding="utf-8-sig", newline="")))
assert rows and all(int(r["year"]) >= 2018 and r["relation"] == "induces" for r in rows), rows
assert {r["chemical"] for r in rows} >= {"valproic acid", "amiodarone", "acetaminophen"}, rows' "$SCRATCH/http.body"

# ---- JSON API ---------------------------------------------------------------
http "/api/search?q=acetaminophen+hepatotoxicity&k=3"
check "api/search" json_ok 'd["query"] == "acetaminophen hepatotoxicity" and len(d["results"]) == 3 and d["total"] >= 3'
check "api/search recognises the query's concepts" json_ok '{c["id"] for c in d["query_concepts"]} >= {"MESH:D000082", "MESH:D056486"}'
check "api/search highlights are code-point spans of the snippet" json_ok 'all(0 <= h["start"] < h["end"] <= len(r["snippet"]) for r in d["results"] for h in r["highlights"]) and any(h["kind"] == "entity" for r in d["results"] for h in r["highlights"])'
check "api/search facets" json_ok 'd["facets"]["years"] and d["facets"]["concepts"]'
http "/api/search?q=x&k=1000"
check "api/search k over the limit is a 400 in JSON" json_ok 'd["status"] == 400 and "k" in d["error"]'
http "/api/article/32000001"
check "api/article" json_ok 'd["pmid"] == 32000001 and d["year"] == 2015 and d["pairs"]'
check "api/article mention offsets index title + space + abstract" json_ok 'all((d["title"] + " " + d["abstract"])[m["start"]:m["end"]] == m["text"] for m in d["mentions"]) and d["mentions"]'
http "/api/article/1"
check "api/article unknown PMID is a JSON 404" json_ok 'd["status"] == 404'
http "/api/concept/MESH:D056486"
check "api/concept" json_ok 'd["articles"] == 6 and sum(y["articles"] for y in d["years"]) == 6 and d["top_pairs"] and d["synonyms"]'
http "/api/pairs?disease=MESH:D056486&limit=2"
check "api/pairs pages through the filter" json_ok 'd["total"] >= 6 and len(d["pairs"]) == 2 and d["pairs"][0]["score"] >= d["pairs"][1]["score"]'
http "/api/nothing"
check "unknown API path is a JSON 404" json_ok 'd["status"] == 404'

# ---- PubTator3-compatible endpoints -------------------------------------------
http "/publications/export/pubtator?pmids=32000001,99999999,32000007"
check "pubtator export" status_is 200
check "pubtator export has title and abstract lines" sh -c 'grep -q "^32000001|t|Acetaminophen overdose" "$1" && grep -q "^32000007|a|" "$1"' _ "$SCRATCH/http.body"
check "pubtator export has mention lines" sh -c 'grep -qP "^32000001\t0\t13\tAcetaminophen\tChemical\tMESH:D000082$" "$1"' _ "$SCRATCH/http.body"
check "pubtator export has relation lines" sh -c 'grep -qP "^32000007\tCID\tMESH:D002945\tMESH:D007674$" "$1"' _ "$SCRATCH/http.body"
check "pubtator export leaves unknown PMIDs out" body_lacks '99999999'
http "/publications/export/pubtator?pmids=1,x"
check "pubtator export: a bad PMID list is a 400" status_is 400
http "/publications/export/pubtator?pmids=$(seq -s, 1 101)"
check "pubtator export: more than 100 PMIDs is a 400" status_is 400
http "/publications/export/biocjson?pmids=32000001,99999999,32000007"
check "biocjson export" status_is 200
check "biocjson export: one BioC document per stored PMID, unknown ones left out" json_ok '[x["id"] for x in d["documents"]] == ["32000001", "32000007"]'
check "biocjson export has the mentions as annotations" json_ok 'any(a["text"] == "Acetaminophen" for p in d["documents"][0]["passages"] for a in p["annotations"])'
check "biocjson export has the relations" json_ok 'len(d["documents"][1]["relations"]) >= 1'
http "/publications/export/biocjson?pmids=1,x"
check "biocjson export: a bad PMID list is a 400" status_is 400
http "/entity/autocomplete/?query=hepato"
check "autocomplete finds concepts by prefix, PubTator3's shape" json_ok 'any(e["_id"].startswith("@DISEASE_") and e["db_id"] == "D056486" and e["db"] == "ncbi_mesh" and e["biotype"] == "disease" and "<m>" in e["match"] for e in d)'
http "/entity/autocomplete/?query=a&concept=chemical&limit=2"
check "autocomplete filters by concept type and limit" json_ok 'len(d) == 2 and all(e["biotype"] == "chemical" for e in d)'
http "/entity/autocomplete/?query="
check "autocomplete without a query is a 400" status_is 400

# ---- limits and errors ------------------------------------------------------------
long=$(python3 -c 'print("a" * 600)')
http "/search?q=$long"
check "a query over 512 bytes is a 400" status_is 400
http "/pairs?chemical=$long"
check "a parameter over 256 bytes is a 400" status_is 400
http "/search?q=%FF%FE"
check "a query that is not UTF-8 is a 400" status_is 400
http "/search?q=x&page=0"
check "page 0 is a 400" status_is 400
http /nothing/here
check "unknown page is a 404" status_is 404
http /api/search POST
check "POST is a 405" status_is 405
check "405 says what is allowed" header_has "Allow: GET, HEAD"
python3 -c 'import sys; sys.stdout.write("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b" * 40000 + "\r\n\r\n")' >"$SCRATCH/big.req"
host=127.0.0.1 port=${URL##*:}
check "a request over the size limit is refused" sh -c 'line=$(python3 "$1" raw 127.0.0.1 "$2" "$3"); case "$line" in *" 200 "*) exit 1;; esac' _ "$ROOT/tests/http_client.py" "$port" "$SCRATCH/big.req"
check "a client that stalls mid-request is dropped after the timeout" sh -c 'secs=$(python3 "$1" idle 127.0.0.1 "$2" 15); [ "$secs" != open ] && awk -v s="$secs" "BEGIN { exit !(s < 10) }"' _ "$ROOT/tests/http_client.py" "$port"

# ---- concurrent ingest: the next request sees the committed batch ----------------
# and, once the server has rebuilt its concept index and reopened its
# searchers (it watches the database), search, facets and autocomplete
# see it too.
http "/entity/autocomplete/?query=ototox"
check "autocomplete knows no ototoxicity before the ingest" json_ok 'd == []'
sed 's/32000007/32000099/g; s/Cisplatin nephrotoxicity and magnesium/Cisplatin ototoxicity in children/' \
    "$FIXTURES/serve/articles.xml" >"$SCRATCH/more.xml"
"$LITMINE" --config "$D/serve.conf" --db "$D/serve.db" ingest "$SCRATCH/more.xml" >/dev/null 2>"$SCRATCH/ingest2.err"
check "ingest runs while the server reads (WAL)" test $? -eq 0
http /api/article/32000099
check "the next request sees the new article" json_ok 'd["pmid"] == 32000099'
http "/api/search?q=cisplatin+ototoxicity&mode=lexical"
check "lexical search finds the new article at once" json_ok '32000099 in [r["pmid"] for r in d["results"]]'
check "its facets count it at once (read from SQL until the index is rebuilt)" json_ok 'any(c["count"] >= 1 for c in d["facets"]["concepts"]) and d["facets"]["years"]'
# every_second N CMD...: runs CMD once a second until it succeeds, N times at most.
every_second() {
    tries=$1; shift
    while [ "$tries" -gt 0 ]; do
        "$@" && return 0
        sleep 1; tries=$((tries - 1))
    done
    return 1
}
autocomplete_has() {
    http "/entity/autocomplete/?query=ototox" &&
        python3 -c 'import json, sys; sys.exit(0 if json.load(open(sys.argv[1])) else 1)' "$SCRATCH/http.body"
}
check "autocomplete finds the new concept after the ingest (index rebuilt)" every_second 30 autocomplete_has
http "/api/search?q=cisplatin&mode=dense"
check "no dense search before vectors are built" status_is 400
"$LITMINE" --config "$D/serve.conf" --db "$D/serve.db" index build >/dev/null 2>"$SCRATCH/build.err"
check "index build runs while the server reads" test $? -eq 0
dense_has() {
    http "/api/search?q=cisplatin+ototoxicity+in+children&mode=dense" &&
        python3 -c 'import json, sys; sys.exit(0 if 32000099 in [r["pmid"] for r in json.load(open(sys.argv[1])).get("results", [])] else 1)' "$SCRATCH/http.body"
}
check "dense search works once the vectors are built (searchers reopened on them)" every_second 30 dense_has

serve_stop
check "SIGTERM stops the server cleanly (exit 0)" test "$SERVE_RC" -eq 0
finish
