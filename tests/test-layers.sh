#!/bin/sh
# The house rules that keep every folder to its one job (docs/ARCHITECTURE.md),
# checked by reading the sources:
#   - util/ includes nothing outside util/;
#   - fetch/ includes util/ alone (and itself);
#   - store/ (search included) includes util/ alone (and itself): never nlp/,
#     never pipeline/;
#   - nlp/ inference (its top level and encoder/) includes util/ and itself:
#     never store/, pipeline/, nlp/train/ or nlp/eval/; nlp/eval/ adds nothing
#     but nlp/; nlp/train/ adds nlp/eval/;
#   - pipeline/ never includes cli/;
#   - no library file (util fetch nlp store pipeline) prints to stdout or
#     stderr (writing to a FILE * the caller gives is fine);
#   - a source file over 1,200 lines says why in a `LONG-FILE:` line.
# `#include "..."` paths are resolved against the including file's folder.
# The checker first runs on a scratch tree with one planted violation of
# each rule and must report every one, so a checker that sees nothing fails.
. "$(dirname "$0")/lib.sh"

LONG_LINES=1200

# Prints "FILE: rule" for every violation under the tree $1.
violations() {
    (
        cd "$1" || exit 2
        files=$(find util fetch nlp store pipeline cli bench tests -name '*.[ch]' 2>/dev/null | sort)
        [ -n "$files" ] || exit 0
        # Includes: resolve each quoted include to a path from the root.
        # shellcheck disable=SC2086
        awk '
        function resolve(dir, inc,    n, parts, out, i, m, stack) {
            n = split(dir "/" inc, parts, "/")
            m = 0
            for (i = 1; i <= n; i++) {
                if (parts[i] == "" || parts[i] == ".") continue
                if (parts[i] == "..") { if (m > 0) m--; continue }
                stack[++m] = parts[i]
            }
            out = ""
            for (i = 1; i <= m; i++) out = out (i > 1 ? "/" : "") stack[i]
            return out
        }
        function allowed(file, target) {
            if (file ~ /^util\//) return target ~ /^util\//
            if (file ~ /^fetch\//) return target ~ /^(util|fetch)\//
            if (file ~ /^store\//) return target ~ /^(util|store)\//
            if (file ~ /^nlp\/train\//) return target ~ /^(util|nlp)\//
            if (file ~ /^nlp\/eval\//) return target ~ /^(util|nlp)\// && target !~ /^nlp\/train\//
            if (file ~ /^nlp\//) return target ~ /^(util|nlp)\// && target !~ /^nlp\/(train|eval)\//
            if (file ~ /^pipeline\//) return target !~ /^cli\//
            return 1
        }
        /^[ \t]*#[ \t]*include[ \t]*"/ {
            inc = $0
            sub(/^[^"]*"/, "", inc); sub(/".*$/, "", inc)
            dir = FILENAME; sub(/\/[^\/]*$/, "", dir)
            target = resolve(dir, inc)
            if (!allowed(FILENAME, target))
                printf "%s: includes %s\n", FILENAME, target
        }' $files
        for f in $files; do
            case $f in
            util/*|fetch/*|nlp/*|store/*|pipeline/*)
                # Comments and string literals removed, then calls that
                # print to the terminal.
                sed -e 's://.*$::' -e 's:/\*.*\*/::g' -e 's/"\([^"\\]\|\\.\)*"/""/g' "$f" |
                    grep -nE '(^|[^a-z_])(printf|puts|perror|putchar|vprintf)[[:space:]]*\(|f(v)?printf[[:space:]]*\([[:space:]]*(stdout|stderr)|fputs[[:space:]]*\(.*,[[:space:]]*(stdout|stderr)[[:space:]]*\)|fputc[[:space:]]*\(.*,[[:space:]]*(stdout|stderr)[[:space:]]*\)|fwrite[[:space:]]*\(.*,[[:space:]]*(stdout|stderr)[[:space:]]*\)' |
                    sed "s|^\([0-9]*\):.*|$f:\1: prints to the terminal|"
                ;;
            esac
            n=$(wc -l <"$f")
            if [ "$n" -gt "$LONG_LINES" ] && ! grep -q 'LONG-FILE:' "$f"; then
                echo "$f: $n lines without a LONG-FILE: reason"
            fi
        done
    )
}

# ---- the checker catches each planted violation -------------------------
PLANT=$SCRATCH/plant
mkdir -p "$PLANT/util" "$PLANT/fetch" "$PLANT/store/search" "$PLANT/nlp/encoder" \
    "$PLANT/nlp/train" "$PLANT/nlp/eval" "$PLANT/pipeline" "$PLANT/cli"
printf '#include "lm_ok.h"\n' >"$PLANT/util/lm_ok.c"
printf '#include "../nlp/lm_ner.h"\n' >"$PLANT/util/lm_bad.c"
printf '#include "../util/lm_error.h"\n#include "lm_http.h"\n' >"$PLANT/fetch/lm_ok.c"
printf '#include "../store/lm_store.h"\n' >"$PLANT/fetch/lm_bad.c"
printf '#include "../../util/lm_buf.h"\n#include "../lm_store.h"\n' >"$PLANT/store/search/lm_ok.c"
printf '#include "../../nlp/lm_query.h"\n' >"$PLANT/store/search/lm_bad.c"
printf '#  include "../pipeline/lm_engine.h"\n' >"$PLANT/store/lm_bad.c"
printf '#include "../lm_token.h"\n#include "../../util/lm_buf.h"\n' >"$PLANT/nlp/encoder/lm_ok.c"
printf '#include "../../store/lm_store.h"\n' >"$PLANT/nlp/encoder/lm_bad.c"
printf '#include "train/lm_ner_train.h"\n' >"$PLANT/nlp/lm_bad_train.c"
printf '#include "eval/lm_eval.h"\n' >"$PLANT/nlp/lm_bad_eval.c"
printf '#include "../eval/lm_eval.h"\n#include "../lm_ner.h"\n' >"$PLANT/nlp/train/lm_ok.c"
printf '#include "../train/lm_ner_train.h"\n' >"$PLANT/nlp/eval/lm_bad.c"
printf '#include "../cli/lm_cli.h"\n' >"$PLANT/pipeline/lm_bad.c"
printf '#include "../store/lm_store.h"\n#include "../nlp/lm_ner.h"\n#include "../fetch/lm_http.h"\n' \
    >"$PLANT/pipeline/lm_ok.c"
printf 'void f(FILE *o) { fprintf(o, "x"); snprintf(b, 1, "x"); }\n/* printf("comment") */\nconst char *s = "puts(x)";\n' \
    >"$PLANT/nlp/lm_ok_print.c"
printf 'void f(void) { printf("x"); }\n' >"$PLANT/store/lm_bad_printf.c"
printf 'void f(void) {\n    fprintf(stderr, "x");\n}\n' >"$PLANT/fetch/lm_bad_stderr.c"
printf 'void f(void) { fputs("x", stdout); }\n' >"$PLANT/pipeline/lm_bad_fputs.c"
printf 'void f(void) { perror("x"); }\n' >"$PLANT/util/lm_bad_perror.c"
printf 'int main(void) { printf("a CLI prints"); }\n' >"$PLANT/cli/lm_ok.c"
awk 'BEGIN { for (i = 0; i < 1300; i++) print "int x" i ";" }' >"$PLANT/nlp/lm_bad_long.c"
{ echo '/* LONG-FILE: a generated table. */'; awk 'BEGIN { for (i = 0; i < 1300; i++) print "int x" i ";" }'; } \
    >"$PLANT/util/lm_ok_long.c"
violations "$PLANT" >"$SCRATCH/plant.out"

for bad in util/lm_bad.c fetch/lm_bad.c store/search/lm_bad.c store/lm_bad.c \
    nlp/encoder/lm_bad.c nlp/lm_bad_train.c nlp/lm_bad_eval.c nlp/eval/lm_bad.c \
    pipeline/lm_bad.c store/lm_bad_printf.c fetch/lm_bad_stderr.c pipeline/lm_bad_fputs.c \
    util/lm_bad_perror.c nlp/lm_bad_long.c; do
    check "planted violation found: $bad" grep -q "^$bad:" "$SCRATCH/plant.out"
done
check "allowed includes, prints to a caller's FILE and long files with a reason pass" \
    sh -c '! grep -q "_ok" "$1" || { grep "_ok" "$1" >&2; exit 1; }' _ "$SCRATCH/plant.out"
check "the fetch/ rule names the include" grep -q '^fetch/lm_bad.c: includes store/lm_store.h$' "$SCRATCH/plant.out"

# ---- the tree itself ----------------------------------------------------
violations "$ROOT" >"$SCRATCH/tree.out"
check "the source tree keeps the layer rules" \
    sh -c '[ ! -s "$1" ] || { sed "s/^/    /" "$1" >&2; exit 1; }' _ "$SCRATCH/tree.out"

finish
