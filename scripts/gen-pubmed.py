#!/usr/bin/env python3
"""Generates a large, real-looking PubMed XML file for benchmarks and the
crash-safety test.

Article templates are taken from the given PubMed XML files (fixtures or
NLM bulk samples); each output article is a template with a fresh PMID, so
the file has realistic structure, markup and text while every PMID is
unique.  Usage:

    gen-pubmed.py --mb 200 --out big.xml [--start-pmid N] TEMPLATE.xml[.gz]...
    gen-pubmed.py --articles 30000 --out big.xml TEMPLATE...
"""
import argparse
import gzip
import re
import sys
import xml.etree.ElementTree as ET

ARTICLE = re.compile(rb"<PubmedArticle>.*?</PubmedArticle>", re.S)
PMID = re.compile(rb'(<MedlineCitation[^>]*>\s*<PMID Version="\d+">)\d+(</PMID>)')
PUBMED_ID = re.compile(rb'(<ArticleId IdType="pubmed">)\d+(</ArticleId>)')


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def well_formed(article):
    """Fixtures include deliberately broken articles; keep only good ones."""
    try:
        ET.fromstring(article)
        return True
    except ET.ParseError:
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=0)
    ap.add_argument("--articles", type=int, default=0)
    ap.add_argument("--start-pmid", type=int, default=50000000)
    ap.add_argument("--out", required=True)
    ap.add_argument("templates", nargs="+")
    args = ap.parse_args()
    templates = []
    for path in args.templates:
        templates += [m.group(0) for m in ARTICLE.finditer(read(path))]
    templates = [t for t in templates if PMID.search(t) and well_formed(t)]
    if not templates:
        sys.exit("gen-pubmed: no PubmedArticle templates found")
    limit_bytes = int(args.mb * 1e6) if args.mb else None
    limit_articles = args.articles or None
    if not limit_bytes and not limit_articles:
        sys.exit("gen-pubmed: give --mb or --articles")
    written = 0
    count = 0
    with open(args.out, "wb") as out:
        head = b'<?xml version="1.0" encoding="UTF-8"?>\n<PubmedArticleSet>\n'
        out.write(head)
        written += len(head)
        while True:
            if limit_articles and count >= limit_articles:
                break
            if limit_bytes and written >= limit_bytes:
                break
            pmid = str(args.start_pmid + count).encode()
            t = templates[count % len(templates)]
            t = PMID.sub(lambda m: m.group(1) + pmid + m.group(2), t, count=1)
            t = PUBMED_ID.sub(lambda m: m.group(1) + pmid + m.group(2), t, count=1)
            out.write(t)
            out.write(b"\n")
            written += len(t) + 1
            count += 1
        out.write(b"</PubmedArticleSet>\n")
    print(count)


if __name__ == "__main__":
    main()
