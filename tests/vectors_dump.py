#!/usr/bin/env python3
"""Prints every stored vector as "model_id|pmid|HEX", whichever copy holds it.

Test helper for the stored-once layout (store/search/lm_vec_cache.c): a
vectors row with bytes is printed as stored; an empty row stands for the
row of the vector file "<db>.vectors" (or its ".next" when a compaction was
stopped after its commit) that the database names, among the first n rows
it counts (vector_files.n; the slots after them are not rows), printed in the same
encoding (int8: the float32 scale then the int8 values; float32: the
values).  A row the file lacks is printed as MISSING.
"""
import sqlite3
import struct
import sys


def file_rows(path, file_id, n):
    try:
        b = open(path, "rb").read()
    except OSError:
        return None
    if len(b) < 256 or b[:8] != b"LMVECCH1":
        return None
    _ver, _bom, _sizes, dim, quantized = struct.unpack_from("<5I", b, 8)
    # n: the database's count (a version 5 file has spare slots after it)
    model_id, fid, _n, _model_len, off_p, _off_y, off_s, off_d = struct.unpack_from("<qqQQQQQQ", b, 32)
    if fid != file_id:
        return None
    rows = {}
    for i in range(n):
        (pmid,) = struct.unpack_from("<q", b, off_p + 8 * i)
        if quantized:
            v = b[off_s + 4 * i:off_s + 4 * i + 4] + b[off_d + dim * i:off_d + dim * (i + 1)]
        else:
            v = b[off_d + 4 * dim * i:off_d + 4 * dim * (i + 1)]
        rows[(model_id, pmid)] = v.hex().upper()
    return rows


def main():
    db = sys.argv[1]
    con = sqlite3.connect(db)
    con.text_factory = bytes
    files = {}
    for model_id, file_id, n in con.execute("SELECT model_id, file_id, n FROM vector_files"):
        rows = file_rows(db + ".vectors", file_id, n)
        if rows is None:
            rows = file_rows(db + ".vectors.next", file_id, n) or {}
        files.update(rows)
    for model_id, pmid, vec in con.execute(
            "SELECT model_id, pmid, vec FROM vectors ORDER BY model_id, pmid"):
        if vec:
            print(f"{model_id}|{pmid}|{bytes(vec).hex().upper()}")
        else:
            print(f"{model_id}|{pmid}|{files.get((model_id, pmid), 'MISSING')}")


main()
