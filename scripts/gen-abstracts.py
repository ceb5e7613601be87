#!/usr/bin/env python3
"""Writes a PubMed XML file of N real-looking abstracts for the pipeline
benchmark: titles and abstracts from the biomedical corpora in
../shared/data (BC5CDR, NCBI-disease, BioRED PubTator files, SciFact),
cycled with fresh PMIDs; the CLI fixtures when the corpora are absent.

    gen-abstracts.py --articles 20000 --out abstracts.xml [--shared ../shared/data]
"""
import argparse
import gzip
import json
import os
import re
import sys
from xml.sax.saxutils import escape


def pubtator_docs(path):
    title = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^(\d+)\|([ta])\|(.*)$", line.rstrip("\n"))
            if not m:
                continue
            if m.group(2) == "t":
                title = m.group(3)
            elif title is not None:
                yield title, m.group(3)
                title = None


def scifact_docs(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if d.get("text"):
                yield d.get("title", ""), d["text"]


def fixture_docs(root):
    xml = open(os.path.join(root, "tests/fixtures/cli/articles.xml"), encoding="utf-8").read()
    for t, a in re.findall(r"<ArticleTitle>(.*?)</ArticleTitle>.*?<AbstractText[^>]*>(.*?)</AbstractText>",
                           xml, re.S):
        yield re.sub(r"<[^>]+>", "", t), re.sub(r"<[^>]+>", "", a)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--shared", default="../shared/data")
    ap.add_argument("--start-pmid", type=int, default=60000000)
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    docs = []
    s = args.shared
    for rel in ("bc5cdr/CDR_TrainingSet.PubTator.txt", "bc5cdr/CDR_DevelopmentSet.PubTator.txt",
                "ncbi_disease/NCBItrainset_corpus.txt", "biored/Train.PubTator"):
        if os.path.exists(os.path.join(s, rel)):
            docs += list(pubtator_docs(os.path.join(s, rel)))
    if os.path.exists(os.path.join(s, "scifact/corpus.jsonl.gz")):
        docs += list(scifact_docs(os.path.join(s, "scifact/corpus.jsonl.gz")))
    if not docs:
        docs = list(fixture_docs(root))
    if not docs:
        sys.exit("gen-abstracts: no source texts")
    with open(args.out, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<PubmedArticleSet>\n')
        for i in range(args.articles):
            title, abstract = docs[i % len(docs)]
            pmid = args.start_pmid + i
            out.write(
                f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
                f'<PMID Version="1">{pmid}</PMID><Article><Journal><Title>Benchmark Journal</Title>'
                f'<JournalIssue><PubDate><Year>{2000 + i % 25}</Year></PubDate></JournalIssue>'
                f'</Journal><ArticleTitle>{escape(title)}</ArticleTitle><Abstract>'
                f'<AbstractText>{escape(abstract)}</AbstractText></Abstract>'
                f'<Language>eng</Language></Article></MedlineCitation></PubmedArticle>\n')
        out.write("</PubmedArticleSet>\n")
    print(len(docs))


if __name__ == "__main__":
    main()
