#!/usr/bin/env python3
"""Stand-in for NCBI's E-utilities and PubMed bulk-file server, for tests.

tests/test-eutils.c starts it, reads the port from the first line of
stdout, talks to it over http://127.0.0.1 only, and kills it at the end.
It never outlives the test: it exits by itself after --timeout seconds and
as soon as its parent process is gone.  Standard library only.

Endpoints
  GET|POST .../esearch.fcgi   db, term, usehistory, retstart, retmax,
                              datetype, mindate, maxdate, reldate, WebEnv.
                              Terms come from tests/fixtures/eutils/corpus.json;
                              an unknown term gives NCBI's zero-hit answer with
                              ErrorList/PhraseNotFound.  retstart > 9998 is
                              refused with an <ERROR>, as NCBI does.
  GET|POST .../efetch.fcgi    WebEnv + query_key + retstart + retmax (only the
                              first 10,000 records of a history are reachable),
                              or id=1,2,3.  Returns a PubmedArticleSet.
  GET  /static/PATH           files under <shared>/pubmed_eutils/ when present
  GET  /pubmed/updatefiles/   an index page of generated bulk files; the files
                              and their .md5 (one deliberately wrong); Range
                              requests are answered with 206.
  POST /control               JSON, queues faults for the next requests:
        {"fail_next": [429, 503], "retry_after": 1, "slow_next": 1,
         "slow_ms": 3000, "reset_next": 1, "truncate_next": 1,
         "cutxml_next": 1, "error_body_next": 1, "html_next": 1,
         "emptyset_next": 1, "target": "efetch"}
        Faults apply in that order, each to one request whose path matches
        the regular expression "target" (default: any logged request).
        Hostile answers (tests/test-hostile-net.sh), options beside them:
        "laughs_next"    a "billion laughs" document (fixtures/eutils/
                         e*_laughs.xml): under 1 KB, its entity a9 expands to
                         10^9 x "lollollollol", 12 GB
        "redirect_next"  "redirect_code" (default 307) with Location:
                         "redirect_to" + the request's path and query
        "huge_next"      a PubmedArticleSet padded to "huge_mb" MB (default
                         256), streamed; "huge_length": send Content-Length;
                         "huge_gzip": gzip-encoded (a small compressed body)
        "badpmid_next"   an EFetch answer whose first article's PMID is not a
                         number ("<n>x"): a bad article among good ones
        "stall_next"     headers, then a byte every "stall_ms" ms (default
                         1000) for "stall_s" seconds (default 60)
  POST /reset                 forgets the log and queued faults
  GET  /log                   one JSON object per line for every request seen
        (control endpoints excluded): t (monotonic seconds), method, path,
        params (query and form merged; api_key included), range, ua, fault.
"""

import argparse
import gc
import gzip
import hashlib
import json
import os
import random
import re
import socket
import struct
import sys
import threading
import time
import zlib
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures", "eutils")
WINDOW = 10000
ESEARCH_DOCTYPE = ('<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
                   '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">')
PUBMED_DOCTYPE = ('<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, '
                  '1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/'
                  'pubmed_250101.dtd">')
WORDS = ("kinase receptor cohort trial inhibitor expression mutation pathway tumour "
         "patients outcome dose serum clinical genome variant therapy mouse cell "
         "protein signalling response risk randomised placebo biomarker").split()


def parse_day(text, is_max):
    parts = text.replace("-", "/").split("/")
    y = int(parts[0])
    m = int(parts[1]) if len(parts) > 1 else (12 if is_max else 1)
    if len(parts) > 2:
        return date(y, m, int(parts[2]))
    if not is_max:
        return date(y, m, 1)
    nxt = date(y + (m == 12), m % 12 + 1, 1)
    return nxt - timedelta(days=1)


class Corpus:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
        self.missing_from = spec.get("missing_from", 90000000)
        self.terms = {}
        self.records = {}
        for term, t in spec["terms"].items():
            start = parse_day(t["start"], False)
            recs = []
            for i in range(t["count"]):
                pmid = t["first_pmid"] + i
                edat = start + timedelta(days=(i * t["days"]) // t["count"])
                rec = {"pmid": pmid, "term": term, "edat": edat,
                       "pdat": edat - timedelta(days=30), "mdat": edat + timedelta(days=7)}
                recs.append(rec)
                self.records[pmid] = rec
            self.terms[term] = recs

    def record(self, pmid):
        if pmid >= self.missing_from or pmid <= 0:
            return None
        rec = self.records.get(pmid)
        if rec is None:
            d = date(2019, 1, 1)
            rec = {"pmid": pmid, "term": "misc", "edat": d, "pdat": d, "mdat": d}
        return rec


def article_xml(rec):
    rnd = random.Random(rec["pmid"])
    words = " ".join(rnd.choice(WORDS) for _ in range(40))
    p, d = rec["pmid"], rec["pdat"]
    m = rec["mdat"]
    return (
        '<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
        f'<PMID Version="1">{p}</PMID>'
        f'<DateRevised><Year>{m.year}</Year><Month>{m.month:02d}</Month>'
        f'<Day>{m.day:02d}</Day></DateRevised>'
        '<Article PubModel="Print"><Journal><ISSN IssnType="Electronic">1234-5678</ISSN>'
        f'<JournalIssue CitedMedium="Internet"><Volume>{p % 90}</Volume>'
        f'<PubDate><Year>{d.year}</Year><Month>{d.strftime("%b")}</Month></PubDate>'
        '</JournalIssue><Title>Journal of Synthetic Results</Title></Journal>'
        f'<ArticleTitle>Study {p} of {escape(rec["term"])}: \u03b2-<i>adrenergic</i> '
        'signalling &amp; outcomes</ArticleTitle>'
        f'<Abstract><AbstractText Label="BACKGROUND">{words}.</AbstractText>'
        f'<AbstractText Label="RESULTS">Ca<sup>2+</sup> rose in {p % 97} patients.'
        '</AbstractText></Abstract>'
        '<AuthorList CompleteYN="Y"><Author ValidYN="Y"><LastName>Doe</LastName>'
        '<ForeName>Jane</ForeName><Initials>J</Initials></Author></AuthorList>'
        '<Language>eng</Language><PublicationTypeList>'
        '<PublicationType UI="D016428">Journal Article</PublicationType>'
        '</PublicationTypeList></Article>'
        '<MeshHeadingList><MeshHeading><DescriptorName UI="D006801" MajorTopicYN="N">'
        'Humans</DescriptorName></MeshHeading></MeshHeadingList></MedlineCitation>'
        '<PubmedData><PublicationStatus>ppublish</PublicationStatus><ArticleIdList>'
        f'<ArticleId IdType="pubmed">{p}</ArticleId>'
        f'<ArticleId IdType="doi">10.5555/synth.{p}</ArticleId>'
        '</ArticleIdList></PubmedData></PubmedArticle>\n')


def article_set(records):
    body = "".join(article_xml(r) for r in records)
    return ('<?xml version="1.0" ?>\n' + PUBMED_DOCTYPE + '\n<PubmedArticleSet>\n' +
            body + '</PubmedArticleSet>\n').encode("utf-8")


def make_bulk_files():
    """Generated bulk files: name -> bytes, plus their .md5 texts."""
    files, md5s = {}, {}
    plan = [("pubmed99n0002.xml.gz", 40100000), ("pubmed98n0999.xml.gz", 40000000),
            ("pubmed99n0001.xml.gz", 40050000), ("pubmed99n0003.xml.gz", 40150000)]
    for name, first in plan:
        recs = [{"pmid": first + i, "term": "bulk", "edat": date(2019, 5, 1),
                 "pdat": date(2019, 4, 1), "mdat": date(2019, 5, 8)} for i in range(120)]
        data = gzip.compress(article_set(recs), mtime=0)
        files[name] = data
        digest = hashlib.md5(data).hexdigest()
        if name == "pubmed99n0003.xml.gz":   # the corrupted one
            digest = hashlib.md5(data + b"x").hexdigest()
        md5s[name + ".md5"] = f"MD5({name})= {digest}\n".encode()
    return files, md5s


class State:
    def __init__(self, corpus, shared):
        self.lock = threading.Lock()
        self.corpus = corpus
        self.shared = shared
        self.log = []
        self.faults = []
        self.histories = {}
        self.bulk, self.bulk_md5 = make_bulk_files()

    def take_fault(self, path):
        with self.lock:
            for i, f in enumerate(self.faults):
                if re.search(f.get("target", ""), path):
                    return self.faults.pop(i)
        return None


def read_fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


class Handler(BaseHTTPRequestHandler):
    server_version = "eutils-standin/1.0"
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        pass

    # -- plumbing --------------------------------------------------------
    def send_body(self, code, body, ctype="text/xml; charset=UTF-8", headers=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def params(self):
        url = urlsplit(self.path)
        params = parse_qs(url.query, keep_blank_values=True)
        self.raw_body = b""
        if self.command == "POST":
            n = int(self.headers.get("Content-Length") or 0)
            self.raw_body = self.rfile.read(n) if n else b""
            if "json" not in (self.headers.get("Content-Type") or ""):
                form = parse_qs(self.raw_body.decode("utf-8", "replace"),
                                keep_blank_values=True)
                for k, v in form.items():
                    params.setdefault(k, []).extend(v)
        return url.path, {k: v[0] for k, v in params.items()}

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def dispatch(self):
        st = self.server.state
        try:
            path, params = self.params()
            if path == "/control":
                return self.control(json.loads(self.raw_body or b"{}"))
            if path == "/reset":
                with st.lock:
                    st.log.clear()
                    st.faults.clear()
                    st.histories.clear()
                return self.send_body(200, b"ok\n", "text/plain")
            if path == "/log":
                with st.lock:
                    lines = "".join(json.dumps(e, sort_keys=True) + "\n" for e in st.log)
                return self.send_body(200, lines.encode(), "application/x-ndjson")
            entry = {"t": time.monotonic(), "method": self.command, "path": path,
                     "host": self.headers.get("Host"),
                     "params": params, "range": self.headers.get("Range"),
                     "ua": self.headers.get("User-Agent"), "fault": None}
            with st.lock:
                st.log.append(entry)
            fault = st.take_fault(path)
            if fault:
                entry["fault"] = fault["kind"]
                if self.apply_fault(fault, path, params):
                    return
            self.route(path, params, fault)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def control(self, spec):
        st = self.server.state
        target = spec.get("target", "")
        ra = spec.get("retry_after")
        new = []
        for key, value in spec.items():
            if key == "fail_next":
                for code in value:
                    new.append({"kind": str(code), "code": int(code), "retry_after": ra})
            elif key.endswith("_next"):
                kind = key[:-5]
                opts = {k: v for k, v in spec.items() if not k.endswith("_next")}
                for _ in range(int(value)):
                    new.append(dict(opts, kind=kind, slow_ms=spec.get("slow_ms", 3000)))
        for f in new:
            f["target"] = target
        with st.lock:
            st.faults.extend(new)
        self.send_body(200, json.dumps({"queued": len(new)}).encode(), "application/json")

    # -- faults ----------------------------------------------------------
    def apply_fault(self, fault, path, params):
        """Returns True when the fault produced the whole response."""
        kind = fault["kind"]
        if "code" in fault:
            code = fault["code"]
            headers = {}
            if fault.get("retry_after") is not None:
                headers["Retry-After"] = str(fault["retry_after"])
            key = params.get("api_key", "")
            if code == 429:
                body = json.dumps({"error": "API rate limit exceeded", "api-key": key,
                                   "count": "11", "limit": "10"}).encode()
                self.send_body(code, body, "application/json", headers)
            elif code < 500:
                body = json.dumps({"error": "Invalid request: unknown parameter 'fake'",
                                   "api-key": key}).encode()
                self.send_body(code, body, "application/json", headers)
            else:
                body = (f"<html><head><title>{code} Service Unavailable</title></head>"
                        f"<body><h1>Proxy error (api_key={key})</h1></body></html>").encode()
                self.send_body(code, body, "text/html", headers)
            return True
        if kind == "slow":
            time.sleep(fault["slow_ms"] / 1000.0)
            return False
        if kind == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return True
        if kind == "error_body":
            name = "efetch_error.xml" if "efetch" in path else "esearch_error.xml"
            self.send_body(200, read_fixture(name))
            return True
        if kind == "html":
            self.send_body(200, read_fixture("error_page.html"), "text/html; charset=utf-8")
            return True
        if kind == "laughs":
            name = "efetch_laughs.xml" if "efetch" in path else "esearch_laughs.xml"
            self.send_body(200, read_fixture(name))
            return True
        if kind == "redirect":
            self.send_body(int(fault.get("redirect_code", 307)), b"moved\n", "text/plain",
                           {"Location": fault["redirect_to"] + self.path})
            return True
        if kind == "huge":
            self.huge(fault)
            return True
        if kind == "stall":
            self.stall(fault)
            return True
        return False   # truncate / cutxml / emptyset shape the normal answer

    def huge(self, fault):
        total = int(fault.get("huge_mb", 256)) << 20
        head = b'<?xml version="1.0" ?>\n<PubmedArticleSet>\n<!-- '
        pad = b"x" * (1 << 16)
        gz = fault.get("huge_gzip")
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=UTF-8")
        if gz:
            self.send_header("Content-Encoding", "gzip")
        elif fault.get("huge_length"):
            self.send_header("Content-Length", str(total))
        self.end_headers()
        self.close_connection = True
        comp = zlib.compressobj(9, zlib.DEFLATED, 31) if gz else None
        sent = 0
        while sent < total:
            chunk = head if sent == 0 else pad
            sent += len(chunk)
            self.wfile.write(comp.compress(chunk) if comp else chunk)
        if comp:
            self.wfile.write(comp.flush())

    def stall(self, fault):
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=UTF-8")
        self.end_headers()
        self.close_connection = True
        end = time.monotonic() + float(fault.get("stall_s", 60))
        self.wfile.write(b'<?xml version="1.0" ?>\n')
        while time.monotonic() < end:
            time.sleep(float(fault.get("stall_ms", 1000)) / 1000.0)
            self.wfile.write(b" ")
            self.wfile.flush()

    def deliver(self, body, ctype, fault, headers=None, code=200):
        kind = fault["kind"] if fault else None
        if kind == "truncate":
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if kind == "cutxml":
            body = body[: max(1, len(body) * 3 // 5)]
        self.send_body(code, body, ctype, headers)

    # -- endpoints -------------------------------------------------------
    def route(self, path, params, fault):
        if path.endswith("/esearch.fcgi"):
            return self.deliver(self.esearch(params), "text/xml; charset=UTF-8", fault)
        if path.endswith("/efetch.fcgi"):
            body = self.efetch(params, fault)
            return self.deliver(body, "text/xml; charset=UTF-8", fault)
        if path.startswith("/static/"):
            return self.static(path[len("/static/"):], fault)
        if path.startswith("/pubmed/updatefiles/"):
            return self.bulk(path[len("/pubmed/updatefiles/"):], fault)
        self.send_body(404, b"<html><head><title>404 Not Found</title></head></html>",
                       "text/html")

    def error_doc(self, root, message):
        return (f'<?xml version="1.0" encoding="UTF-8" ?>\n<{root}>\n\t<ERROR>'
                f'{escape(message)}</ERROR>\n</{root}>\n').encode()

    def esearch(self, p):
        st = self.server.state
        if p.get("db", "pubmed") != "pubmed":
            return self.error_doc("eSearchResult", f"Invalid db name specified: {p['db']}")
        term = p.get("term", "").strip()
        retstart = int(p.get("retstart") or 0)
        retmax = int(p.get("retmax") or 20)
        if retstart > WINDOW - 2:
            return self.error_doc(
                "eSearchResult",
                "Search Backend failed: Exception:\n'retstart' cannot be larger than 9998. "
                "For PubMed, ESearch can only retrieve the first 9,999 records matching the "
                "query.")
        recs = st.corpus.terms.get(term.lower())
        if recs is None:
            return (f'<?xml version="1.0" encoding="UTF-8" ?>\n{ESEARCH_DOCTYPE}\n'
                    '<eSearchResult><Count>0</Count><RetMax>0</RetMax><RetStart>0</RetStart>'
                    f'<IdList/><TranslationSet/><QueryTranslation>({escape(term)}[All Fields])'
                    f'</QueryTranslation><ErrorList><PhraseNotFound>{escape(term)}'
                    '</PhraseNotFound></ErrorList><WarningList><OutputMessage>No items found.'
                    '</OutputMessage></WarningList></eSearchResult>\n').encode()
        datetype = p.get("datetype", "pdat")
        if p.get("reldate"):
            lo = date.today() - timedelta(days=int(p["reldate"]))
            recs = [r for r in recs if r[datetype] >= lo]
        elif p.get("mindate") or p.get("maxdate"):
            lo = parse_day(p.get("mindate") or "1000", False)
            hi = parse_day(p.get("maxdate") or "3000", True)
            recs = [r for r in recs if lo <= r[datetype] <= hi]
        pmids = sorted((r["pmid"] for r in recs), reverse=True)
        history = ""
        if p.get("usehistory") == "y":
            with st.lock:
                webenv = p.get("WebEnv") or "MCID_%024x" % random.getrandbits(96)
                keys = st.histories.setdefault(webenv, {})
                qk = str(len(keys) + 1)
                keys[qk] = pmids
            history = f"<QueryKey>{qk}</QueryKey><WebEnv>{webenv}</WebEnv>"
        page = pmids[retstart: retstart + retmax]
        ids = "".join(f"<Id>{i}</Id>\n" for i in page)
        return (f'<?xml version="1.0" encoding="UTF-8" ?>\n{ESEARCH_DOCTYPE}\n'
                f'<eSearchResult><Count>{len(pmids)}</Count><RetMax>{len(page)}</RetMax>'
                f'<RetStart>{retstart}</RetStart>{history}<IdList>\n{ids}</IdList>'
                f'<TranslationSet/><QueryTranslation>{escape(term)}[All Fields]'
                '</QueryTranslation></eSearchResult>\n').encode()

    def efetch(self, p, fault):
        st = self.server.state
        if fault and fault["kind"] == "emptyset":
            return article_set([])
        if "id" in p:
            recs = []
            for tok in p["id"].split(","):
                tok = tok.strip()
                if tok.isdigit():
                    rec = st.corpus.record(int(tok))
                    if rec:
                        recs.append(rec)
            return article_set(recs)
        webenv, qk = p.get("WebEnv", ""), p.get("query_key", "")
        with st.lock:
            pmids = st.histories.get(webenv, {}).get(qk)
        if pmids is None:
            return self.error_doc("eFetchResult", f"Unable to obtain query #{qk}")
        retstart = int(p.get("retstart") or 0)
        retmax = int(p.get("retmax") or 20)
        if retstart >= WINDOW:
            return self.error_doc(
                "eFetchResult",
                "Cannot retrieve history data: retstart cannot be larger than 9999")
        page = pmids[retstart: min(retstart + retmax, WINDOW)]
        body = article_set([st.corpus.record(i) for i in page])
        if fault and fault["kind"] == "badpmid":
            body = re.sub(rb'<PMID Version="1">([0-9]+)</PMID>', rb'<PMID Version="1">\1x</PMID>',
                          body, count=1)
        return body

    def ranged(self, data, ctype, fault):
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0] or 0)
            if start >= len(data):
                return self.send_body(416, b"", "text/plain",
                                      {"Content-Range": f"bytes */{len(data)}"})
            part = data[start:]
            return self.deliver(part, ctype, fault,
                                {"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}",
                                 "Accept-Ranges": "bytes"}, code=206)
        self.deliver(data, ctype, fault, {"Accept-Ranges": "bytes"})

    def static(self, rel, fault):
        base = self.server.state.shared
        if not base:
            return self.send_body(404, b"no shared data", "text/plain")
        root = os.path.realpath(os.path.join(base, "pubmed_eutils"))
        full = os.path.realpath(os.path.join(root, rel))
        if not full.startswith(root + os.sep) or not os.path.isfile(full):
            return self.send_body(404, b"not found", "text/plain")
        with open(full, "rb") as f:
            data = f.read()
        ctype = "text/html" if full.endswith(".html") else "text/xml"
        self.ranged(data, ctype, fault)

    def bulk(self, name, fault):
        st = self.server.state
        if name == "":
            links = ['<a href="/pubmed/">Parent Directory</a>', '<a href="README.txt">README.txt</a>']
            for n in st.bulk:
                links.append(f'<a href="{n}">{n}</a>      2024-12-01 14:00  {len(st.bulk[n])}')
                links.append(f'<a href="{n}.md5">{n}.md5</a>  2024-12-01 14:00  60')
            links.append("<a href='/pubmed/updatefiles/stats.html?C=M;O=D'>stats</a>")
            page = ("<html><head><title>Index of /pubmed/updatefiles</title></head><body>"
                    "<h1>Index of /pubmed/updatefiles</h1><pre>" + "\n".join(links) +
                    "</pre></body></html>\n").encode()
            return self.send_body(200, page, "text/html")
        if name in st.bulk:
            return self.ranged(st.bulk[name], "application/x-gzip", fault)
        if name in st.bulk_md5:
            return self.send_body(200, st.bulk_md5[name], "text/plain")
        self.send_body(404, b"<html><head><title>404 Not Found</title></head></html>",
                       "text/html")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass   # clients that time out or are reset on purpose are expected


def watchdog(timeout):
    parent = os.getppid()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.getppid() != parent:
            os._exit(0)   # the test died: do not linger
        time.sleep(0.2)
    os._exit(0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=120.0,
                    help="exit after this many seconds whatever happens")
    ap.add_argument("--shared", default=None, help="the ../shared/data directory, if any")
    args = ap.parse_args()
    gc.disable()   # no collector pauses skewing the request times tests measure
    threading.Thread(target=watchdog, args=(args.timeout,), daemon=True).start()
    corpus = Corpus(os.path.join(FIXTURES, "corpus.json"))
    httpd = Server(("127.0.0.1", 0), Handler)
    httpd.state = State(corpus, args.shared)
    sys.stdout.write(f"{httpd.server_address[1]}\n")
    sys.stdout.flush()
    httpd.serve_forever(poll_interval=0.1)


if __name__ == "__main__":
    main()
