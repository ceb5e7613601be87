#!/bin/sh
# CLI tests for `litmine model info|embed|fetch`.  info and embed run on the
# encoder fixtures (embed's vectors are compared with what PyTorch computed
# for them); fetch runs against the hub stand-in (tests/hub_server.py on
# 127.0.0.1, random port, bounded lifetime): whole downloads, resumes after
# a dropped connection and across runs, stale and corrupt data, servers
# that ignore ranges, metadata from headers only, and every refusal.
. "$(dirname "$0")/lib.sh"
cd "$SCRATCH" || exit 2
FX=$ROOT/tests/fixtures/encoder

# ---- info ------------------------------------------------------------------
lm model info "$FX/bert-uncased-ner"
check "info exits 0" rc_is 0
check "info names the type and head" out_has "type:         bert (BertForTokenClassification)"
check "info lists entity types" out_has "entity types: Chemical, Disease"
check "info shows how [ner] model maps them" out_has "as \[ner\] model: Chemical -> Chemical, Disease -> Disease"
check "info prints the content id" out_has "id:           sha256:[0-9a-f]\{64\}"
lm model info "$FX/roberta-ner-f16"
check "info on RoBERTa names its tokenizer" out_has "byte-level BPE"
check "info shows F16 weights" out_has "weights:      F16"
lm model info "$FX/bert-st-bf16"
check "info shows sentence-transformers pooling" out_has "pooling:      mean, L2-normalised"
lm model info "$SCRATCH/nowhere"
check "info on a missing directory fails" rc_is 1
check "... saying what is missing" err_has "config.json"
mkdir -p "$SCRATCH/electra"
for f in "$FX"/bert-uncased-ner/*; do ln -s "$f" "$SCRATCH/electra/"; done
rm "$SCRATCH/electra/config.json"
sed 's/"bert"/"electra"/' "$FX/bert-uncased-ner/config.json" >"$SCRATCH/electra/config.json"
lm model info "$SCRATCH/electra"
check "an unsupported model_type is refused by name" err_has 'model_type "electra" is not supported'
lm model
check "model without a subcommand is a usage error" rc_is 2
lm model frobnicate x
check "unknown subcommand is a usage error" rc_is 2
lm model info
check "info without DIR is a usage error" rc_is 2

# ---- embed -----------------------------------------------------------------
# The fixture's texts, one per line, against the vectors PyTorch computed.
texts() { python3 -c '
import json, sys
for t in json.load(open(sys.argv[1]))["texts"]:
    print(t)' "$1/expected.json"; }
compare() { python3 - "$1/expected.safetensors" "$2" "$SCRATCH/out" <<'PY'
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
head = json.loads(raw[8:8 + n])
t = head[sys.argv[2]]
a, b = t["data_offsets"]
rows, dim = t["shape"]
vals = struct.unpack("<%df" % (rows * dim), raw[8 + n + a:8 + n + b])
got = [json.loads(l) for l in open(sys.argv[3])]
assert len(got) == rows, (len(got), rows)
worst = max(abs(g - vals[r * dim + j]) for r in range(rows) for j, g in enumerate(got[r]))
assert all(len(g) == dim for g in got)
assert worst <= 1e-4, worst
PY
}
texts "$FX/bert-st-bf16" >"$SCRATCH/texts.txt"
"$LITMINE" model embed "$FX/bert-st-bf16" <"$SCRATCH/texts.txt" >"$SCRATCH/out" 2>"$SCRATCH/err"
check "embed matches PyTorch (mean pooling, normalised, BF16)" compare "$FX/bert-st-bf16" pooled_default
texts "$FX/bert-uncased-ner" >"$SCRATCH/texts.txt"
"$LITMINE" model embed "$FX/bert-uncased-ner" --pooling cls <"$SCRATCH/texts.txt" >"$SCRATCH/out" 2>"$SCRATCH/err"
check "embed --pooling cls matches PyTorch" compare "$FX/bert-uncased-ner" pooled_cls
texts "$FX/roberta-cls-bf16" >"$SCRATCH/texts.txt"
"$LITMINE" model embed "$FX/roberta-cls-bf16" --pooling mean --threads 2 <"$SCRATCH/texts.txt" >"$SCRATCH/out" 2>"$SCRATCH/err"
check "embed on RoBERTa matches PyTorch" compare "$FX/roberta-cls-bf16" pooled_mean
printf 'a\nb\n' | "$LITMINE" model embed "$FX/bert-uncased-ner" --pooling max >"$SCRATCH/out" 2>"$SCRATCH/err"
LM_RC=$?
check "embed --pooling max is a usage error" rc_is 2
: | "$LITMINE" model embed "$FX/bert-uncased-ner" >"$SCRATCH/out" 2>"$SCRATCH/err"
ok "embed of no input prints nothing" '[ $? -eq 0 ] && [ ! -s "$SCRATCH/out" ]'

# ---- fetch -----------------------------------------------------------------
python3 "$ROOT/tests/hub_server.py" --timeout 300 >"$SCRATCH/server.out" 2>"$SCRATCH/server.err" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$SCRATCH"' EXIT
i=0
while [ ! -s "$SCRATCH/server.out" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(head -n 1 "$SCRATCH/server.out")
HUB=http://127.0.0.1:$PORT
post() { python3 -c '
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(),
    headers={"Content-Type": "application/json"}), timeout=10).read()' "$HUB/$1" "$2"; }
hub_log() { python3 -c '
import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "$HUB/log" >"$SCRATCH/log"; }
log_has() { grep -q -- "$1" "$SCRATCH/log" || { echo "    hub log lacks: $1" >&2; cat "$SCRATCH/log" >&2; return 1; }; }
log_lacks() { ! grep -q -- "$1" "$SCRATCH/log" || { echo "    hub log has: $1" >&2; return 1; }; }
reset() { post reset '{}'; }
same_files() {
    for f in config.json vocab.txt model.safetensors tokenizer_config.json 1_Pooling/config.json modules.json; do
        cmp -s "$FX/bert-st-bf16/$f" "$1/$f" || { echo "    $f differs" >&2; return 1; }
    done
}
printf '[model]\nhub_url = %s\nbackoff_ms = 20\nmax_tries = 4\n' "$HUB" >"$SCRATCH/hub.conf"
export LITMINE_CONFIG="$SCRATCH/hub.conf"
ST_SIZE=$(wc -c <"$FX/bert-st-bf16/model.safetensors")

reset
lm model fetch litmine-test/bert-st --dest "$SCRATCH/st"
check "fetch exits 0" rc_is 0
check "fetched files equal the hub's" same_files "$SCRATCH/st"
check "no .part files are left" sh -c "! find '$SCRATCH/st' -name '*.part' | grep -q ."
check "the source is recorded" grep -q '"name": "litmine-test/bert-st"' "$SCRATCH/st/litmine-source.json"
check "fetch reports the verification" err_has "SHA-256 verified"
hub_log
check "weights come through the LFS redirect" log_has '"path": "/cdn/'
check "tokenizer.json and README are not fetched" log_lacks "tokenizer.json"
lm model info "$SCRATCH/st"
check "the fetched model loads" rc_is 0

reset
lm model fetch litmine-test/bert-st --dest "$SCRATCH/st"
check "a second fetch succeeds" rc_is 0
check "... without downloading the weights again" err_has "model.safetensors (.*MB)... already present"
hub_log
check "... not even asking the CDN" log_lacks "/cdn/"

# a connection dropped mid-file: the retry resumes with a byte range
reset
post control '{"truncate_next": 1, "truncate_at": 20000}'
lm model fetch litmine-test/bert-st --dest "$SCRATCH/st2"
check "fetch survives a dropped connection" rc_is 0
check "... and the file is whole" same_files "$SCRATCH/st2"
hub_log
check "... resumed from byte 20000" log_has '"range": "bytes=20000-", "status": 206'

# a .part left by an interrupted run is resumed by the next run
mkdir -p "$SCRATCH/st3"
head -c 10000 "$FX/bert-st-bf16/model.safetensors" >"$SCRATCH/st3/model.safetensors.part"
reset
lm model fetch litmine-test/bert-st --dest "$SCRATCH/st3"
check "a later run resumes a .part" rc_is 0
check "... into the right file" same_files "$SCRATCH/st3"
check "... and says so" err_has "done (resumed)"
hub_log
check "... asking for the rest only" log_has '"range": "bytes=10000-"'

# a stale .part (other bytes): the digest fails, the file is fetched anew
mkdir -p "$SCRATCH/st4"
head -c 10000 /dev/zero >"$SCRATCH/st4/model.safetensors.part"
reset
lm model fetch litmine-test/bert-st --dest "$SCRATCH/st4"
check "a stale .part is replaced" rc_is 0
check "... by the right file" same_files "$SCRATCH/st4"
hub_log
check "... with a full download after the failed resume" sh -c "grep -c '/cdn/' '$SCRATCH/log' | grep -qx 2"

# a server that ignores ranges sends the whole file again
mkdir -p "$SCRATCH/st5"
head -c 10000 "$FX/bert-st-bf16/model.safetensors" >"$SCRATCH/st5/model.safetensors.part"
reset
post control '{"no_range": 1}'
lm model fetch litmine-test/bert-st --dest "$SCRATCH/st5"
check "a 200 answer to a range request restarts the file" same_files "$SCRATCH/st5"

# corrupt data never gets the final name
reset
post control '{"corrupt_always": 1}'
lm model fetch litmine-test/bert-st --dest "$SCRATCH/st6"
check "corrupt weights fail the fetch" rc_is 1
check "... naming the digest" err_has "SHA-256"
ok "... leaving neither the file nor a .part" '[ ! -e "$SCRATCH/st6/model.safetensors" ] && [ ! -e "$SCRATCH/st6/model.safetensors.part" ]'
reset
post control '{"corrupt_next": 1}'
lm model fetch litmine-test/bert-st --dest "$SCRATCH/st7"
check "one corrupt transfer: the fetch fails (no blind retry of a fresh file)" rc_is 1
lm model fetch litmine-test/bert-st --dest "$SCRATCH/st7"
check "... and the next run succeeds" same_files "$SCRATCH/st7"

# without lfs metadata in the API, X-Linked-Etag still verifies
reset
post control '{"api_no_lfs": 1, "corrupt_next": 1}'
lm model fetch litmine-test/bert-st --dest "$SCRATCH/st8"
check "X-Linked-Etag alone catches corruption" err_has "SHA-256"
post control '{"api_no_lfs": 1}'
lm model fetch litmine-test/bert-st --dest "$SCRATCH/st8"
check "X-Linked-Etag alone verifies a good file" same_files "$SCRATCH/st8"
reset
post control '{"bad_etag": 1}'
lm model fetch litmine-test/bert-st --dest "$SCRATCH/st9"
check "API and header disagreeing is an error" err_has "disagree"

# RoBERTa: vocab.json and merges.txt
reset
lm model fetch litmine-test/roberta --dest "$SCRATCH/rob"
check "fetch of a RoBERTa model" rc_is 0
ok "... brings vocab.json and merges.txt" '[ -s "$SCRATCH/rob/vocab.json" ] && [ -s "$SCRATCH/rob/merges.txt" ]'
lm model info "$SCRATCH/rob"
check "... which loads" out_has "byte-level BPE"

# refusals
reset
lm model fetch litmine-test/pt-only --dest "$SCRATCH/pt"
check "only pytorch_model.bin is refused" rc_is 1
check "... pointing at refs/pr/N" err_has "refs/pr/N"
lm model fetch litmine-test/pt-only --dest "$SCRATCH/pt" --revision refs/pr/1
check "--revision fetches a pull request" rc_is 0
ok "... which has the safetensors" '[ -s "$SCRATCH/pt/model.safetensors" ] && [ ! -e "$SCRATCH/pt/pytorch_model.bin" ]'
check "... recorded with its revision" grep -q '"revision": "refs/pr/1"' "$SCRATCH/pt/litmine-source.json"
reset
lm model fetch litmine-test/electra --dest "$SCRATCH/el"
check "an unsupported model_type is refused" err_has 'model_type "electra"'
hub_log
check "... before its weights are downloaded" log_lacks "model.safetensors"
lm model fetch litmine-test/tokjson --dest "$SCRATCH/tj"
check "a tokenizer.json-only model is refused" err_has "tokenizer.json"
lm model fetch litmine-test/gated --dest "$SCRATCH/g"
check "a gated model fails with the reason" err_has "refuses access"
lm model fetch litmine-test/nosuch --dest "$SCRATCH/n"
check "an unknown model fails" err_has "no such model"
lm model fetch litmine-test/bert-st --dest "$SCRATCH/n" --revision nosuchbranch
check "an unknown revision fails" err_has 'revision "nosuchbranch"'
lm model fetch ../etc/passwd
check "a bad model name is a usage error" rc_is 2
lm model fetch litmine-test/bert-st --revision 'a b'
check "a bad revision is a usage error" rc_is 2

# the default destination, and HF_ENDPOINT when the config has no hub_url
reset
printf '[model]\nbackoff_ms = 20\n' >"$SCRATCH/nohub.conf"
(cd "$SCRATCH" && LITMINE_CONFIG="$SCRATCH/nohub.conf" HF_ENDPOINT="$HUB" \
    "$LITMINE" model fetch litmine-test/bert-st >"$SCRATCH/out" 2>"$SCRATCH/err")
check "HF_ENDPOINT and the default destination" same_files "$SCRATCH/bert-st"

kill $SERVER 2>/dev/null
finish
