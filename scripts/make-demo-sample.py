#!/usr/bin/env python3
"""Rebuilds scripts/demo/pubmed-sample.xml.gz, the real PubMed records
`make demo` ingests when ../shared/data is absent.

The records are the PubmedArticle elements, byte for byte as NLM published
them, of the PMIDs listed in scripts/demo/pmids.txt, taken from NLM's bulk
samples and E-utilities answers in ../shared/data/pubmed_eutils (the PMIDs
are the abstracts there in which litmine's models find a chemical, a
disease or a gene).  Usage: scripts/make-demo-sample.py [SHARED_DATA_DIR]
"""
import gzip
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent
data = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else root.parent.parent / "shared" / "data")
src = data / "pubmed_eutils"
files = sorted((src / "pmparser_bulk_samples").glob("*.xml.gz"))
files += sorted((src / "biopython").glob("pubmed*.xml")) + sorted((src / "eutils_json_samples").glob("efetch*.xml"))
wanted = [int(x) for x in (root / "demo" / "pmids.txt").read_text().split()]

records = {}
for f in files:
    raw = gzip.open(f).read() if f.suffix == ".gz" else f.read_bytes()
    text = raw.decode("utf-8")
    for m in re.finditer(r"<PubmedArticle>.*?</PubmedArticle>", text, re.S):
        pmid = int(re.search(r"<PMID[^>]*>(\d+)</PMID>", m.group(0)).group(1))
        records.setdefault(pmid, m.group(0))
missing = [p for p in wanted if p not in records]
if missing:
    sys.exit(f"make-demo-sample: PMIDs not found in {src}: {missing}")
out = ['<?xml version="1.0" encoding="UTF-8"?>\n<PubmedArticleSet>\n']
out += [records[p] + "\n" for p in wanted]
out.append("</PubmedArticleSet>\n")
with gzip.GzipFile(root / "demo" / "pubmed-sample.xml.gz", "wb", mtime=0) as g:
    g.write("".join(out).encode("utf-8"))
print(f"{len(wanted)} records -> scripts/demo/pubmed-sample.xml.gz")
