#!/bin/sh
# Exports of mentions, concepts and pairs: every format through a strict
# parser (quotes, commas, newlines and non-ASCII in fields), one test per
# filter, PubTator output whose offsets must reproduce the mention text,
# and evidence sentences cut by code points.  The annotations are written
# directly into the database so the expected rows are known exactly.
. "$(dirname "$0")/lib.sh"
F=$FIXTURES/cli
cd "$SCRATCH" || exit 2
DB=$SCRATCH/e.db
lm --db "$DB" ingest --stages none "$F/articles.xml"
# Text of 31000001 = title + " " + abstract; 31000002's title has non-ASCII.
sqlite3 "$DB" <<'SQL'
INSERT INTO mentions (pmid, start, "end", text, type, concept_id, sentence, score) VALUES
 (31000001, 0, 5, 'BRCA1', 'Gene', 'NCBIGene:672', 0, 0.98),
 (31000001, 15, 19, 'PARP', 'Gene', 'NCBIGene:142', 0, 0.61),
 (31000001, 42, 56, 'ovarian cancer', 'Disease', 'MESH:D010051', 0, 0.93),
 (31000001, 124, 132, 'Olaparib', 'Chemical', 'MESH:C531550', 2, 0.97),
 (31000002, 13, 25, 'α-synucléine', 'Gene', NULL, 0, 0.55),
 (31000003, 2, 7, 'weird, "quoted"
text', 'Chemical', 'MESH:C531550', 0, 0.40);
INSERT INTO pairs (pmid, chemical_id, chemical_text, disease_id, disease_text, relation, score,
                   sentence, evidence_start, evidence_end) VALUES
 (31000001, 'MESH:C531550', 'Olaparib', 'MESH:D010051', 'ovarian cancer', 'treats', 0.81, 2, 115, 186),
 (31000002, 'MESH:D000001', 'x, "y"', 'MESH:D000002', 'z', 'induces', 0.30, 0, 0, 59),
 (31000002, 'MESH:D000082', 'APAP', 'MESH:D006973', 'HTN', 'cooccurs', 0.12, 0, 0, 59);
UPDATE articles SET ingested_at = '2020-01-01T00:00:00Z' WHERE pmid = 31000003;
SQL
lm --db "$DB" index refresh

export_rows() {   # export_rows TABLE ARGS... -> rows as parsed by python's strict csv
    "$LITMINE" --db "$DB" export "$@" >"$SCRATCH/out.csv" 2>"$SCRATCH/err"
}
csv_check() {   # csv_check EXPR : python expression over rows (list of lists, header first)
    python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8"), strict=True))
ok = eval(sys.argv[2])
if not ok:
    print(rows, file=sys.stderr)
sys.exit(0 if ok else 1)' "$SCRATCH/out.csv" "$1"
}

export_rows mentions
check "mentions header" csv_check 'rows[0] == ["pmid","start","end","text","type","concept_id","sentence","score"]'
check "mentions: every row, quotes/commas/newlines round-trip" csv_check \
    'len(rows) == 7 and rows[6][3] == "weird, \"quoted\"\ntext" and rows[5][3] == "α-synucléine"'
check "mentions: NULL concept is an empty field" csv_check 'rows[5][5] == ""'
export_rows mentions --type Disease
check "--type filter" csv_check 'len(rows) == 2 and rows[1][4] == "Disease"'
export_rows mentions --concept MESH:C531550
check "--concept filter" csv_check 'sorted(r[0] for r in rows[1:]) == ["31000001", "31000003"]'
export_rows mentions --min-score 0.9
check "--min-score filter" csv_check 'len(rows) == 4 and all(float(r[7]) >= 0.9 for r in rows[1:])'
export_rows mentions --since 2021-01-01
check "--since filter" csv_check 'all(r[0] != "31000003" for r in rows[1:]) and len(rows) == 6'
export_rows mentions --query "ovarian PARP"
check "--query filter (every word)" csv_check 'len(rows) == 5 and {r[0] for r in rows[1:]} == {"31000001"}'
"$LITMINE" --db "$DB" export mentions --query 'ovarian" OR NEAR(x) -:* (' >"$SCRATCH/out.csv" 2>"$SCRATCH/err"
check "--query with FTS5 syntax is plain text, not an error" test $? -eq 0
export_rows mentions --query "alpha-synucleine"
check "--query: Greek letters match as names, accents folded (lexical index)" csv_check \
    '{r[0] for r in rows[1:]} == {"31000002"}'
export_rows articles --query "ovarian absentword"
check "--query: every word must occur" csv_check 'len(rows) == 1'
"$LITMINE" --db "$DB" export mentions --query ' -:* ' >"$SCRATCH/out.csv" 2>"$SCRATCH/err"
check "--query without a word: usage error" test $? -eq 2
check "--query without a word: says so" grep -q "no word" "$SCRATCH/err"

"$LITMINE" --db "$DB" export mentions --format jsonl >"$SCRATCH/m.jsonl"
check "mentions JSONL" python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(rows) == 6 and rows[0]["concept_id"] == "NCBIGene:672" and rows[4]["concept_id"] is None
assert rows[5]["text"] == "weird, \"quoted\"\ntext" and isinstance(rows[0]["score"], float)
' "$SCRATCH/m.jsonl"
"$LITMINE" --db "$DB" export mentions --format tsv >"$SCRATCH/m.tsv"
check "mentions TSV keeps one row per line" sh -c '[ "$(wc -l <"$1")" -eq 7 ] && grep -q "weird, \"quoted\"\\\\ntext" "$1"' _ "$SCRATCH/m.tsv"

"$LITMINE" --db "$DB" export mentions --format pubtator --type Gene >"$SCRATCH/m.pubtator"
check "PubTator: offsets reproduce each mention's text, every document is there" python3 -c '
import sys
docs, cur = {}, None
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    if "|t|" in line:
        pmid, _, t = line.split("|", 2); cur = docs.setdefault(pmid, {"t": t, "m": [], "r": []})
    elif "|a|" in line:
        cur["a"] = line.split("|", 2)[2]
    elif line and len(line.split("\t")) == 4:
        cur["r"].append(line.split("\t"))
    elif line:
        cur["m"].append(line.split("\t"))
assert sorted(docs) == ["31000001", "31000002", "31000003"], docs.keys()
assert docs["31000001"]["r"] == [["31000001", "treats", "MESH:C531550", "MESH:D010051"]], docs["31000001"]["r"]
assert docs["31000002"]["r"] == [["31000002", "induces", "MESH:D000001", "MESH:D000002"]]
n = 0
for pmid, d in docs.items():
    text = d["t"] + " " + d["a"]
    for m in d["m"]:
        assert text[int(m[1]):int(m[2])] == m[3], (m, text[int(m[1]):int(m[2])])
        assert m[4] == "Gene"; n += 1
assert n == 3
' "$SCRATCH/m.pubtator"
lm --db "$DB" export concepts --format pubtator
check "document formats are not for concepts" rc_is 2
"$LITMINE" --db "$DB" export pairs --format pubtator --pubtator3-ids >"$SCRATCH/p3.pubtator"
check "--pubtator3-ids writes gene ids bare" sh -c 'grep -q "	BRCA1	Gene	672\$" "$1" && ! grep -q NCBIGene "$1"' _ "$SCRATCH/p3.pubtator"
"$LITMINE" --db "$DB" export mentions --format pubtator --all-candidates >"$SCRATCH/all.pubtator"
check "PubTator with --all-candidates has the co-occurrence lines" grep -q "^31000002	cooccurs	MESH:D000082	MESH:D006973\$" "$SCRATCH/all.pubtator"

export_rows pairs
check "pairs header" csv_check 'rows[0] == ["pmid","chemical_id","chemical_text","disease_id","disease_text","relation","score","evidence_start","evidence_end","evidence","chemical_name","disease_name"]'
check "pairs: candidates left as co-occurrences are not exported by default" \
    csv_check 'len(rows) == 3 and all(r[5] != "cooccurs" for r in rows[1:])'
LITMINE_MODELS=$SCRATCH/no-models export_rows pairs
check "pairs: no lexicon, no concept names" csv_check 'all(r[10] == "" and r[11] == "" for r in rows[1:])'

check "pairs: evidence is the code-point span of title + abstract" python3 -c '
import csv, sqlite3, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8"), strict=True))[1:]
db = sqlite3.connect(sys.argv[2])
for r in rows:
    t, a = db.execute("select title, abstract from articles where pmid=?", (int(r[0]),)).fetchone()
    assert (t + " " + a)[int(r[7]):int(r[8])] == r[9], r
assert rows[1][2] == "x, \"y\"" and rows[1][9].startswith("Effets de la α-synucléine")
' "$SCRATCH/out.csv" "$DB"
export_rows pairs --concept MESH:D010051
check "pairs --concept matches the disease side" csv_check 'len(rows) == 2 and rows[1][5] == "treats"'
export_rows pairs --min-score 0.5
check "pairs --min-score" csv_check 'len(rows) == 2'
lm --db "$DB" export pairs --type Gene
check "--type does not apply to pairs" rc_is 2
export_rows pairs --all-candidates
check "pairs --all-candidates adds the co-occurrences" \
    csv_check 'len(rows) == 4 and rows[3][5] == "cooccurs" and rows[3][6] == "0.12"'
lm --db "$DB" export mentions --all-candidates
check "--all-candidates is for pairs" rc_is 2
# Concept names come from the lexicon the ner stage uses: MeSH headings.
"$LITMINE" lexicon import mesh "$FIXTURES/lexicon/desc_sample.xml" --lexicon "$SCRATCH/lex.bin" 2>/dev/null
printf '[pipeline]\nstages = sentences\n[models]\nlexicon = %s/lex.bin\n' "$SCRATCH" >"$SCRATCH/names.conf"
LITMINE_CONFIG="$SCRATCH/names.conf" export_rows pairs --all-candidates
check "pairs: chemical_name and disease_name are the MeSH headings" \
    csv_check 'rows[3][1:5] == ["MESH:D000082","APAP","MESH:D006973","HTN"] and rows[3][10:] == ["Acetaminophen","Hypertension"]'
LITMINE_CONFIG="$SCRATCH/names.conf" lm --db "$DB" show 31000002
ok "show lists the relations, not the co-occurrences" \
    'rc_is 0 && out_has "^  x, \"y\" induces z (0.30)" && ! out_has cooccurs'
LITMINE_CONFIG="$SCRATCH/names.conf" lm --db "$DB" show --json 31000001
check "show --json has the article's relations with names" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [(p["chemical_id"], p["chemical"], p["relation"]) for p in d["pairs"]] == [("MESH:C531550", "Olaparib", "treats")], d["pairs"]
assert d["pairs"][0]["evidence"] == (d["title"] + " " + d["abstract"])[115:186], d["pairs"]
' "$SCRATCH/out"

export_rows concepts
check "concepts header" csv_check 'rows[0] == ["concept_id","type","name","mentions","articles","first_year","last_year"]'
check "concepts aggregate mentions, articles and years" csv_check \
    '[r for r in rows if r[0] == "MESH:C531550"] == [["MESH:C531550","Chemical","Olaparib","2","2","2019","2020"]]'
check "concepts without an id are left out" csv_check 'all(r[0] for r in rows[1:]) and len(rows) == 5'
export_rows concepts --type Gene
check "concepts --type" csv_check 'len(rows) == 3'

export_rows articles --concept NCBIGene:672
check "articles --concept: articles mentioning it" csv_check 'len(rows) == 2 and rows[1][0] == "31000001"'
lm --db "$DB" export articles --min-score 0.5
check "--min-score does not apply to articles" rc_is 2
lm --db "$DB" export genes
check "unknown table is a usage error" rc_is 2
lm --db "$DB" export mentions --type Species
check "unknown type is a usage error" rc_is 2
lm --db "$DB" export mentions --min-score 2
check "out-of-range score is a usage error" rc_is 2

# Constant memory: 200,000 mention rows stream through without growing.
sqlite3 "$DB" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
    INSERT INTO mentions (pmid, start, \"end\", text, type, score) SELECT 31000001, 0, 5, 'BRCA1', 'Gene', 0.5 FROM n;"
python3 - "$LITMINE" "$DB" <<'PY' >"$SCRATCH/rss" 2>&1
import resource, subprocess, sys
subprocess.run([sys.argv[1], "--db", sys.argv[2], "export", "mentions", "--out", "/dev/null"], check=True)
print(int(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))
PY
# --out naming a pipe or device writes to it: renaming a .partial file over
# it would replace it (as root, /dev/null itself).
mkfifo "$SCRATCH/pipe"
cat "$SCRATCH/pipe" >"$SCRATCH/piped.csv" &
reader=$!
lm --db "$DB" export mentions --out "$SCRATCH/pipe"
[ "$LM_RC" -eq 0 ] || : >"$SCRATCH/pipe"   # a failed export never opened it
wait $reader
check "--out to a FIFO writes through it and leaves it a FIFO" \
    sh -c '[ -p "$1/pipe" ] && [ ! -e "$1/pipe.partial" ] && [ "$(wc -l <"$1/piped.csv")" -gt 200000 ]' _ "$SCRATCH"
check "a 200,000-row export runs in bounded memory ($(cat "$SCRATCH/rss") MB peak)" \
    sh -c '[ "$(cat "$1")" -lt 300 ]' _ "$SCRATCH/rss"
finish
