#!/bin/sh
# CLI tests for ingest / stats / show / export, global options, config,
# exit codes, and bad input (malformed XML, HTML, missing files, corrupt
# database).  Fixtures: tests/fixtures/cli/.
. "$(dirname "$0")/lib.sh"
F=$FIXTURES/cli
cd "$SCRATCH" || exit 2
DB=$SCRATCH/t.db

# --- global options and usage errors ----------------------------------
lm --help
ok "help exits 0 and lists commands" 'rc_is 0 && out_has "ingest" && out_has "export"'
lm --version
ok "version" 'rc_is 0 && out_has "^litmine [0-9]"'
lm --bogus stats
ok "unknown global flag is a usage error" 'rc_is 2 && err_has "unknown or incomplete option"'
lm frobnicate
ok "unknown command is a usage error" 'rc_is 2 && err_has "unknown command"'
lm --db "$DB" ingest --nope "$F/articles.xml"
ok "unknown ingest flag is a usage error" 'rc_is 2 && err_has "--nope"'
lm --db "$DB" ingest
check "ingest without files is a usage error" rc_is 2
lm eval cid --gold "$F/articles.xml" --gold-spans --gold-entities
ok "eval cid: --gold-spans with --gold-entities is a usage error" 'rc_is 2 && err_has "exclude each other"'
lm eval cid --gold "$F/articles.xml" --pred "$F/articles.xml" --save-pred x.txt
ok "eval cid: --save-pred with --pred is a usage error" 'rc_is 2 && err_has "not with --pred"' 
lm train ner --recipe ncbi --jackknife-out jk.pubtator --data "$SCRATCH"
ok "train ner: --jackknife-out only with the main recipe" \
    'rc_is 2 && err_has "needs --recipe main" && test ! -e jk.pubtator'
printf '1|t|Aspirin caused headache.\n1|a|Fooxamide did too.\n1\t0\t7\tAspirin\tChemical\tD001241\n1\t15\t23\theadache\tDisease\tD006261\n1\t25\t34\tFooxamide\tChemical\tC000001\n\n' >norm-gold.txt
printf '2|t|Headache after aspirin.\n2|a|None.\n2\t0\t8\tHeadache\tDisease\tD006261\n2\t15\t22\taspirin\tChemical\tD001241\n\n' >norm-train.txt
lm eval norm --gold norm-gold.txt --train norm-train.txt
ok "eval norm: accuracy per type, and descriptor ids alone when supplementary ids are gold" \
    'rc_is 0 && out_has "^Chemical  *2  *1  *1  *0.5000" && out_has "^Disease  *1  *1  *0  *1.0000" &&
     out_has "^Chemical, descriptors  *1  *1  *0  *1.0000" && ! out_has "Disease, descriptors"'
printf '3|t|Fooxamide.\n3|a|None.\n3\t0\t9\tFooxamide\tChemical\tD000069348\n\n' >norm-train3.txt
lm eval norm --gold norm-gold.txt --train norm-train.txt --train norm-train3.txt
ok "eval norm: a newer MeSH descriptor is wrong against an older gold id" \
    'rc_is 0 && out_has "^Chemical  *2  *1  *0  *0.5000" && ! out_has "newer MeSH"'
lm eval norm --gold norm-gold.txt --train norm-train.txt --train norm-train3.txt --newer-mesh
ok "eval norm --newer-mesh: ... unless read as the gold's id, and counted" \
    'rc_is 0 && out_has "^Chemical  *2  *2  *0  *1.0000" && out_has "right through a newer MeSH descriptor: 1$"'
lm eval ner --gold norm-gold.txt --pred norm-gold.txt --newer-mesh
ok "eval ner --newer-mesh: a usage error" 'rc_is 2 && err_has "for cid and norm"'
lm --db "$DB" ingest --help
ok "command help goes to stdout" 'rc_is 0 && out_has "usage: litmine ingest"'
check "usage errors wrote no database" test ! -e "$DB"

# --- ingest, stats, show ----------------------------------------------
lm --db "$DB" ingest "$F/articles.xml"
check "ingest exits 0" rc_is 0
check "ingest is silent when stderr is not a TTY" test ! -s "$SCRATCH/err"
check "three articles stored" sql_is "$DB" "select count(*) from articles" 3
check "title with inline markup" sql_is "$DB" "select title from articles where pmid=31000001" \
    "BRCA1 loss and PARP inhibitor response in ovarian cancer."
check "structured abstract with labels and markup" sql_is "$DB" \
    "select abstract from articles where pmid=31000001" \
    "BACKGROUND: Homologous recombination repair needs BRCA1. RESULTS: Olaparib reduced growth by 40% (p < 0.05) in Ca2+-free medium."
check "MedlineDate year" sql_is "$DB" "select year from articles where pmid=31000002" 2018
check "DOI from ELocationID" sql_is "$DB" "select doi from articles where pmid=31000003" 10.1000/cr.2020.7
check "title-only article kept with empty abstract" sql_is "$DB" \
    "select abstract = '' from articles where pmid=31000003" 1
check "mesh headings with major topic" sql_is "$DB" \
    "select group_concat(ui || ':' || major_topic, ',') from mesh_headings where pmid=31000001" \
    "D019313:0,D010051:1"
check "WAL journal mode" sql_is "$DB" "pragma journal_mode" wal
check "ingest log row" sql_is "$DB" "select status, articles, inserted from ingest_log" "done|3|3"

lm --db "$DB" stats
ok "stats counts" 'rc_is 0 && out_has "articles *3" && out_has "articles.xml"'
lm --db "$DB" show 31000002
ok "show as text" 'rc_is 0 && out_has "α-synucléine" && out_has "Review"'
lm --db "$DB" show --json 31000001
ok "show --json is valid JSON with fields" 'rc_is 0 && python3 -c "
import json,sys
a=json.load(open(sys.argv[1]))
assert a[\"pmid\"]==31000001 and a[\"year\"]==2019 and a[\"doi\"]==\"10.1000/jto.2019.001\"
assert a[\"mesh\"][1][\"major_topic\"] is True and a[\"language\"]==\"eng\"
" "$SCRATCH/out"'
lm --db "$DB" show 4242
ok "show of a missing PMID fails" 'rc_is 1 && err_has "4242"'
lm --db "$DB" show abc
check "show of a non-number is a usage error" rc_is 2

# --- idempotence and versions -----------------------------------------
lm --db "$DB" ingest "$F/articles.xml"
check "same file again is skipped" rc_is 0
check "skip leaves no new log row" sql_is "$DB" "select count(*) from ingest_log" 1
# xxhsum -H2 tests/fixtures/cli/articles.xml; plain XML gets no MD5.
check "log holds the file's XXH3-128" sql_is "$DB" "select xxh128 || '|' || (md5 is null) from ingest_log" \
    "d794f025b8183ffcee35ab2cb86f4576|1"
# A row logged before the switch to XXH3-128 has only an MD5: still matched.
sql "$DB" "update ingest_log set xxh128 = null, md5 = '$(md5sum <"$F/articles.xml" | cut -c1-32)'"
lm --db "$DB" ingest "$F/articles.xml"
check "a row with only an MD5 still skips the same file" sql_is "$DB" "select count(*) from ingest_log" 1
sql "$DB" "update ingest_log set md5 = '00000000000000000000000000000000'"
lm --db "$DB" ingest "$F/articles.xml"
check "a different MD5 means different bytes: ingested" sql_is "$DB" \
    "select count(*) || '|' || max(xxh128) from ingest_log" "2|d794f025b8183ffcee35ab2cb86f4576"
# Same name, same size, one byte changed: not the same file.
mkdir -p "$SCRATCH/edited"
sed 's/BRCA1 loss/BRCA2 loss/' "$F/articles.xml" >"$SCRATCH/edited/articles.xml"
lm --db "$DB" ingest "$SCRATCH/edited/articles.xml"
check "an edited file of the same name and size is ingested" sql_is "$DB" \
    "select count(*) || '|' || (select replaced from ingest_log order by id desc limit 1) from ingest_log" "3|1"
lm --db "$DB" ingest --force "$F/articles.xml"
check "forced re-ingest succeeds" rc_is 0
check "forced re-ingest puts the original back" sql_is "$DB" \
    "select replaced || '|' || unchanged from ingest_log order by id desc limit 1" "1|2"
lm --db "$DB" ingest --force "$F/articles.xml"
check "forced re-ingest finds everything unchanged" sql_is "$DB" \
    "select unchanged from ingest_log order by id desc limit 1" 3
sql "$DB" "select * from articles; select * from mesh_headings; select * from publication_types" >"$SCRATCH/rows1"
lm --db "$DB" ingest --force "$F/articles.xml"
sql "$DB" "select * from articles; select * from mesh_headings; select * from publication_types" >"$SCRATCH/rows2"
check "re-ingest leaves identical rows" cmp -s "$SCRATCH/rows1" "$SCRATCH/rows2"

lm --db "$DB" ingest "$F/update.xml"
check "update file ingests" rc_is 0
check "higher version replaces" sql_is "$DB" "select version || '|' || abstract from articles where pmid=31000001" \
    "2|Version two of the abstract."
check "replaced article's old MeSH rows are gone" sql_is "$DB" \
    "select count(*) from mesh_headings where pmid=31000001" 0
check "DeleteCitation deletes" sql_is "$DB" "select count(*) from articles where pmid=31000003" 0
check "deletion counted once (unknown PMID ignored)" sql_is "$DB" \
    "select deleted from ingest_log order by id desc limit 1" 1
lm --db "$DB" ingest "$F/older.xml"
check "older version is ignored" sql_is "$DB" "select version from articles where pmid=31000001" 2

# --- gzip and stdin -----------------------------------------------------
gzip -c "$F/articles.xml" >"$SCRATCH/articles.xml.gz"
lm --db "$SCRATCH/gz.db" ingest "$SCRATCH/articles.xml.gz"
check "a gzip file's log row has the MD5 of its bytes, as NLM's .md5" sql_is "$SCRATCH/gz.db" \
    "select md5 from ingest_log" "$(md5sum <"$SCRATCH/articles.xml.gz" | cut -c1-32)"
lm --db "$SCRATCH/plain.db" ingest "$F/articles.xml"
ok "gzip and plain give the same rows" '
    [ "$(sqlite3 "$SCRATCH/gz.db" "select pmid,version,title,abstract,journal,year,doi from articles")" = \
      "$(sqlite3 "$SCRATCH/plain.db" "select pmid,version,title,abstract,journal,year,doi from articles")" ]'
gzip -c "$F/articles.xml" >"$SCRATCH/no-suffix"
lm --db "$SCRATCH/magic.db" ingest "$SCRATCH/no-suffix"
check "gzip detected by content, not name" sql_is "$SCRATCH/magic.db" "select count(*) from articles" 3
lm --db "$SCRATCH/stdin.db" ingest - <"$F/articles.xml"
ok "stdin ingest" 'rc_is 0 && [ "$(sqlite3 "$SCRATCH/stdin.db" "select count(*) from articles")" = 3 ]'

# --- bad input ---------------------------------------------------------
BAD=$SCRATCH/bad.db
lm --db "$BAD" ingest "$F/bad.xml" "$F/articles.xml"
check "malformed XML exits 3" rc_is 3
check "error names file and line" err_has "bad.xml:5"
check "articles before the fault are stored, later files too" sql_is "$BAD" \
    "select count(*) from articles where pmid in (32000001, 32000002, 31000001)" 3
check "broken article not stored" sql_is "$BAD" "select count(*) from articles where pmid=32000003" 0
check "failed ingest logged" sql_is "$BAD" "select status from ingest_log where source='bad.xml'" failed
lm --db "$BAD" ingest "$F/page.html"
ok "HTML page is reported as such" 'rc_is 3 && err_has "HTML"'
lm --db "$BAD" ingest "$SCRATCH/does-not-exist.xml"
ok "missing file exits 3 with message" 'rc_is 3 && err_has "does-not-exist.xml"'
head -c 700 "$SCRATCH/articles.xml.gz" >"$SCRATCH/trunc.xml.gz"
lm --db "$BAD" ingest "$SCRATCH/trunc.xml.gz"
ok "truncated gzip exits 3" 'rc_is 3 && err_has "trunc.xml.gz"'
printf '\377\376garbage' >"$SCRATCH/binary.xml"
lm --db "$BAD" ingest "$SCRATCH/binary.xml"
check "binary garbage exits 3" rc_is 3
check "database intact after bad inputs" sql_is "$BAD" "pragma integrity_check" ok

# --- corrupt database ---------------------------------------------------
head -c 8192 /dev/urandom >"$SCRATCH/corrupt.db"
cp "$SCRATCH/corrupt.db" "$SCRATCH/corrupt.orig"
lm --db "$SCRATCH/corrupt.db" ingest "$F/articles.xml"
ok "non-database file exits 4" 'rc_is 4 && err_has "corrupt.db"'
check "non-database file left untouched" cmp -s "$SCRATCH/corrupt.db" "$SCRATCH/corrupt.orig"
lm --db "$SCRATCH/missing.db" stats
ok "stats on a missing database fails cleanly" 'rc_is 4 && [ ! -e "$SCRATCH/missing.db" ]'

# Exit status 4 is the database's alone (docs/usage.md, Exit status): a
# model or lexicon that fails its integrity check is a failed command, 1.
printf 'not a lexicon' >"$SCRATCH/bad-lexicon.bin"
lm lexicon info --lexicon "$SCRATCH/bad-lexicon.bin"
ok "a corrupt lexicon exits 1, not 4" 'rc_is 1 && err_has "corrupt lexicon file"'
mkdir "$SCRATCH/bad-models"
cp "$SCRATCH/bad-lexicon.bin" "$SCRATCH/bad-models/lexicon.bin"
lm --db "$DB" --models "$SCRATCH/bad-models" query aspirin
ok "query with a corrupt lexicon exits 1, not 4" 'rc_is 1 && err_has "corrupt lexicon file"'

# --- export ------------------------------------------------------------
lm --db "$SCRATCH/plain.db" export articles --format csv
check "CSV export" rc_is 0
check "CSV round-trips through a strict parser" python3 -c '
import csv, sqlite3, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8"), strict=True))
assert rows[0] == ["pmid","version","title","abstract","journal","year","doi","language","date_revised",
                   "pmcid","authors","keywords","mesh","chemicals","grants","cited_pmids"], rows[0]
db = sqlite3.connect(sys.argv[2])
want = [[str(r[0]), str(r[1]), r[2], r[3], r[4] or "", "" if r[5] is None else str(r[5]), r[6] or "", r[7] or "", r[8] or ""]
        for r in db.execute("select pmid,version,title,abstract,journal,year,doi,language,date_revised from articles order by pmid")]
assert [r[:9] for r in rows[1:]] == want, (rows[1:], want)
# the MeSH column: "*" marks a major topic, qualifiers follow "/"
assert rows[1][12] == "BRCA1 Protein; *Ovarian Neoplasms/drug therapy", rows[1]
assert any(chr(34) in f for r in rows for f in r) and any("," in f for r in rows[1:] for f in r)
' "$SCRATCH/out" "$SCRATCH/plain.db"
lm --db "$SCRATCH/plain.db" export articles --format jsonl --out "$SCRATCH/a.jsonl"
ok "JSONL export to --out" 'rc_is 0 && [ ! -s "$SCRATCH/out" ] && [ ! -e "$SCRATCH/a.jsonl.partial" ]'
check "JSONL lines parse with the documented keys" python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(lines) == 3
assert list(lines[0].keys()) == ["pmid","version","title","abstract","journal","year","doi","language","date_revised",
                                 "pmcid","authors","keywords","mesh","chemicals","grants","cited_pmids"]
assert lines[1]["title"].startswith("Effets de la \u03b1-synucl") and lines[2]["abstract"] == ""
' "$SCRATCH/a.jsonl"
lm --db "$SCRATCH/plain.db" export articles --format tsv
ok "TSV export has one line per row" 'rc_is 0 && [ "$(wc -l <"$SCRATCH/out")" -eq 4 ] && grep -q "Line one, with a comma" "$SCRATCH/out"'
lm --db "$SCRATCH/plain.db" export articles --format xml
check "unknown export format is a usage error" rc_is 2
lm --db "$SCRATCH/plain.db" export articles --excel --out "$SCRATCH/x.csv"
ok "--excel writes a BOM" '[ "$(head -c 3 "$SCRATCH/x.csv" | od -An -tx1 | tr -d " ")" = efbbbf ]'
lm --db "$SCRATCH/plain.db" export articles --out /nonexistent-dir/x.csv
ok "export to an unwritable place fails" 'rc_is 1 && err_has "nonexistent-dir"'

# --- command options anywhere on the line --------------------------------
# As getopt permutes: a command's options may follow its files; "--" ends
# the options, so a file may start with "-".
OA=$SCRATCH/anywhere.db
lm --db "$OA" ingest "$F/articles.xml" --stages none --batch-size 1
ok "ingest: options after the file are options" \
    'rc_is 0 && sql_is "$OA" "select count(*) from articles" 3 &&
     sql_is "$OA" "select count(*) from sentences" 0'
cp "$F/articles.xml" "$SCRATCH/-dash.xml"
(cd "$SCRATCH" && "$LITMINE" --db "$OA" ingest --force -- -dash.xml >out 2>err; echo $? >rc)
ok "ingest: after --, a file may start with '-'" \
    '[ "$(cat "$SCRATCH/rc")" = 0 ] && sql_is "$OA" "select count(*) from ingest_log where source = '"'"'-dash.xml'"'"'" 1'
lm --db "$OA" ingest --force "$F/articles.xml" -- --stages
ok "ingest: after --, an option name is a file" \
    'rc_is 3 && err_has "cannot open --stages"'
lm --db "$OA" stats extra --last 1
ok "stats: an operand is refused wherever it stands" 'rc_is 2 && err_has "unexpected argument .extra."'
lm model info -- -no-such-model
ok "model info: after --, DIR may start with '-'" 'rc_is 1 && err_has "-no-such-model: no config.json"'
lm model info a b
ok "model info: a second DIR is refused" 'rc_is 2 && err_has "unexpected argument .b."'

# --- subcommands from the command table -----------------------------------
lm train --help
ok "train --help lists its subcommands" 'rc_is 0 && out_has "litmine train ner" && out_has "litmine train pairs"'
lm train
ok "train without a subcommand is a usage error" 'rc_is 2 && err_has "which one? (ner, pairs)"'
lm train bogus
ok "train: unknown subcommand" 'rc_is 2 && err_has "unknown subcommand .bogus."'
lm eval search --help
ok "eval search is its own entry" 'rc_is 0 && out_has "usage: litmine eval search"'
lm train pairs --bits=5
ok "train pairs: --opt=value, checked" 'rc_is 2 && err_has "--bits wants an integer in \[10, 24\]"'
lm train pairs stray
ok "train pairs: an operand is refused" 'rc_is 2 && err_has "unexpected argument .stray."'
lm train ner --bits=5
ok "train ner: --opt=value, checked" 'rc_is 2 && err_has "--bits wants an integer in \[10, 24\]"'
lm train ner --recipe=ncbi --jackknife-out=jk.pubtator --data="$SCRATCH"
ok "train ner: --opt=value, as with a space" \
    'rc_is 2 && err_has "needs --recipe main" && test ! -e jk.pubtator'
lm train ner --final --perceptron --seed
ok "train ner: an option without its value" 'rc_is 2 && err_has "option .--seed. needs a value"'
lm train ner stray
ok "train ner: an operand is refused" 'rc_is 2 && err_has "unexpected argument .stray."'
lm train ner --help
ok "train ner: --help" 'rc_is 0 && out_has "usage: litmine train ner"'

# --- an unknown option names the argument it is in (-dash.xml exists here:
# it goes after --, as tested above) -------------------------------------------
lm --db "$SCRATCH/none.db" ingest -dash.xml
ok "a cluster of short letters: the argument and the letter" \
    'rc_is 2 && err_has "ingest: unknown option -d in .-dash.xml. (an argument that starts with .-. goes after --)"'
lm --db "$SCRATCH/none.db" ingest "$F/articles.xml" --force -dash.xml
ok "... after an operand and an option too" 'rc_is 2 && err_has "unknown option -d in .-dash.xml."'
lm --db "$SCRATCH/none.db" ingest --force -x
ok "a single unknown letter" 'rc_is 2 && err_has "ingest: unknown option .-x.$"'
lm --db "$SCRATCH/none.db" ingest --force=yes x.xml
ok "a value for a flag" 'rc_is 2 && err_has "ingest: option .--force. takes no value"'
lm --db "$SCRATCH/none.db" export mentions -o
ok "a short option without its value" 'rc_is 2 && err_has "export: option -o needs a value"'
lm eval ner -gold g.txt
ok "eval (options after its mode): the argument" 'rc_is 2 && err_has "eval: unknown option -g in .-gold."'
lm train pairs -seed
ok "train pairs: the argument" 'rc_is 2 && err_has "train pairs: unknown option -s in .-seed."'
check "no database from option errors" test ! -e "$SCRATCH/none.db"

# --- reprocess ------------------------------------------------------------
RP=$SCRATCH/rp.db
lm --db "$RP" ingest --stages none "$F/articles.xml"
check "--stages none stores no annotations" sql_is "$RP" "select count(*) from sentences" 0
lm --db "$RP" reprocess --stages sentences --since 2999-01-01
check "reprocess --since in the future touches nothing" sql_is "$RP" "select count(*) from sentences" 0
lm --db "$RP" reprocess --stages sentences
check "reprocess adds the stage's rows" sql_is "$RP" "select count(distinct pmid) from sentences" 3
sql "$RP" "select * from sentences order by pmid, idx" >"$SCRATCH/s1"
lm --db "$RP" reprocess --stages sentences --threads 1
sql "$RP" "select * from sentences order by pmid, idx" >"$SCRATCH/s2"
check "reprocessing again replaces rather than duplicates" cmp -s "$SCRATCH/s1" "$SCRATCH/s2"
check "sentence offsets are code points into title + abstract" sql_is "$RP" \
    "select start || '-' || \"end\" from sentences where pmid = 31000002 and idx = 0" "0-59"
lm --db "$RP" reprocess --stages bogus
ok "unknown stage is a usage error" 'rc_is 2 && err_has "bogus"'
lm --db "$RP" reprocess --since yesterday
check "bad --since is a usage error" rc_is 2
lm --db "$RP" ingest --stages sentences,sentences "$F/articles.xml"
check "a stage listed twice is a usage error" rc_is 2

# --- real NCBI data (../shared/data) -------------------------------------
if [ -n "$SHARED" ]; then
    B=$SHARED/pubmed_eutils/pmparser_bulk_samples
    R=$SCRATCH/real.db
    # An article that update file 26n1335 deletes, stored beforehand.
    python3 "$ROOT/scripts/gen-pubmed.py" --articles 1 --start-pmid 41618748 \
        --out "$SCRATCH/doomed.xml" "$F/articles.xml" >/dev/null
    lm --db "$R" ingest --stages none "$SCRATCH/doomed.xml" "$B/pubmed20n1015.xml.gz" \
        "$B/pubmed20n1016.xml.gz" "$B/pubmed26n1334.xml.gz" "$B/pubmed26n1335.xml.gz"
    check "NLM bulk samples ingest" rc_is 0
    check "117 articles, 3 repeated inside 20n1015: 114 distinct" sql_is "$R" \
        "select sum(articles) || '|' || (select count(*) - 0 from articles where pmid <> 41618748) from ingest_log where source like 'pubmed2%'" "117|114"
    check "DeleteCitation of 26n1335 removed the stored article" sql_is "$R" \
        "select count(*) || '|' || (select deleted from ingest_log where source = 'pubmed26n1335.xml.gz') from articles where pmid = 41618748" "0|1"
    check "all 268 deletions recorded" sql_is "$R" "select count(*) from deleted_pmids" 268
    check "ingest log MD5 equals NLM's published .md5" sh -c \
        '[ "$(sqlite3 "$1" "select md5 from ingest_log where source = '"'"'pubmed26n1334.xml.gz'"'"'")" = "$(grep -o "[0-9a-f]\{32\}" "$2")" ]' \
        _ "$R" "$B/pubmed26n1334.xml.gz.md5"
    check "structured abstract of a real record" sql_is "$R" \
        "select substr(abstract, 1, 50) from articles where pmid = 26228458" \
        "BACKGROUND: Although migration and urbanization ha"
    check "DOI from ArticleIdList, not from references" sql_is "$R" \
        "select doi from articles where pmid = 26228458" "10.1038/ijo.2015.140"
    E=$SHARED/pubmed_eutils
    lm --db "$R" ingest --stages none "$E/biopython/pubmed1.xml" "$E/biopython/pubmed4.xml" \
        "$E/eutils_json_samples/efetch.pubmedbook.xml" "$E/eutils_json_samples/efetch.pubmed.xml"
    check "EFetch responses ingest" rc_is 0
    check "book articles are stored and flagged" sql_is "$R" "select count(*) > 0 from articles where is_book = 1" 1
    lm --db "$R" ingest "$E/biopython/pubmed3.html"
    ok "NCBI's HTML error page is reported as such" 'rc_is 3 && err_has "HTML"'
else
    skip "real NCBI data" "../shared/data not present"
fi

# --- configuration -----------------------------------------------------
printf '[store]\npath = %s/from-config.db\nbatch_size = 2\n[pipeline]\nstages = sentences\n' "$SCRATCH" >"$SCRATCH/lm.conf"
lm --config "$SCRATCH/lm.conf" ingest "$F/articles.xml"
ok "config [store] path is used" 'rc_is 0 && [ -s "$SCRATCH/from-config.db" ]'
LITMINE_CONFIG="$SCRATCH/lm.conf" "$LITMINE" stats >"$SCRATCH/out" 2>"$SCRATCH/err"; LM_RC=$?
ok "LITMINE_CONFIG is read" 'rc_is 0 && out_has "from-config.db"'
lm --config "$SCRATCH/lm.conf" --db "$SCRATCH/flag.db" ingest "$F/articles.xml"
ok "--db overrides the config" '[ -s "$SCRATCH/flag.db" ]'
lm --config "$ROOT/etc/litmine.conf" --db "$SCRATCH/example-conf.db" ingest --stages none "$F/articles.xml"
check "the shipped example config is valid" rc_is 0
lm --config "$F/bad.conf" stats
ok "malformed config is a usage error naming the line" 'rc_is 2 && err_has "bad.conf:3"'
lm --config "$SCRATCH/nope.conf" stats
ok "missing --config file fails" 'rc_is 1 && err_has "nope.conf"'

# --- every command reads its options with getopt: --opt=value, options
# anywhere, clear errors ----------------------------------------------------
OD=$SCRATCH/opts.db
lm --db "$OD" ingest --stages none "$F/articles.xml"
lm --db "$OD" query --mode=lexical --k=1 --json BRCA1
ok "query: --opt=value" 'rc_is 0 && out_has "\"mode\":\"lexical\"" && out_has "\"rank\":1" && ! grep -q "\"rank\":2" "$SCRATCH/out"'
lm --db "$OD" query BRCA1 -k 1 --mode lexical --json
ok "query: options after the text" 'rc_is 0 && out_has "\"query\":\"BRCA1\"" && ! grep -q "\"rank\":2" "$SCRATCH/out"'
lm --db "$OD" query --mode=fuzzy BRCA1
ok "query: a bad value is named" 'rc_is 2 && err_has "--mode: expected hybrid, lexical or dense, got .fuzzy."'
lm --db "$OD" query --colour=never BRCA1
ok "query: an unknown option" 'rc_is 2 && err_has "query: unknown option .--colour=never."'
lm --db "$OD" query -- -BRCA1
ok "query: text after -- may start with '-'" 'rc_is 0 || rc_is 3'
lm --db "$OD" index build --dim=1
ok "index build: --opt=value, checked" 'rc_is 2 && err_has "--dim: expected an integer in 2..4096, got .1."'
lm --db "$OD" index info --dim=8
ok "index info: build's options are refused" 'rc_is 2 && err_has "index info: unknown option .--dim=8."'
lm --db "$OD" index refresh --vec-format=i8
ok "index refresh: --opt=value" 'rc_is 0'
lm --db "$OD" index info extra
ok "index: an operand is refused" 'rc_is 2 && err_has "index info: unexpected argument .extra."'
lm --db "$OD" serve --threads=0
ok "serve: --opt=value, checked" 'rc_is 2 && err_has "--threads: expected an integer in 1..64, got .0."'
lm --db "$OD" serve --listen
ok "serve: an option without its value" 'rc_is 2 && err_has "serve: option .--listen. needs a value"'
printf 'Aspirin relieved the headache.\n' >"$SCRATCH/tag.txt"
lm tag --format=jsonl <"$SCRATCH/tag.txt"
ok "tag: --opt=value" 'rc_is 0 && out_has "\"type\":\"Chemical\""'
lm tag --format=xml <"$SCRATCH/tag.txt"
ok "tag: a bad value" 'rc_is 2 && err_has "unknown format .xml."'
lm tag stray.txt <"$SCRATCH/tag.txt"
ok "tag: an operand is refused (tag reads stdin)" 'rc_is 2 && err_has "unexpected argument .stray.txt."'
lm model embed --pooling=max "$SCRATCH"
ok "model embed: --opt=value, checked" 'rc_is 2 && err_has "model embed: --pooling: expected mean or cls, got .max."'
lm model info "$SCRATCH" "$SCRATCH"
ok "model info: one DIR" 'rc_is 2 && err_has "model info: unexpected argument"'
lm model fetch --revision
ok "model fetch: an option without its value" 'rc_is 2 && err_has "model fetch: option .--revision. needs a value"'
lm eval search --dim=1 --corpus=c --queries=q --qrels=r
ok "eval search: --opt=value, checked" 'rc_is 2 && err_has "--dim wants an integer in \[2, 4096\], got .1."'
lm eval search --corpus=c --bogus
ok "eval search: an unknown option" 'rc_is 2 && err_has "eval search: unknown option .--bogus."'

finish
