# The documentation follows the binary: the litmine(1) man page renders
# without a groff warning and carries the binary's version; every command
# `litmine --help` lists has its section in the man page and in
# docs/usage.md and its line in README.md; every long option that
# `litmine --help` and each `litmine COMMAND --help` print (and each
# subcommand `litmine --help` lists: train ner, train pairs, eval search)
# is in the man page and in docs/usage.md;
# the relative links of README.md, docs/*.md and bench/README.md lead to
# files and headings that exist; `make install` installs the man page and
# `make uninstall` removes it.
. "$(dirname "$0")/lib.sh"
MAN=$ROOT/docs/litmine.1
USAGE=$ROOT/docs/usage.md
README=$ROOT/README.md

renders_clean() {
    command -v groff >/dev/null 2>&1 || { echo "    groff missing: scripts/install-deps.sh installs groff-base" >&2; return 1; }
    groff -man -ww -z "$MAN" >"$SCRATCH/groff.out" 2>&1 || { sed 's/^/    /' "$SCRATCH/groff.out" >&2; return 1; }
    [ ! -s "$SCRATCH/groff.out" ] || { sed 's/^/    /' "$SCRATCH/groff.out" >&2; return 1; }
}
check "man page exists" test -s "$MAN"
check "man page renders without groff warnings" renders_clean

version_matches() {
    want=$("$LITMINE" --version | head -n 1) || return 1
    grep -q "^\.TH LITMINE 1 \"[^\"]*\" \"$want\"" "$MAN" || { echo "    .TH does not name \"$want\"" >&2; return 1; }
}
check "man page carries the binary's version" version_matches

# The man page's text with roff escapes undone, for plain greps.
sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' -e 's/\\\/\\c//g' "$MAN" >"$SCRATCH/man.txt"

"$LITMINE" --help >"$SCRATCH/help" 2>&1
sed -n '/^Commands:/,/^$/p' "$SCRATCH/help" | awk '/^  [a-z]/ { print $1 }' >"$SCRATCH/commands"
check "litmine --help lists at least ten commands" test "$(wc -l <"$SCRATCH/commands")" -ge 10

# has_option FILE OPTION: OPTION appears as a whole option name in FILE.
has_option() {
    grep -qE -- "(^|[^a-z0-9-])$2([^a-z0-9-]|\$)" "$1"
}

# options_documented DOC ARGS...: every long option `litmine ARGS --help`
# prints is in DOC; the missing ones are named.
options_documented() {
    doc=$1; shift
    "$LITMINE" "$@" --help >"$SCRATCH/opts.help" 2>&1 || { echo "    litmine $* --help failed" >&2; return 1; }
    missing=""
    for opt in $(grep -oE -- '--[a-z][a-z0-9-]*' "$SCRATCH/opts.help" | sort -u); do
        has_option "$doc" "$opt" || missing="$missing $opt"
    done
    [ -z "$missing" ] || { echo "    litmine $* --help: not in $(basename "$doc"):$missing" >&2; return 1; }
}

check "global options are in the man page" options_documented "$SCRATCH/man.txt"
check "global options are in docs/usage.md" options_documented "$USAGE"
while read -r cmd; do
    check "man page has a section for $cmd" grep -qx "\.SS $cmd" "$MAN"
    check "docs/usage.md has a section for $cmd" grep -q "^### \`litmine $cmd\`" "$USAGE"
    check "README.md lists $cmd" grep -q "^| \`litmine $cmd" "$README"
    check "options of $cmd are in the man page" options_documented "$SCRATCH/man.txt" "$cmd"
    check "options of $cmd are in docs/usage.md" options_documented "$USAGE" "$cmd"
done <"$SCRATCH/commands"
# The subcommands with options of their own, from the same table.
sed -n '/^Subcommands/,/^$/p' "$SCRATCH/help" | awk '/^  [a-z]/ { print $1 " " $2 }' >"$SCRATCH/subcommands"
check "litmine --help lists train ner, train pairs and eval search" \
    test "$(grep -cxE 'train ner|train pairs|eval search' "$SCRATCH/subcommands")" -eq 3
cat "$USAGE" "$ROOT/docs/search.md" >"$SCRATCH/usage+search.md"
while read -r sub; do
    # shellcheck disable=SC2086
    check "options of $sub are in the man page" options_documented "$SCRATCH/man.txt" $sub
    # shellcheck disable=SC2086
    check "options of $sub are in docs/usage.md or docs/search.md" \
        options_documented "$SCRATCH/usage+search.md" $sub
done <"$SCRATCH/subcommands"

# Relative links: the file exists, and a #fragment names one of its
# headings (GitHub's anchors: lower case, punctuation dropped, spaces to
# hyphens).
links_resolve() {
    python3 - "$ROOT" "$@" <<'PY'
import os, re, sys
root, files = sys.argv[1], sys.argv[2:]
def anchors(path):
    out = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"#+\s+(.*)", line)
            if m:
                t = m.group(1).strip().lower().replace("`", "")
                out.add(re.sub(r"[^\w\- ]", "", t).replace(" ", "-"))
    return out
bad = []
for rel in files:
    path = os.path.join(root, rel)
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, frag = target.partition("#")
        dest = os.path.normpath(os.path.join(os.path.dirname(path), file)) if file else path
        if not os.path.exists(dest):
            bad.append(f"{rel}: {target}: no such file")
        elif frag and dest.endswith(".md") and frag not in anchors(dest):
            bad.append(f"{rel}: {target}: no such heading")
for b in bad:
    print("    " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}
cd "$ROOT" || exit 2
for md in README.md bench/README.md docs/*.md; do
    check "links in $md resolve" links_resolve "$md"
done

# Configuration keys: every key of docs/configuration.md's table is in the
# example file etc/litmine.conf (set or commented out) and in the man
# page's CONFIGURATION section.
config_keys() {
    python3 - "$ROOT" "$SCRATCH/man.txt" <<'PY'
import re, sys
root, man = sys.argv[1], sys.argv[2]
rows = re.findall(r"^\| `\[(\w+)\]` \| ([^|]+) \|", open(root + "/docs/configuration.md").read(), re.M)
example, section = {}, None
for line in open(root + "/etc/litmine.conf"):
    m = re.match(r"\s*\[(\w+)\]", line)
    if m:
        section = m.group(1)
    m = re.match(r"\s*[;#]?\s*(\w+)\s*=", line)
    if m and section:
        example.setdefault(section, set()).add(m.group(1))
mantext = open(man).read()
conf = mantext[mantext.find(".SH CONFIGURATION"):mantext.find(".SH FILES")]
bad = []
for sec, keys in rows:
    for key in re.findall(r"`(\w+)`", keys):
        if key not in example.get(sec, set()):
            bad.append(f"[{sec}] {key}: not in etc/litmine.conf")
        if not re.search(r"\[" + sec + r"\]\s*\n\(([^)]*\b" + key + r"\b)", conf):
            bad.append(f"[{sec}] {key}: not in the man page's CONFIGURATION")
for b in bad:
    print("    " + b, file=sys.stderr)
sys.exit(1 if bad or not rows else 0)
PY
}
check "configuration keys are in etc/litmine.conf and the man page" config_keys

DEST=$SCRATCH/dest
installs_man() {
    make -s -C "$ROOT" install DESTDIR="$DEST" PREFIX=/usr/local >"$SCRATCH/make.out" 2>&1 ||
        { tail -n 20 "$SCRATCH/make.out" >&2; return 1; }
    cmp -s "$MAN" "$DEST/usr/local/share/man/man1/litmine.1"
}
uninstalls_man() {
    make -s -C "$ROOT" uninstall DESTDIR="$DEST" PREFIX=/usr/local >"$SCRATCH/make.out" 2>&1 ||
        { tail -n 20 "$SCRATCH/make.out" >&2; return 1; }
    [ ! -e "$DEST/usr/local/share/man/man1/litmine.1" ]
}
check "make install installs the man page" installs_man
check "make uninstall removes the man page" uninstalls_man

finish
