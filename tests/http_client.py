#!/usr/bin/env python3
"""The test suite's HTTP client for `litmine serve` (standard library only).

  http_client.py get URL OUT [METHOD]   status, headers and body of one request
                                        into OUT.status, OUT.headers, OUT.body
  http_client.py raw HOST PORT FILE     sends FILE's bytes as the request and
                                        prints the response's status line
                                        ("closed" when the server hangs up)
  http_client.py idle HOST PORT SECS    opens a connection, sends half a
                                        request line and prints how many
                                        seconds the server took to close it
                                        ("open" after SECS)

Every socket has a timeout, so no call outlives its test.
"""
import socket
import sys
import time
import urllib.error
import urllib.request


def get(url, out, method="GET"):
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, headers, body = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, headers, body = e.code, e.headers, e.read()
    with open(out + ".status", "w") as f:
        f.write(f"{status}\n")
    with open(out + ".headers", "w") as f:
        for k, v in headers.items():
            f.write(f"{k}: {v}\n")
    with open(out + ".body", "wb") as f:
        f.write(body)


def raw(host, port, path):
    data = open(path, "rb").read()
    with socket.create_connection((host, int(port)), timeout=20) as s:
        try:
            s.sendall(data)
            first = s.recv(4096)
        except (ConnectionResetError, BrokenPipeError):
            first = b""
    line = first.split(b"\r\n", 1)[0].decode("latin-1")
    print(line if line else "closed")


def idle(host, port, secs):
    start = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=float(secs)) as s:
        s.sendall(b"GET / HTT")
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
        except socket.timeout:
            print("open")
            return
        except ConnectionResetError:
            pass
    print(f"{time.monotonic() - start:.1f}")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "get":
        get(*sys.argv[2:])
    elif cmd == "raw":
        raw(*sys.argv[2:])
    elif cmd == "idle":
        idle(*sys.argv[2:])
    else:
        sys.exit(f"unknown command {cmd}")
