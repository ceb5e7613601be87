#!/usr/bin/env python3
"""A stand-in for NLM's supplementary concept records, made from a gold corpus.

    scripts/supp-sim.py GOLD.PubTator OUT.xml

../shared holds MeSH's descriptors but not supp20XX.xml, and about 100 of
BC5CDR dev's 1,012 CID pairs name a chemical only a supplementary record
has.  To estimate what a user who imports the real file gains
(scripts/supp-estimate.sh), this writes one SupplementalRecord (SCRClass 1,
a chemical) for every C... id that GOLD's Chemical mentions carry, with
the mentions' names as its terms, in the element layout lm_mesh reads.
Abbreviation-like names (six characters or fewer, capitals, digits and
hyphens) are left out: a real record seldom lists the abstract's own short
forms, which litmine resolves through their definitions instead.  The file
holds the gold's names, so it is for measurement only, never for a
lexicon that ships.  Standard library only.
"""
import collections
import html
import re
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    names = collections.defaultdict(collections.Counter)
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 6 or fields[4] != "Chemical":
                continue
            name = fields[3]
            if len(name) <= 6 and re.fullmatch(r"[A-Z0-9-]+", name):
                continue
            for cid in fields[5].split("|"):
                cid = cid[5:] if cid.startswith("MESH:") else cid
                if re.fullmatch(r"C\d+", cid):
                    names[cid][name.lower()] += 1
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0"?>\n<SupplementalRecordSet>\n')
        for ui, counter in sorted(names.items()):
            terms = [n for n, _ in counter.most_common()]
            out.write(' <SupplementalRecord SCRClass="1">\n')
            out.write("  <SupplementalRecordUI>%s</SupplementalRecordUI>\n" % ui)
            out.write("  <SupplementalRecordName><String>%s</String>"
                      "</SupplementalRecordName>\n" % html.escape(terms[0]))
            out.write("  <ConceptList><Concept><TermList>\n")
            for t in terms:
                out.write("   <Term><String>%s</String></Term>\n" % html.escape(t))
            out.write("  </TermList></Concept></ConceptList>\n")
            out.write(" </SupplementalRecord>\n")
        out.write("</SupplementalRecordSet>\n")
    print("supp-sim: %d records" % len(names), file=sys.stderr)


if __name__ == "__main__":
    main()
