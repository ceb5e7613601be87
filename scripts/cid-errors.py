#!/usr/bin/env python3
"""Sorts the errors of an end-to-end CID run by cause (docs/nlp.md, Relations).

    scripts/cid-errors.py GOLD.PubTator PRED.PubTator PAIRS.tsv MESH_DESC.xml.gz

GOLD is BC5CDR's PubTator file; PRED what `litmine eval cid --via-ingest
--save-pred PRED` wrote (the ingested mentions with their ids, and the
pairs labelled induces); PAIRS.tsv `litmine export pairs --all-candidates
--format tsv` from the same database; MESH_DESC MeSH's descriptors (tree
numbers, for broader and narrower diseases).

A missed gold pair is put down to the first cause that explains it: its
chemical or disease has no mention with the gold id in the abstract
('notfound' when no predicted mention has a gold span of that concept,
'wrongid' when one has but with another id, 'suppC' when the gold id is a
MeSH supplementary record), else both concepts were found and the pair was
a candidate below the threshold, in a shared sentence or not ('same' /
'cross'), with the label it got instead; '-hyp' when the chemical induces a
broader or narrower disease of the same MeSH tree instead.  A false pair
relates a concept the gold abstract does not have ('spurious'), or two
real ones ('real'): shared sentence or not, the disease broader or
narrower than one the chemical really induces, the chemical or the disease
taking part in another gold pair ('chemPaired', 'disPaired').
"""
import bisect
import collections
import gzip
import re
import sys


def strip(i):
    return i[5:] if i.startswith("MESH:") else i


def load_trees(path):
    trees = collections.defaultdict(list)
    cur = None
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            m = re.search(r"<DescriptorUI>(D\d+)</DescriptorUI>", line)
            if m and cur is None:
                cur = m.group(1)
            m = re.search(r"<TreeNumber>([^<]+)</TreeNumber>", line)
            if m and cur:
                trees[cur].append(m.group(1))
            if "</DescriptorRecord>" in line:
                cur = None
    return trees


def load(path):
    docs = collections.defaultdict(lambda: {"text": "", "ents": [], "cid": set()})
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if "|t|" in line[:20] or "|a|" in line[:20]:
            pmid, _, text = line.split("|", 2)
            docs[pmid]["text"] += text + " "
            continue
        f = line.split("\t")
        if len(f) >= 4 and f[1] == "CID":
            docs[f[0]]["cid"].add((strip(f[2]), strip(f[3])))
        elif len(f) >= 6:
            ids = [strip(x) for x in f[5].split("|")]
            docs[f[0]]["ents"].append((int(f[1]), int(f[2]), f[4], ids))
    return docs


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    gold, pred = load(sys.argv[1]), load(sys.argv[2])
    labels = collections.defaultdict(dict)
    for line in list(open(sys.argv[3], encoding="utf-8"))[1:]:
        f = line.rstrip("\n").split("\t")
        labels[f[0]][(strip(f[1]), strip(f[3]))] = f[5]
    trees = load_trees(sys.argv[4])

    def above(a, b):
        return any(y.startswith(x + ".") for x in trees.get(a, []) for y in trees.get(b, []))

    fn, fp = collections.Counter(), collections.Counter()
    for pmid, g in gold.items():
        p = pred.get(pmid, {"ents": [], "cid": set()})
        found = {i for e in p["ents"] for i in e[3]}
        gold_ids = {i for e in g["ents"] for i in e[3]}
        # sentence starts, roughly, to tell shared-sentence pairs apart
        starts = [0] + [m.end() for m in re.finditer(r"[.!?] (?=[A-Z0-9(])", g["text"])]

        def sentences(doc, cid):
            return {bisect.bisect_right(starts, e[0]) for e in doc["ents"] if cid in e[3]}

        def where(c, d):
            return "same" if sentences(p, c) & sentences(p, d) else "cross"

        for c, d in g["cid"] - p["cid"]:
            for side, cid in (("chem", c), ("dis", d)):
                if cid not in found:
                    spans = {(e[0], e[1]) for e in g["ents"] if cid in e[3]}
                    hit = any((e[0], e[1]) in spans for e in p["ents"])
                    why = "suppC" if cid.startswith("C") else "wrongid" if hit else "notfound"
                    fn[f"{side}-{why}"] += 1
                    break
            else:
                hyp = any(c2 == c and (above(d, d2) or above(d2, d)) for c2, d2 in p["cid"])
                label = labels[pmid].get((c, d), "none")
                fn[f"candidate-{where(c, d)}{'-hyp' if hyp else ''}-{label}"] += 1
        for c, d in p["cid"] - g["cid"]:
            if c not in gold_ids or d not in gold_ids:
                fp["spurious-" + ("chem" if c not in gold_ids else "dis")] += 1
                continue
            key = "real-" + where(c, d)
            if any(c2 == c and above(d, d2) for c2, d2 in g["cid"]):
                key += "-broader"
            elif any(c2 == c and above(d2, d) for c2, d2 in g["cid"]):
                key += "-narrower"
            if any(c2 == c for c2, _ in g["cid"]):
                key += "-chemPaired"
            if any(d2 == d for _, d2 in g["cid"]):
                key += "-disPaired"
            fp[key] += 1
    for name, counts in (("missed gold pairs", fn), ("false pairs", fp)):
        print(f"{name}: {sum(counts.values())}")
        for k, v in sorted(counts.items(), key=lambda x: (-x[1], x[0])):
            print(f"  {k:40s} {v}")


if __name__ == "__main__":
    main()
