#!/bin/sh
# Hostile and clumsy input, through the CLI: every case is one that once
# lost data, leaked, hung or blew up memory.  Oversized articles (a 1 GiB
# abstract in a small .gz) are bad input and the rest of the run goes on;
# memory stays bounded (peak RSS measured, and a ulimit -v ceiling with the
# optimised build); invalid PMIDs are reported and counted; a bad gzip CRC
# keeps what came before it; a named pipe without a writer gives up; file
# names with control characters and libxml2's own messages come out as
# escaped litmine diagnostics; a full stdout or a full disk is an error; a
# damaged vector file is an error naming index build; NaN never reaches JSON; CSV for Excel
# defuses formulas; Greek letters and accents match in export --query.
. "$(dirname "$0")/lib.sh"
cd "$SCRATCH" || exit 2
A="$FIXTURES/cli/articles.xml"

# An article with a PMID and an abstract given as shell text.
article() {
    printf '<PubmedArticle><MedlineCitation><PMID Version="1">%s</PMID><Article>' "$1"
    printf '<ArticleTitle>Title %s.</ArticleTitle><Abstract><AbstractText>%s' "$1" "$2"
    printf '</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>\n'
}
# peak_kb CMD...: runs CMD, prints its peak resident size in kB; the
# command's exit status goes to $SCRATCH/peak_rc.
peak_kb() {
    python3 -c '
import resource, subprocess, sys
rc = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=open(sys.argv[1], "w")).returncode
open(sys.argv[1] + ".rc", "w").write(str(rc))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$SCRATCH/peak_err" "$@"
}

# --- a 1 GiB abstract in a small .gz, then a good second file ------------
python3 - <<'EOF'
import zlib
c = zlib.compressobj(1, zlib.DEFLATED, 31)
with open("huge.xml.gz", "wb") as f:
    def w(b): f.write(c.compress(b))
    art = lambda p: ('<PubmedArticle><MedlineCitation><PMID Version="1">%d</PMID><Article>'
                     '<ArticleTitle>Title %d.</ArticleTitle></Article></MedlineCitation>'
                     '</PubmedArticle>\n' % (p, p)).encode()
    w(b'<?xml version="1.0"?>\n<PubmedArticleSet>\n' + art(1))
    w(b'<PubmedArticle><MedlineCitation><PMID Version="1">2</PMID><Article>'
      b'<ArticleTitle>Huge.</ArticleTitle><Abstract><AbstractText>')
    chunk = b"lorem ipsum dolor sit amet " * (1 << 16)
    for _ in range((1 << 30) // len(chunk) + 1):
        w(chunk)
    w(b'</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>\n' + art(3) +
      b'</PubmedArticleSet>\n')
    f.write(c.flush())
EOF
{ echo '<PubmedArticleSet>'; article 4 "Fine."; article 5 "Fine too."; echo '</PubmedArticleSet>'; } >second.xml
lm --db huge.db --verbose ingest huge.xml.gz second.xml
check "oversized article: exit 3 (bad input, the rest stored)" rc_is 3
check "oversized article: reported with its PMID and the cap" err_has \
    "huge.xml.gz:4: PMID 2 not stored: its abstract is longer than litmine's limit"
check "oversized article: the good articles and the second file are stored" sql_is huge.db \
    "select group_concat(pmid) from (select pmid from articles order by pmid)" "1,3,4,5"
check "oversized article: the summary counts what was stored" err_has \
    "huge.xml.gz: 2 articles (2 new, .* 1 rejected as bad input"
check "oversized article: counted in the ingest log" sql_is huge.db \
    "select group_concat(status || ':' || inserted || ':' || rejected) from ingest_log" \
    "done:2:1,done:2:0"

# --- memory stays bounded -------------------------------------------------
REL=$ROOT/litmine
if [ ! -x "$REL" ] || [ ! -s "$ROOT/models/ner.bin" ]; then
    skip "memory bounds" "needs the optimised ./litmine and models/ner.bin"
else
    printf '[models]\ndir = %s/models\n' "$ROOT" >ner.conf
    python3 - <<'EOF'
import html, re
words = ("Cocaine induced myocardial infarction and seizures in rats treated with "
         "haloperidol; lithium toxicity caused renal failure. ").split()
text = " ".join(words[i % len(words)] for i in range(1 << 18))[:1000000]
small = " ".join(words)
def doc(pmid, abstract):
    return ('<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>%d</PMID><Article>'
            '<ArticleTitle>T.</ArticleTitle><Abstract><AbstractText>%s</AbstractText>'
            '</Abstract></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>\n'
            % (pmid, html.escape(text if abstract else small)))
open("abs1m.xml", "w").write(doc(9, True))
open("small.xml", "w").write(doc(8, False))
EOF
    export LITMINE_CONFIG="$SCRATCH/ner.conf"
    base=$(peak_kb "$REL" --db m1.db ingest --no-index --threads 1 --stages sentences,ner \
        small.xml)
    big=$(peak_kb "$REL" --db m2.db ingest --no-index --threads 1 --stages sentences,ner \
        abs1m.xml)
    ok "a 1 MiB abstract through NER stays within 48 MB of a small one ($base kB, $big kB)" \
        '[ "$(cat "$SCRATCH/peak_err.rc")" = 0 ] && [ $((big - base)) -lt 49152 ]'
    check "the 1 MiB abstract is annotated to its end" sql_is m2.db \
        "select max(\"end\") > 999000 from mentions" 1
    huge=$(peak_kb "$REL" --db m3.db ingest --no-index --stages none huge.xml.gz)
    ok "a 1 GiB abstract costs the parser less than 32 MB ($huge kB)" \
        '[ "$(cat "$SCRATCH/peak_err.rc")" = 3 ] && [ "$huge" -lt 32768 ]'
    # A hard ceiling, as an operator would set with ulimit -v.
    (ulimit -v 700000 && "$REL" --db m4.db ingest --no-index --stages sentences,ner \
        huge.xml.gz abs1m.xml second.xml) >/dev/null 2>"$SCRATCH/err"
    rc=$?
    ok "under ulimit -v 700 MB: the 1 GiB file and the 1 MiB abstract go through" \
        '[ $rc -eq 3 ] && [ "$(sql m4.db "select count(*) from articles")" = 5 ]'
    export LITMINE_CONFIG="$SCRATCH/default.conf"
fi

# --- invalid PMIDs --------------------------------------------------------
{ echo '<PubmedArticleSet>'
  for p in 11 0 -5 abc 12345678901234567890 12; do article "$p" "Text."; done
  echo '</PubmedArticleSet>'; } >pmids.xml
lm --db pmids.db ingest pmids.xml
check "invalid PMIDs: exit 3" rc_is 3
check "invalid PMIDs: each reported with what it said" sh -c '
    for p in "\"0\"" "\"-5\"" "\"abc\"" "\"12345678901234567890\""; do
        grep -q "pmids.xml:[0-9]*: article with an invalid PMID $p not stored" "$1" || exit 1
    done' _ "$SCRATCH/err"
check "invalid PMIDs: counted, the valid ones stored" sql_is pmids.db \
    "select (select group_concat(pmid) from articles) || ' ' || rejected from ingest_log" "11,12 4"

# --- a gzip member with a bad CRC -----------------------------------------
gzip -c "$A" >crc.xml.gz
python3 -c '
import sys
b = bytearray(open("crc.xml.gz", "rb").read()); b[-8] ^= 0x55
open("crc.xml.gz", "wb").write(b)'
lm --db crc.db ingest crc.xml.gz
ok "bad gzip CRC: error reported, exit 3" 'rc_is 3 && err_has "incorrect data check"'
check "bad gzip CRC: the articles inflated before it are stored" sql_is crc.db \
    "select count(*) from articles" 3

# --- a named pipe nobody writes to ----------------------------------------
mkfifo pipe.xml
start=$(date +%s)
lm --db fifo.db ingest --fifo-timeout 1 pipe.xml "$A"
ok "FIFO without a writer: reported, the other file ingested, exit 3" \
    'rc_is 3 && err_has "no writer opened this named pipe within 1 s" &&
     [ "$(sql fifo.db "select count(*) from articles")" = 3 ] && [ $(( $(date +%s) - start )) -lt 10 ]'
"$LITMINE" --db fifo.db ingest pipe.xml 2>"$SCRATCH/err" &
pid=$!
sleep 1
kill -INT $pid
wait $pid
check "FIFO wait ends at Ctrl-C with exit 130" test $? -eq 130
# The writer gives up too, so that no version of litmine can leave it
# blocked behind this script.
(sleep 1; timeout 30 sh -c 'cat "$1" >pipe.xml' _ "$FIXTURES/pubmed/articles.xml") &
lm --db fifo.db ingest --fifo-timeout 20 pipe.xml
check "FIFO whose writer comes later is read" sql_is fifo.db \
    "select count(*) from ingest_log where source = 'pipe.xml' and status = 'done'" 1

# --- names and messages reach the terminal escaped ------------------------
badname=$(printf 'evil\nname\033[31m.xml')
printf '<PubmedArticleSet><PubmedArticle>' >"$badname"
lm --db names.db ingest "$badname"
ok "a file name with a newline and an escape is printed escaped" \
    'rc_is 3 && err_has "evil\\\\nname\\\\x1b\[31m.xml" && [ "$(wc -l <"$SCRATCH/err")" -eq 1 ] &&
     ! grep -q "$(printf "\033")" "$SCRATCH/err"'
printf '<?xml version="1.0" encoding="Shift_JIS"?><PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID></MedlineCitation></PubmedArticle><PubmedArticle><MedlineCitation><PMID>2</PMID><Article><ArticleTitle>\200\377\376\201</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>' >sjis.xml
lm --db enc.db ingest sjis.xml
check "undecodable bytes: an error, exit 3, not a silent stop" rc_is 3
ok "libxml2's own messages come out as litmine diagnostics" \
    'err_has "libxml2: input conversion failed" && ! grep -qv "^litmine: " "$SCRATCH/err"'
: >journal.out
JOURNAL_STREAM=$(stat -c '%d:%i' journal.out) \
    "$LITMINE" --db enc.db ingest --force sjis.xml 2>>journal.out
ok "under the journal they carry a priority" 'grep -q "^<3>libxml2: " journal.out'

# --- stdout that cannot be written ----------------------------------------
if [ -w /dev/full ]; then
    printf '[models]\ndir = %s/models\n[pipeline]\nstages = sentences\n' "$ROOT" >lexicon.conf
    lm --db out.db ingest "$A"
    lm --db out.db watch add w --query "x[ti]"
    for cmd in "stats" "show 31000001" "index info" "watch list" "lexicon info" \
        "lexicon lookup aspirin" "--help" "--version" "ingest --help" "export articles" \
        "query --json aspirin"; do
        # shellcheck disable=SC2086
        LITMINE_CONFIG=$SCRATCH/lexicon.conf "$LITMINE" --db out.db $cmd >/dev/full 2>"$SCRATCH/err"
        rc=$?
        ok "$cmd > /dev/full: non-zero exit with a message" \
            '[ $rc -ne 0 ] && grep -q "No space left on device" "$SCRATCH/err"'
    done
else
    skip "/dev/full" "not available"
fi

# --- a full disk -------------------------------------------------------------
python3 "$ROOT/scripts/gen-pubmed.py" --articles 3000 --out many.xml "$A" >/dev/null
mkdir -p tiny
if unshare -r -m true 2>/dev/null; then
    unshare -r -m sh -c '
        mount -t tmpfs -o size=1m tmpfs tiny || exit 99
        "$1" --db tiny/d.db --verbose ingest --stages none --batch-size 100 many.xml 2>err.full
        echo $? >rc.full
        sqlite3 tiny/d.db "pragma integrity_check" >check.full 2>&1' _ "$LITMINE"
    if [ -s rc.full ]; then
        ok "disk full: exit 4 (a database problem, as documented)" '[ "$(cat rc.full)" = 4 ]'
        ok "disk full: said so, and no index refresh after it" \
            'grep -q "disk full" err.full && ! grep -q "search index" err.full'
        ok "disk full: the committed batches are intact" '[ "$(cat check.full)" = ok ]'
    else
        skip "disk full" "cannot mount a small tmpfs here"
    fi
else
    skip "disk full" "unshare -r -m is not permitted here"
fi

# --- CSV for Excel, and the text query ------------------------------------
{ echo '<PubmedArticleSet>'
  article 21 "x" | sed 's/Title 21\./=HYPERLINK("http:\/\/evil")/'
  article 22 "α-synucléine aggregates in neurons."
  article 23 "Alpha-synuclein in Parkinson disease."
  article 24 "Beta-synuclein differs."
  echo '</PubmedArticleSet>'; } >text.xml
lm --db text.db ingest text.xml
lm --db text.db export articles --excel
ok "export --excel defuses a formula" 'out_has "^21,1,\"'"'"'=HYPERLINK("'
lm --db text.db export articles
ok "plain CSV keeps the text as stored" 'out_has "^21,1,\"=HYPERLINK("'
for q in "α-synucléine" "alpha-synuclein" "Α-SYNUCLEIN"; do
    lm --db text.db export articles --query "$q" --format tsv
    ok "export --query '$q' finds both spellings" \
        'rc_is 0 && [ "$(cut -f1 "$SCRATCH/out" | tail -n +2 | tr "\n" " ")" = "22 23 " ]'
done

# --- the vector file and non-finite scores -----------------------------------
python3 "$ROOT/scripts/gen-pubmed.py" --articles 40 --out vec.xml "$A" \
    "$FIXTURES/pubmed/articles.xml" >/dev/null
lm --db vec.db ingest vec.xml
lm --db vec.db index build
check "index build for the cache tests" rc_is 0
lm --db vec.db query "BRCA1 repair"
check "the vector file answers a query" rc_is 0
# The vector file is the one copy of the compacted vectors and the LSA
# model: damaged or missing, it is an error naming the recovery, never a
# smaller index; `index build` fits and embeds again.  Its rows are
# checksummed (vector_file_chunks); the spare slots after them are a hole
# that later ingests append into, never read.  flip_vector_byte ROW flips
# a byte of the vector of row slot ROW ("n": the first spare slot), laid
# out as in store/search/lm_vec_cache_impl.h (file_header).
flip_vector_byte() {
    python3 - "$1" <<'PY'
import struct, sys
b = bytearray(open("vec.db.vectors", "rb").read())
dim, quantized = struct.unpack_from("=II", b, 20)
n, = struct.unpack_from("=Q", b, 48)
off_data, = struct.unpack_from("=Q", b, 88)
slot = n if sys.argv[1] == "n" else int(sys.argv[1])
b[off_data + slot * dim * (1 if quantized else 4) + 1] ^= 0x5a
open("vec.db.vectors", "wb").write(b)
PY
}
flip_vector_byte n
lm --db vec.db query --json "BRCA1 repair"
ok "a damaged spare slot of the vector file (past its rows) is never read" \
    'rc_is 0 && out_has "\"pmid\""'
flip_vector_byte 7
lm --db vec.db query --json "BRCA1 repair"
ok "a damaged vector file: the query fails, naming the recovery" \
    '[ "$LM_RC" -ne 0 ] && err_has "missing or damaged" && err_has "litmine index build"'
lm --db vec.db query --json --mode lexical "BRCA1 repair"
ok "a damaged vector file: a lexical query does not read it" 'rc_is 0 && out_has "\"pmid\""'
lm --db vec.db query --json "zzzqx unmatched words"
ok "a damaged vector file: a query that matches nothing fails too" \
    '[ "$LM_RC" -ne 0 ] && err_has "litmine index build"'
lm --db vec.db index check
ok "a damaged vector file: index check reports it" \
    '[ "$LM_RC" -ne 0 ] && err_has "missing or damaged" && err_has "litmine index build"'
check_rc=$LM_RC
# serve checks the file at startup (the queries' check runs in the
# background): it refuses a damaged one as index check does, never starts
# and fails each search (timeout: a server that started anyway is killed)
LM_RC=0
timeout 60 "$LITMINE" --db vec.db serve --listen 127.0.0.1:0 >"$SCRATCH/out" 2>"$SCRATCH/err" ||
    LM_RC=$?
ok "a damaged vector file: serve refuses to start, naming the recovery" \
    '[ "$LM_RC" = "$check_rc" ] && err_has "missing or damaged" && err_has "litmine index build"'
lm --db vec.db index refresh
# the writer reads no old row (its RSS stays flat with the corpus): the
# readers and index check above are what report the damage
ok "a damaged vector file: index refresh with nothing to write reads no row" 'rc_is 0'
lm --db vec.db index check
ok "a damaged vector file: index check still reports it after the refresh" \
    '[ "$LM_RC" -ne 0 ] && err_has "missing or damaged"'
rm vec.db.vectors
lm --db vec.db query --json "BRCA1 repair"
ok "a missing vector file: the query fails, naming the recovery" \
    '[ "$LM_RC" -ne 0 ] && err_has "litmine index build"'
lm --db vec.db index build
check "index build recovers a lost vector file" rc_is 0
lm --db vec.db query --json "BRCA1 repair"
check "after index build the query answers again" rc_is 0
lm --db vec.db index check
check "after index build index check passes" rc_is 0
# A damaged model in the vector file: checked before the open returns
# (the query parses it at once), so it is the file's error naming the
# recovery, with index check's exit status, not the model parser's ("not a
# litmine embedding model").  The LSA model moves into the file from
# 64 KB: 120 abstracts over 1,500 made-up words give ~700 KB.
python3 - <<'PY'
import random
r = random.Random(7)
syl = ["ka", "lo", "mi", "ne", "ru", "ta", "vi", "so", "pe", "du", "go", "fa", "ze", "bi", "xo"]
words = sorted({"".join(r.choice(syl) for _ in range(4)) for _ in range(3000)})[:1500]
with open("vm.xml", "w") as f:
    f.write('<?xml version="1.0"?>\n<PubmedArticleSet>\n')
    for i in range(120):
        f.write('<PubmedArticle><MedlineCitation><PMID Version="1">%d</PMID><Article>'
                '<ArticleTitle>Title %d.</ArticleTitle><Abstract><AbstractText>%s.'
                '</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>\n'
                % (61000000 + i, i, " ".join(r.choice(words) for _ in range(60))))
    f.write('</PubmedArticleSet>\n')
PY
lm --db vm.db ingest vm.xml
lm --db vm.db index build
check "index build for the damaged-model test" rc_is 0
python3 - <<'PY'
import struct
b = bytearray(open("vm.db.vectors", "rb").read())
model_len, = struct.unpack_from("=Q", b, 56)
off_model, = struct.unpack_from("=Q", b, 96)
assert model_len > 65536, "the LSA model is not in the vector file"
b[off_model + 1] ^= 0x5a
open("vm.db.vectors", "wb").write(b)
PY
check "a byte of the model flipped inside the vector file" test $? -eq 0
lm --db vm.db index check
check_rc=$LM_RC
ok "a damaged model in the vector file: index check reports it" \
    '[ "$LM_RC" -ne 0 ] && err_has "missing or damaged"'
for mode in hybrid dense; do
    lm --db vm.db query --mode $mode "kidney disease"
    ok "a damaged model in the vector file: a $mode query fails as index check does" \
        '[ "$LM_RC" = "$check_rc" ] && err_has "missing or damaged" &&
         err_has "litmine index build"'
done
# A NaN in the stored vector of an article the query matches (its first
# value, or the scale of an int8 vector; half precision 0x7e00).
# A vector in the file is replaced by a full row holding the NaN (as an
# older build could have stored it).
sql vec.db "update vectors set vec = cast(x'0000c07f' ||
            zeroblob((select dim from embed_models m where m.id = vectors.model_id)) as blob)
            where pmid = 50000000 and format = 2"
check "the NaN test's row is an int8 row" test "$(sql vec.db "select count(*) from vectors where pmid = 50000000 and length(vec) > 0")" = 1
for mode in dense hybrid; do
    lm --db vec.db query --json --mode $mode "BRCA1 repair"
    ok "NaN in a stored vector: --mode $mode prints valid JSON without nan" \
        'rc_is 0 && ! grep -qi "nan" "$SCRATCH/out" && python3 -c "
import json, sys
def bad(x): raise ValueError(x)
json.loads(open(sys.argv[1]).read(), parse_constant=bad)" "$SCRATCH/out"'
done
finish
