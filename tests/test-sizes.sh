#!/bin/sh
# `litmine stats --sizes`: bytes per table and index (SQLite's dbstat),
# the files beside the database, and bytes per abstract beyond the text —
# checked against what sqlite3 and the file system say.
. "$(dirname "$0")/lib.sh"
cd "$SCRATCH" || exit 2

"$LITMINE" --db s.db ingest "$FIXTURES/cli/articles.xml" 2>err
lm --db s.db stats --sizes --last 0
check "stats --sizes exits 0" rc_is 0
check "a row per table" out_has "^  articles  *table "
check "a row per index" out_has "^  mentions_concept  *index "
check "mentions and pairs in their compact tables (schema 14)" out_has "^  mentions_data  *table "
check "the names dictionary" out_has "^  names  *table "
ok "the views take no pages" "! grep -q '^  mentions  *table ' \"\$SCRATCH/out\""
check "the database file" out_has "^  s.db "
check "the vector file" out_has "vector file (.vectors)"
check "bytes per abstract beyond the text" out_has "^bytes per abstract beyond its text: "
pages=$(sqlite3 s.db "pragma page_count")
size=$(sqlite3 s.db "pragma page_size")
check "file size matches SQLite's pages" out_has "^  s.db  *$((pages * size)) "
text=$(sqlite3 s.db "select sum(length(cast(title as blob)) + length(cast(abstract as blob))) from articles")
check "text bytes match the stored titles and abstracts" out_has "^text (titles and abstracts, UTF-8): $text bytes"
sum=$(awk '/^  [a-z_0-9]+ +(table|index) / { s += $3 } END { print s }' "$SCRATCH/out")
check "tables and indexes add up to the used pages" \
    test "$sum" -eq $(( (pages - $(sqlite3 s.db "pragma freelist_count")) * size ))
lm --db s.db stats --sizes --bogus
check "unknown option: usage error" rc_is 2
finish
