#!/usr/bin/env python3
"""Stand-in for the Hugging Face hub, for `litmine model fetch` tests.

tests/test-model.sh starts it, reads the port from the first line of
stdout, talks to it over http://127.0.0.1 only, and kills it at the end.
It exits by itself after --timeout seconds and as soon as its parent is
gone.  Standard library only.

Repositories are built from the encoder fixtures (tests/fixtures/encoder):
  litmine-test/bert-st      bert-st-bf16 (WordPiece, sentence-transformers files)
  litmine-test/roberta      roberta-ner-f16 (vocab.json + merges.txt)
  litmine-test/pt-only      config, vocab.txt and a pytorch_model.bin on
                            main; revision refs/pr/1 adds model.safetensors
                            (as the hub's safetensors-conversion pull requests)
  litmine-test/electra      a config with model_type electra
  litmine-test/tokjson      only tokenizer.json as tokenizer
  litmine-test/gated        answers 401
model.safetensors is a Git LFS file: its resolve URL redirects (302) to
/cdn/SHA256 with X-Linked-Etag, X-Linked-Size and X-Repo-Commit, as the
hub does; other files are served directly with their git blob id as ETag.

Endpoints
  GET  /api/models/OWNER/NAME/revision/REV[?blobs=true]   sha, siblings
  GET  /OWNER/NAME/resolve/REV/PATH
  GET  /cdn/SHA256             the LFS content; honours Range (206)
  POST /control                JSON, faults for the next /cdn requests:
        {"truncate_next": N, "truncate_at": BYTES}  send BYTES then drop
        {"corrupt_next": N}     flip the last byte of the next N bodies
        {"corrupt_always": 1}   ... of every body
        {"no_range": 1}         ignore Range headers (answer 200)
        {"api_no_lfs": 1}       the API omits lfs (the header must do)
        {"bad_etag": 1}         X-Linked-Etag disagrees with the API
  POST /reset                  forgets the log and the faults
  GET  /log                    one JSON object per request: path, range, status
"""

import argparse
import hashlib
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote, urlsplit

sys.dont_write_bytecode = True   # no .pyc beside the tests
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eutils_server import Server, watchdog  # noqa: E402  (same lifetime rules)

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures", "encoder")
LFS = {"model.safetensors", "pytorch_model.bin"}


def read_dir(d):
    files = {}
    for root, _, names in os.walk(d):
        for n in names:
            if n.startswith("expected."):
                continue
            p = os.path.join(root, n)
            with open(p, "rb") as f:
                files[os.path.relpath(p, d)] = f.read()
    return files


def commit_of(name, rev):
    return hashlib.sha1(("%s@%s" % (name, rev)).encode()).hexdigest()


def build_repos():
    st = read_dir(os.path.join(FIXTURES, "bert-st-bf16"))
    rob = read_dir(os.path.join(FIXTURES, "roberta-ner-f16"))
    unc = read_dir(os.path.join(FIXTURES, "bert-uncased-ner"))
    pt_main = {k: v for k, v in unc.items() if k != "model.safetensors"}
    pt_main["pytorch_model.bin"] = b"PK\x03\x04 not really a pickle" * 100
    electra = dict(unc)
    electra["config.json"] = unc["config.json"].replace(b'"bert"', b'"electra"')
    tokjson = {k: v for k, v in unc.items() if k != "vocab.txt"}
    tokjson["tokenizer.json"] = b'{"model": {"type": "WordPiece"}}'
    return {
        "litmine-test/bert-st": {"main": st},
        "litmine-test/roberta": {"main": rob},
        "litmine-test/pt-only": {"main": pt_main, "refs/pr/1": dict(unc, **{
            "pytorch_model.bin": pt_main["pytorch_model.bin"]})},
        "litmine-test/electra": {"main": electra},
        "litmine-test/tokjson": {"main": tokjson},
    }


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.repos = build_repos()
        self.blobs = {}
        for revs in self.repos.values():
            for files in revs.values():
                for name, data in files.items():
                    if name in LFS:
                        self.blobs[hashlib.sha256(data).hexdigest()] = data
        self.reset()

    def reset(self):
        with self.lock:
            self.log = []
            self.faults = {}


def git_blob_id(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    @property
    def st(self):
        return self.server.state

    def record(self, status):
        with self.st.lock:
            self.st.log.append({"path": self.path, "range": self.headers.get("Range"),
                                "status": status})

    def send_body(self, code, body, ctype="application/json", headers=None):
        self.record(code)
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if n else b"{}"
        path = urlsplit(self.path).path
        if path == "/reset":
            self.st.reset()
        elif path == "/control":
            with self.st.lock:
                self.st.faults.update(json.loads(body or b"{}"))
        else:
            return self.send_body(404, b'{"error": "not found"}')
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        url = urlsplit(self.path)
        path = unquote(url.path)
        if path == "/log":
            with self.st.lock:
                body = "".join(json.dumps(e) + "\n" for e in self.st.log).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if path.startswith("/api/models/"):
            return self.api(path[len("/api/models/"):], url.query)
        if path.startswith("/cdn/"):
            return self.cdn(path[len("/cdn/"):])
        parts = path.strip("/").split("/")
        if len(parts) >= 5 and parts[2] == "resolve":
            return self.resolve("/".join(parts[:2]), parts[3], "/".join(parts[4:]))
        self.send_body(404, b'{"error": "not found"}')

    def repo_rev(self, name, rev):
        if name == "litmine-test/gated":
            return None, 401
        revs = self.st.repos.get(name)
        if revs is None:
            return None, 404
        for r, files in revs.items():
            if rev in (r, commit_of(name, r)):
                return (r, files), 200
        return None, 404

    def api(self, rest, query):
        if "/revision/" not in rest:
            return self.send_body(404, b'{"error": "not found"}')
        name, rev = rest.split("/revision/", 1)
        found, code = self.repo_rev(name, rev)
        if found is None:
            msg = b'{"error": "Access to model is restricted."}' if code == 401 else \
                b'{"error": "Repository Not Found"}'
            return self.send_body(code, msg)
        r, files = found
        with self.st.lock:
            no_lfs = self.st.faults.get("api_no_lfs")
        siblings = []
        for fname in sorted(files):
            data = files[fname]
            s = {"rfilename": fname}
            if "blobs=true" in query:
                s["size"] = len(data)
                s["blobId"] = git_blob_id(data)
                if fname in LFS and not no_lfs:
                    s["lfs"] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                                "pointerSize": 134}
            siblings.append(s)
        body = {"id": name, "sha": commit_of(name, r), "siblings": siblings}
        self.send_body(200, json.dumps(body).encode())

    def resolve(self, name, rev, fname):
        found, code = self.repo_rev(name, rev)
        if found is None or fname not in found[1]:
            return self.send_body(404 if code != 401 else 401, b'{"error": "Entry not found"}')
        r, files = found
        data = files[fname]
        if fname in LFS:
            sha = hashlib.sha256(data).hexdigest()
            with self.st.lock:
                bad = self.st.faults.get("bad_etag")
            etag = ("0" * 64) if bad else sha
            self.record(302)
            self.send_response(302)
            self.send_header("Location", "/cdn/" + sha)
            self.send_header("X-Linked-Etag", '"%s"' % etag)
            self.send_header("X-Linked-Size", str(len(data)))
            self.send_header("X-Repo-Commit", commit_of(name, r))
            self.send_header("ETag", '"%s"' % etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_body(200, data, "text/plain", {"ETag": '"%s"' % git_blob_id(data),
                                                 "X-Repo-Commit": commit_of(name, r)})

    def cdn(self, sha):
        data = self.st.blobs.get(sha)
        if data is None:
            return self.send_body(404, b"no such blob", "text/plain")
        with self.st.lock:
            f = self.st.faults
            truncate = f.get("truncate_next", 0) > 0
            if truncate:
                f["truncate_next"] -= 1
            corrupt = f.get("corrupt_always") or f.get("corrupt_next", 0) > 0
            if f.get("corrupt_next", 0) > 0:
                f["corrupt_next"] -= 1
            no_range = f.get("no_range")
            cut = f.get("truncate_at", len(data) // 2)
        if corrupt:
            data = data[:-1] + bytes([data[-1] ^ 0xFF])
        start, status = 0, 200
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and not no_range:
            start = int(rng[6:].split("-")[0])
            status = 206
        body = data[start:]
        self.record(status)
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        self.send_header("ETag", '"%s"' % sha)
        self.end_headers()
        if truncate:
            self.wfile.write(body[:max(0, cut - start)])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=120.0)
    args = ap.parse_args()
    threading.Thread(target=watchdog, args=(args.timeout,), daemon=True).start()
    httpd = Server(("127.0.0.1", 0), Handler)
    httpd.state = State()
    sys.stdout.write("%d\n" % httpd.server_address[1])
    sys.stdout.flush()
    httpd.serve_forever(poll_interval=0.1)


if __name__ == "__main__":
    main()
