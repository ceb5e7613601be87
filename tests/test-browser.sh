#!/bin/sh
# The pages in a real browser: headless Chromium loads the search, article,
# concept and pairs pages of the fixture database from a `litmine serve`
# started on 127.0.0.1 (a free port), and the DOM it builds (--dump-dom)
# must hold the highlighted mentions, the year chart's bars, the escaped
# stored markup as text and no script element; each page is also saved as
# a screenshot under build/test-output/browser/ (LITMINE_TEST_OUT to move
# it) for a person to look at.  Skips when Chromium is absent
# (scripts/install-deps.sh installs it).
. "$(dirname "$0")/lib.sh"
BROWSER=""
for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then BROWSER=$b; break; fi
done
if [ -z "$BROWSER" ]; then
    skip "headless browser" "chromium not installed (scripts/install-deps.sh installs it)"
    finish; exit
fi
OUT=${LITMINE_TEST_OUT:-$ROOT/build/test-output}/browser/$(basename "$LITMINE")
mkdir -p "$OUT"
D=$SCRATCH
serve_fixture_db "$D"
if ! serve_start "$D" --threads 2; then
    check "server starts" false
    finish; exit
fi

# browse NAME PATH: the DOM Chromium builds for URL/PATH into $OUT/NAME.html
# and a screenshot into $OUT/NAME.png; bounded in time.  Root needs
# --no-sandbox; the profile lives in the scratch directory.
browse() {
    flags="--headless --no-sandbox --disable-gpu --no-first-run --disable-extensions \
--disable-dev-shm-usage --hide-scrollbars --user-data-dir=$SCRATCH/profile-$1"
    # shellcheck disable=SC2086
    timeout 90 "$BROWSER" $flags --dump-dom "$URL$2" >"$OUT/$1.html" 2>"$SCRATCH/chromium.err"
    # shellcheck disable=SC2086
    timeout 90 "$BROWSER" $flags --window-size=1200,900 --screenshot="$OUT/$1.png" "$URL$2" \
        >/dev/null 2>>"$SCRATCH/chromium.err"
}
dom_has() { grep -qF -- "$2" "$OUT/$1.html" || { echo "    $1: DOM lacks $2" >&2; return 1; }; }
dom_count_ge() { [ "$(grep -oF -- "$2" "$OUT/$1.html" | wc -l)" -ge "$3" ] || { echo "    $1: fewer than $3 of $2" >&2; return 1; }; }
is_png() { [ "$(head -c 8 "$OUT/$1.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
    [ "$(stat -c %s "$OUT/$1.png")" -gt 10000 ] || { echo "    $1.png missing or empty" >&2; tail -n 5 "$SCRATCH/chromium.err" >&2; return 1; }; }

browse search "/search?q=acetaminophen+hepatotoxicity"
check "search: the browser shows the results" dom_count_ge search 'class="title" href="/article/' 3
check "search: snippets highlight mentions" dom_has search '<a class="e e-Chemical" href="/concept/MESH%3AD000082"'
check "search: facets are there" dom_has search 'id="facet-concepts"'
check "search: screenshot saved" is_png search

browse article "/article/32000008?chemical=MESH:D000082&disease=MESH:D056486"
check "article: mentions highlighted by type" dom_has article '<a class="e e-Disease" href="/concept/MESH%3AD056486"'
check "article: stored <script> is text in the DOM" dom_has article '&lt;script&gt;alert("pwned")&lt;/script&gt;'
check "article: no script element in the DOM" sh -c '! grep -qi "<script" "$1"' _ "$OUT/article.html"
check "article: evidence sentence marked" dom_has article '<mark class="evidence" id="evidence">'
check "article: screenshot saved" is_png article

browse concept "/concept/MESH:D056486"
check "concept: the year chart is an SVG in the DOM" dom_has concept '<svg class="chart" id="years-chart"'
check "concept: the chart has its bars" dom_count_ge concept '<rect class="bar"' 6
check "concept: screenshot saved" is_png concept

browse pairs "/pairs?disease=hepatotoxicity&relation=induces"
check "pairs: the table lists the drugs" dom_count_ge pairs '#evidence">' 5
check "pairs: screenshot saved" is_png pairs
echo "    screenshots in $OUT" >&2

serve_stop
check "server stops on SIGTERM" test "$SERVE_RC" -eq 0
finish
