#!/usr/bin/env python3
"""`litmine query` per call, start included: what a user waits for at the
shell (prints figures, asserts nothing).

    python3 bench/query-start.py DB [N]

Runs N (default 20, at most 50) varied queries through the CLI on the
database DB (one process each, as a user types them): bench/scale.py's,
SciFact's dev claims cut to 12 words when ../shared/data holds them, else
a fixed list; prints p50/p95 of wall and CPU time (user + system, the
process's own rusage) with the load average, first with whatever model
caches exist, then again (the cache written by the first call of a cold
run is used by every later one).  Then the same queries in process
(`bench-search queries`, session opened once) when that binary exists.

Knobs: LITMINE (./litmine), LITMINE_CONFIG (a configuration; default the
committed models), BENCH_SEARCH (build/rel/bench/bench-search),
LITMINE_MODEL_CACHE (where model caches go, see util/lm_mapcache.h;
"off" measures loading the model files every call).
"""
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LITMINE = os.path.abspath(os.environ.get("LITMINE", os.path.join(ROOT, "litmine")))
BENCH_SEARCH = os.environ.get("BENCH_SEARCH", os.path.join(ROOT, "build/rel/bench/bench-search"))


def queries(n):
    """The first n of bench/scale.py's 50 queries (at most 50)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import scale
    return scale.queries()[:n]


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


def run(argv):
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"query-start: {' '.join(argv)} failed")
    return time.monotonic() - t0, ru.ru_utime + ru.ru_stime


def main():
    if len(sys.argv) < 2:
        raise SystemExit("usage: query-start.py DB [N]")
    db, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20
    cfg = os.environ.get("LITMINE_CONFIG")
    tmp = tempfile.mkdtemp(prefix="litmine-query-start-")
    if not cfg:
        cfg = os.path.join(tmp, "models.conf")
        with open(cfg, "w") as f:
            f.write(f"[models]\ndir = {ROOT}/models\n")
    qs = queries(n)
    print(f"query-start: {n} queries on {db} ({LITMINE}), {os.cpu_count()} CPUs,"
          f" model cache {os.environ.get('LITMINE_MODEL_CACHE', 'default')}")
    for rnd in ("first pass", "second pass"):
        walls, cpus = [], []
        load = os.getloadavg()[0]
        for q in qs:
            w, c = run([LITMINE, "--db", db, "--config", cfg, "--quiet", "query", q])
            walls.append(w * 1000)
            cpus.append(c * 1000)
        print(f"  CLI {rnd}: wall p50 {pct(walls, 50):.0f} ms, p95 {pct(walls, 95):.0f} ms;"
              f" CPU p50 {pct(cpus, 50):.0f} ms, p95 {pct(cpus, 95):.0f} ms"
              f" (first call {walls[0]:.0f} ms; load average {load:.1f} -> {os.getloadavg()[0]:.1f})")
    if os.path.exists(BENCH_SEARCH):
        qfile = os.path.join(tmp, "queries.txt")
        with open(qfile, "w", encoding="utf-8") as f:
            f.write("\n".join(qs) + "\n")
        out = subprocess.run([BENCH_SEARCH, "queries", db, qfile, os.path.join(ROOT, "models")],
                             capture_output=True, text=True).stdout.strip()
        print(f"  {out} (load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
