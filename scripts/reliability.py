#!/usr/bin/env python3
"""Reliability of exported relation scores against a gold PubTator corpus.

    scripts/reliability.py GOLD.PubTator PAIRS.tsv [--relation induces] [--gold-type CID]

PAIRS.tsv is `litmine export pairs --all-candidates --format tsv` of the
corpus ingested as PubMed XML.  Rows of the relation (default induces) are
binned by their score; each bin prints how many rows it holds, their mean
score and the fraction that are gold relations (document-level, MeSH ids
without their MESH: prefix, as BioCreative V scores CID).  For calibrated
scores the last two columns agree.  Standard library only.
"""
import argparse
import collections
import csv
import sys


def gold_relations(path, rel_type):
    rels = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 4 and parts[1] == rel_type:
                rels.add((parts[0], parts[2], parts[3]))
    return rels


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("gold")
    ap.add_argument("pairs")
    ap.add_argument("--relation", default="induces")
    ap.add_argument("--gold-type", default="CID")
    ap.add_argument("--bins", default="0,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0001")
    a = ap.parse_args()
    gold = gold_relations(a.gold, a.gold_type)
    edges = [float(x) for x in a.bins.split(",")]
    bins = collections.defaultdict(lambda: [0, 0.0, 0])
    with open(a.pairs, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            if r["relation"] != a.relation:
                continue
            chem, dis = r["chemical_id"], r["disease_id"]
            key = (r["pmid"], chem[5:] if chem.startswith("MESH:") else chem,
                   dis[5:] if dis.startswith("MESH:") else dis)
            score = float(r["score"])
            for i in range(len(edges) - 1):
                if edges[i] <= score < edges[i + 1]:
                    b = bins[i]
                    b[0] += 1
                    b[1] += score
                    b[2] += key in gold
                    break
    print("| score | rows | mean score | gold %s |" % a.gold_type)
    print("|---|---|---|---|")
    total = [0, 0.0, 0]
    for i in range(len(edges) - 1):
        n, s, hit = bins[i]
        if not n:
            continue
        for k, v in enumerate((n, s, hit)):
            total[k] += v
        hi = min(edges[i + 1], 1.0)
        print("| %.1f-%.1f | %d | %.3f | %.3f |" % (edges[i], hi, n, s / n, hit / n))
    if total[0]:
        print("| all | %d | %.3f | %.3f |" % (total[0], total[1] / total[0], total[2] / total[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
