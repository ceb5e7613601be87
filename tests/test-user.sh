#!/bin/sh
# What a user meets first (issue "for the people who use it"): `make demo`
# without ../shared shows hits and pairs; the models are found where users
# put them and a missing one says where litmine looked; --version names the
# schema and the models; global options work after the command; `show`
# highlights mentions (colour only on a terminal, NO_COLOR respected) and
# --json carries the same; `export --pmid/--pmids` filters every table;
# every option alias means what its new name means; one date syntax;
# case-insensitive types; unknown configuration keys are reported with
# file and line; a per-user configuration; BioC and PubTator exports read
# back by litmine's own reader; concept watches and their reports.
. "$(dirname "$0")/lib.sh"
F=$FIXTURES
cd "$SCRATCH" || exit 2

# ---- make demo on a fresh clone ------------------------------------------
(cd "$ROOT" && LITMINE_DEMO_NO_SHARED=1 LITMINE_DEMO_DB="$SCRATCH/demo.db" \
    sh scripts/demo.sh "$LITMINE") >"$SCRATCH/demo.out" 2>&1
DEMO_RC=$?
check "make demo runs without ../shared" test "$DEMO_RC" -eq 0
check "the demo's query has hits" grep -q '^ 1\. .*PMID [0-9]' "$SCRATCH/demo.out"
check "the demo shows an article's pairs" grep -q '^  Ribociclib treats breast neoplasms' "$SCRATCH/demo.out"
check "the demo shows highlighted mentions" grep -q '\[Ribociclib|Chemical\]' "$SCRATCH/demo.out"
check "the demo exports pairs" grep -q '^pmid	chemical_id' "$SCRATCH/demo.out"
check "the demo sample is real PubMed and under 300 KB" sh -c \
    '[ "$(wc -c <"$1")" -le 307200 ] && zcat "$1" | grep -q "<PubmedArticle><MedlineCitation" && test -s "$2"' \
    _ "$ROOT/scripts/demo/pubmed-sample.xml.gz" "$ROOT/scripts/demo/NOTICE"

# ---- models found where users put them ------------------------------------
mkdir -p bin pfx/bin pfx/share/litmine nomodels
cp "$LITMINE" bin/litmine && ln -s "$ROOT/models" bin/models
cp "$LITMINE" pfx/bin/litmine && ln -s "$ROOT/models" pfx/share/litmine/models
cp "$LITMINE" nomodels/litmine
lm --version
check "--version names the schema version and each model's id" sh -c \
    'grep -q "^database schema version [0-9][0-9]*$" "$1" && grep -q "^  ner.bin  *id [0-9a-f]\{12\}  trained " "$1"' _ "$SCRATCH/out"
./bin/litmine --version >out 2>err
check "models beside the executable" grep -q "^models: $SCRATCH/bin/models (beside the executable)" out
./pfx/bin/litmine --version >out 2>err
check "models in ../share/litmine/models beside the executable" grep -q "share/litmine/models (beside the executable)" out
printf '[models]\ndir = %s/models\n' "$ROOT" >models.conf
./nomodels/litmine --config models.conf --version >out 2>err
check "[models] dir" grep -q "^models: $ROOT/models (\[models\] dir)" out
LITMINE_MODELS=$ROOT/models ./nomodels/litmine --config models.conf --version >out 2>err
check "LITMINE_MODELS before [models] dir" grep -q "(LITMINE_MODELS)" out
LITMINE_MODELS=/elsewhere ./nomodels/litmine --models "$ROOT/models" --version >out 2>err
check "--models before LITMINE_MODELS" grep -q "^models: $ROOT/models (--models)" out
./nomodels/litmine --db nm.db ingest --stages sentences,ner "$F/cli/articles.xml" >out 2>err
check "a missing model fails with exit 1" test $? -eq 1
check "the error lists where litmine looked and what to do" sh -c \
    'grep -q "looked in $1/nomodels/models (beside the executable)" "$2" && grep -q "install prefix" "$2" && grep -q -- "--models DIR" "$2" && ! grep -q "make train" "$2"' _ "$SCRATCH" err
check "a missing model leaves no database" test ! -e nm.db
echo aspirin | ./nomodels/litmine tag >out 2>err
check "tag says where it looked for the model too" sh -c '[ $1 -eq 1 ] && grep -q "looked in" err' _ $?

# ---- bash completion, from the binary's own --help -------------------------
complete_words() {   # complete_words WORDS...: the completions of the last word
    bash -c '. "$1/scripts/litmine.bash-completion"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _litmine; echo "${COMPREPLY[*]}"' \
        _ "$ROOT" "$LITMINE" "$@"
}
if command -v bash >/dev/null 2>&1; then
    check "completion: commands" sh -c '[ "$1" = export ]' _ "$(complete_words exp)"
    check "completion: a command's options" sh -c '[ "$1" = --pubtator3-ids ]' _ "$(complete_words export --pu)"
    check "completion: subcommands" sh -c '[ "$1" = "remove report" ]' _ "$(complete_words watch re)"
    check "completion: fixed values" sh -c '[ "$1" = "bioc-xml bioc-json" ]' _ "$(complete_words export --format bi)"
else
    skip "bash completion" "bash not installed"
fi

# ---- global options anywhere, the per-user configuration ------------------
DB=$SCRATCH/u.db
lm ingest --stages none "$F/cli/articles.xml" "$F/pubmed/biblio.xml" --db "$DB"
check "--db after the command" sql_is "$DB" "select count(*) from articles" 4
lm stats --db "$DB" -q
ok "-q and --db after the command" 'rc_is 0 && out_has "articles"'
lm stats --db
ok "a global option without its value after the command is a usage error" 'rc_is 2 && err_has "needs a value"'
mkdir -p home/.config/litmine xdg/litmine
printf '[store]\npath = %s\n' "$DB" >home/.config/litmine/litmine.conf
printf '[store]\npath = %s/xdg.db\n' "$SCRATCH" >xdg/litmine/litmine.conf
(unset LITMINE_CONFIG XDG_CONFIG_HOME; HOME=$SCRATCH/home "$LITMINE" stats >out 2>err)
check "~/.config/litmine/litmine.conf is read" grep -q "^database: $DB " out
(unset LITMINE_CONFIG; HOME=$SCRATCH/home XDG_CONFIG_HOME=$SCRATCH/xdg "$LITMINE" stats >out 2>err)
check "\$XDG_CONFIG_HOME/litmine/litmine.conf replaces ~/.config" grep -q "xdg.db" err
printf '[pipeline]\nstages = sentences\n[eutils]\nemial = me@example.org\n' >typo.conf
lm --config typo.conf --db "$DB" stats
ok "an unknown setting is reported with file, line and the key meant" \
    'rc_is 0 && err_has "typo.conf:4: unknown setting \[eutils\] emial (did you mean \[eutils\] email?)"'
# every key a module reads is known: none of these may be reported
printf '[serve]\nlisten = 127.0.0.1:8080\nthreads = 2\n[embed]\npooling = mean\n[ner]\naggregation = first\n[watch]\nreport_dir = r\n' >known.conf
lm --config known.conf --db "$DB" stats
ok "the settings of serve, embed, ner and watch are known" '
    rc_is 0 && ! grep -q "unknown setting" err'

# ---- show ------------------------------------------------------------------
sqlite3 "$DB" <<'SQL'
INSERT INTO mentions (pmid, start, "end", text, type, concept_id, sentence, score) VALUES
 (39000001, 0, 9, 'Cisplatin', 'Chemical', 'MESH:D002945', 0, 0.9),
 (39000001, 18, 32, 'nephrotoxicity', 'Disease', 'MESH:D007674', 0, 0.8),
 (39000001, 46, 55, 'Cisplatin', 'Chemical', 'MESH:D002945', 1, 0.9),
 (31000001, 0, 5, 'BRCA1', 'Gene', 'NCBIGene:672', 0, 0.98);
INSERT INTO pairs (pmid, chemical_id, chemical_text, disease_id, disease_text, relation, score,
                   sentence, evidence_start, evidence_end) VALUES
 (39000001, 'MESH:D002945', 'Cisplatin', 'MESH:D007674', 'nephrotoxicity', 'induces', 0.8, 0, 0, 45);
SQL
LITMINE_MODELS=$SCRATCH/none lm --db "$DB" show 39000001
ok "show marks mentions with plain brackets off a terminal" \
    'rc_is 0 && out_has "^\[Cisplatin|Chemical\]-induced \[nephrotoxicity|Disease\] in children\.$" && ! grep -q "$(printf "\033")" "$SCRATCH/out"'
ok "show lists each concept once with its mention count" 'out_has "^  Chemical  MESH:D002945 .*(2 mentions)$"'
ok "show prints the pair with its evidence" 'out_has "^  Cisplatin induces nephrotoxicity (0.80)$" && out_has "MESH:D002945 -> MESH:D007674: \"Cisplatin-induced nephrotoxicity in children.\""'
ok "show prints the whole record" 'out_has "^PMCID:      PMC9000001$" && out_has "ORCID 0000-0002-1825-0097" && out_has "^Notices:    ErratumIn" && out_has "^MeSH:       \*Cisplatin (D002945) / \*adverse effects"'
lm --db "$DB" show --color always 39000001
ok "--color always colours the mentions" 'grep -q "$(printf "\033")\[1;32mCisplatin" "$SCRATCH/out"'
tty_show() {   # runs show on a pseudo-terminal; $1: NO_COLOR value or "unset"
    python3 - "$LITMINE" "$DB" "$1" <<'PY'
import os, pty, subprocess, sys
env = dict(os.environ)
env.pop("NO_COLOR", None)
if sys.argv[3] != "unset":
    env["NO_COLOR"] = sys.argv[3]
env["TERM"] = "xterm"
master, slave = pty.openpty()
p = subprocess.Popen([sys.argv[1], "--db", sys.argv[2], "show", "39000001"], stdout=slave,
                     stderr=subprocess.DEVNULL, env=env)
os.close(slave)
out = b""
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
p.wait()
sys.exit(0 if b"\x1b[1;32m" in out else 1)
PY
}
check "show colours mentions on a terminal" tty_show unset
check "NO_COLOR turns the colours off" sh -c '! "$@"' _ tty_show 1
lm --db "$DB" show --json 39000001
check "show --json: record, text, mentions, concepts, pairs" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["text"] == d["title"] + " " + d["abstract"]
assert [(m["start"], m["end"], m["type"]) for m in d["mentions"]][:2] == [(0, 9, "Chemical"), (18, 32, "Disease")], d["mentions"]
assert all(d["text"][m["start"]:m["end"]] == m["text"] for m in d["mentions"])
assert [(c["concept_id"], c["mentions"]) for c in d["concepts"]] == [("MESH:D002945", 2), ("MESH:D007674", 1)], d["concepts"]
p = d["pairs"][0]
assert (p["relation"], p["evidence"]) == ("induces", d["text"][0:45]), p
assert d["authors"][0]["orcid"] == "0000-0002-1825-0097" and len(d["authors"][0]["affiliations"]) == 2
assert d["mesh"][0]["qualifiers"][0] == {"ui": "Q000009", "name": "adverse effects", "major_topic": True}
assert d["chemicals"][0]["registry_number"] == "Q20Q21Q62J" and d["pmcid"] == "PMC9000001"
assert [r["kind"] for r in d["references"]] == ["ErratumIn", "Cites", "Cites"]
' "$SCRATCH/out"
lm --db "$DB" show 12345
ok "show of an article not stored fails" 'rc_is 1 && err_has "not in the database"'

# ---- export --pmid / --pmids on every table -------------------------------
printf '# the ones I read\n39000001\n\n' >pmids.txt
for t in articles authors mentions concepts pairs; do
    "$LITMINE" --db "$DB" export "$t" --format jsonl --pmid 39000001 >"$t.1" 2>err
    "$LITMINE" --db "$DB" export "$t" --format jsonl --pmids pmids.txt >"$t.2" 2>err
    "$LITMINE" --db "$DB" export "$t" --format jsonl >"$t.all" 2>err
    check "export $t --pmid keeps that article only" python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
every = [json.loads(l) for l in open(sys.argv[2])]
assert rows, sys.argv[1]
if "pmid" in rows[0]:
    assert all(r["pmid"] == 39000001 for r in rows)
    assert len(rows) < len(every) or all(r["pmid"] == 39000001 for r in every)
else:
    assert len(rows) < len(every), (len(rows), len(every))
' "$t.1" "$t.all"
    check "export $t --pmids FILE is the same" cmp -s "$t.1" "$t.2"
done
printf '' >empty.txt
lm --db "$DB" export mentions --pmids empty.txt --format tsv
ok "an empty --pmids list selects nothing" 'rc_is 0 && [ "$(wc -l <"$SCRATCH/out")" -eq 1 ]'
printf '123\nabc\n' >bad.txt
lm --db "$DB" export mentions --pmids bad.txt
ok "a bad line in --pmids is a usage error with its line" 'rc_is 2 && err_has "bad.txt:2"'
lm --db "$DB" export authors --format csv --pmid 39000001
ok "export authors: one row per author with ORCID and affiliations" \
    'rc_is 0 && out_has "^39000001,1,Müller,Anna B,AB,,0000-0002-1825-0097,\"Dept. of Nephrology" && out_has "^39000001,3,,,,Pediatric Kidney Consortium,,"'

# ---- option aliases and one date syntax -----------------------------------
sqlite3 "$DB" "UPDATE articles SET ingested_at = '2020-01-01T00:00:00Z' WHERE pmid = 31000002"
same_output() {   # same_output A-ARGS -- B-ARGS: both succeed with the same stdout
    a=""; while [ "$1" != -- ]; do a="$a $1"; shift; done; shift
    # shellcheck disable=SC2086
    "$LITMINE" --db "$DB" $a >alias.a 2>alias.err || { cat alias.err >&2; return 1; }
    "$LITMINE" --db "$DB" "$@" >alias.b 2>alias.err || { cat alias.err >&2; return 1; }
    [ -s alias.a ] && cmp -s alias.a alias.b
}
check "export --since is --ingested-since" same_output export articles --since 2021-01-01 -- export articles --ingested-since 2021-01-01
check "--ingested-since takes YYYY/MM/DD" same_output export articles --ingested-since 2021-01-01 -- export articles --ingested-since 2021/01/01
check "--ingested-since filters" sh -c '! grep -q "^31000002," alias.a && grep -q "^31000001," alias.a'
check "export --type is case-insensitive" same_output export mentions --type Chemical -- export mentions --type chemical
check "--type CHEMICAL too" same_output export mentions --type Chemical -- export mentions --type CHEMICAL
check "export --year-from/--year-to" sh -c '"$1" --db "$2" export articles --year-from 2019 --year-to 2019 --format tsv | cut -f1 | tail -n +2 | tr "\n" " " | grep -qx "31000001 "' _ "$LITMINE" "$DB"
lm --db "$DB" export articles --ingested-since 2021-13-01
ok "an impossible date is a usage error" 'rc_is 2 && err_has "YYYY-MM-DD or YYYY/MM/DD"'
lm --db "$DB" index build
check "query --since is --year-from" same_output query --since 2019 cancer -- query --year-from 2019 cancer
check "query --type is case-insensitive" same_output query --type Gene BRCA1 -- query --type gene BRCA1
lm --db "$DB" query --year-from 2019 --year-to 2019 BRCA1
ok "query --year-from/--year-to keep the years asked for" 'rc_is 0 && out_has "PMID 31000001  2019"'
lm --db "$DB" query --year-to 2018 BRCA1
ok "query --year-to leaves out later years" 'rc_is 0 && out_has "^no matching articles"'
cp "$DB" "$SCRATCH/re.db"   # reprocess replaces the hand-made annotations
lm --db "$SCRATCH/re.db" reprocess --stages sentences --since 2021-01-01
R1=$LM_RC
lm --db "$SCRATCH/re.db" reprocess --stages sentences --ingested-since 2021/01/01
check "reprocess --since and --ingested-since (either date syntax)" test "$R1$LM_RC" = 00
lm --db "$DB" watch add w-dash --query asthma --since 2025-01-01
check "watch add --since takes YYYY-MM-DD" sql_is "$DB" "select since from watches where name = 'w-dash'" 2025/01/01

# ---- BioC and PubTator, read back by litmine ------------------------------
"$LITMINE" --db "$DB" export mentions --format pubtator >all.pubtator 2>err
"$LITMINE" --db "$DB" export mentions --format bioc-xml >all.bioc.xml 2>err
"$LITMINE" --db "$DB" export pairs --format bioc-json >all.bioc.json 2>err
check "PubTator: every document, with its relation line" sh -c \
    '[ "$(grep -c "|t|" "$1")" -eq 4 ] && grep -q "^39000001	induces	MESH:D002945	MESH:D007674$" "$1"' _ all.pubtator
check "BioC XML is well-formed" python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' all.bioc.xml
check "BioC JSON: the documented keys" python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
assert {"source", "date", "key", "infons", "documents"} <= set(c)
d = [d for d in c["documents"] if d["id"] == "39000001"][0]
a = d["passages"][0]["annotations"][0]
assert a["infons"]["identifier"] == "MESH:D002945" and a["locations"] == [{"offset": 0, "length": 9}]
r = d["relations"][0]
assert r["infons"]["type"] == "induces" and [n["role"] for n in r["nodes"]] == ["Chemical", "Disease"]
' all.bioc.json
for f in all.bioc.xml all.bioc.json; do
    lm eval ner --gold all.pubtator --pred "$f"
    ok "$f reads back as the PubTator export (mentions)" 'rc_is 0 && out_has "^ALL  *[1-9][0-9]*  *0  *0  *1\.0000  *1\.0000  *1\.0000"'
    lm eval cid --gold all.pubtator --pred "$f" --relation all
    ok "$f reads back as the PubTator export (relations)" 'rc_is 0 && out_has "^induces  *1  *0  *0  *1\.0000"'
done
if [ -n "$SHARED" ] && [ -f "$SHARED/biored/Dev.BioC.XML" ]; then
    lm eval ner --gold "$SHARED/biored/Dev.PubTator" --pred "$SHARED/biored/Dev.BioC.XML"
    ok "BioRED Dev.BioC.XML reads as Dev.PubTator" 'rc_is 0 && out_has "^ALL  *[0-9]*  *0  *0  *1\.0000"'
else
    skip "BioRED Dev.BioC.XML" "../shared/data absent"
fi

# ---- concept watches -------------------------------------------------------
W=$SCRATCH/w.db
lm --db "$W" watch list --help
ok "watch list --help" 'rc_is 0 && out_has "^usage: litmine watch"'
lm --db "$W" watch remove --help
ok "watch remove --help looks nothing up and creates no database" 'rc_is 0 && out_has "^usage:" && [ ! -e "$W" ]'
lm --db "$W" watch add --concept MESH:D002945
ok "watch add --concept, named after the concept" 'rc_is 0 && sql_is "$W" "select concept_id from concept_watches where name = \"MESH-D002945\"" MESH:D002945'
lm --db "$W" watch add nephro --concept MESH:D002945 --pair-with MESH:D007674 --relation induces
check "watch add --pair-with --relation" rc_is 0
lm --db "$W" watch add bad --concept MESH:D002945 --relation induces
ok "--relation needs --pair-with" 'rc_is 2 && err_has "needs --pair-with"'
lm --db "$W" watch add nephro --concept MESH:D1
ok "watch names are unique across both kinds" 'rc_is 2 && err_has "exists"'
lm --db "$W" watch list
ok "watch list shows concept watches" 'rc_is 0 && out_has "^nephro	concept=MESH:D002945	pair_with=MESH:D007674	relation=induces"'
sleep 1   # ingested_at has one-second resolution
lm --db "$W" ingest --stages none "$F/pubmed/biblio.xml" "$F/cli/articles.xml"
sqlite3 "$W" <<'SQL'
INSERT INTO mentions (pmid, start, "end", text, type, concept_id, sentence, score) VALUES
 (39000001, 0, 9, 'Cisplatin', 'Chemical', 'MESH:D002945', 0, 0.9),
 (39000001, 18, 32, 'nephrotoxicity', 'Disease', 'MESH:D007674', 0, 0.8),
 (31000001, 60, 69, 'cisplatin', 'Chemical', 'MESH:D002945', 0, 0.9);
INSERT INTO pairs (pmid, chemical_id, chemical_text, disease_id, disease_text, relation, score,
                   sentence, evidence_start, evidence_end) VALUES
 (39000001, 'MESH:D002945', 'Cisplatin', 'MESH:D007674', 'nephrotoxicity', 'induces', 0.8, 0, 0, 45);
SQL
sleep 1   # a report covers the seconds that are over
lm --db "$W" watch report --dir "$SCRATCH/reports"
ok "watch report: a journal line per watch" 'rc_is 0 && err_has "watch nephro (MESH:D002945 + MESH:D007674): 1 new articles, 1 pairs -> " && err_has "watch MESH-D002945 (MESH:D002945): 2 new articles, 1 pairs"'
check "the report is CSV with one row per article and pair" python3 -c '
import csv, glob, sys
f = glob.glob(sys.argv[1] + "/MESH-D002945-*.csv")
assert len(f) == 1, f
rows = list(csv.DictReader(open(f[0], newline="", encoding="utf-8")))
assert [(r["pmid"], r["relation"]) for r in rows] == [("31000001", ""), ("39000001", "induces")], rows
' "$SCRATCH/reports"
check "the report as JSON nests each article's pairs" python3 -c '
import glob, json, sys
d = json.load(open(glob.glob(sys.argv[1] + "/nephro-*.json")[0]))
assert (d["watch"], d["concept_id"], d["pair_with"], d["relation"]) == ("nephro", "MESH:D002945", "MESH:D007674", "induces")
assert [a["pmid"] for a in d["articles"]] == [39000001]
assert d["articles"][0]["pairs"][0]["evidence"] == "Cisplatin-induced nephrotoxicity in children."
' "$SCRATCH/reports"
lm --db "$W" watch report --dir "$SCRATCH/reports"
ok "a second report finds nothing new and writes no file" 'rc_is 0 && err_has "watch nephro .*: nothing new" && [ "$(ls "$SCRATCH/reports" | wc -l)" -eq 4 ]'
lm --db "$W" watch remove nephro
ok "watch remove removes a concept watch" 'rc_is 0 && sql_is "$W" "select count(*) from concept_watches" 1'

finish
