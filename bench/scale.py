#!/usr/bin/env python3
"""make bench-scale: litmine at corpus scale, measured the way a user runs
it (prints figures, asserts nothing).

    BENCH_ARTICLES=1000000 python3 bench/scale.py

Generates BENCH_ARTICLES abstracts (scripts/gen-abstracts.py: the corpora's
abstracts cycled with fresh PMIDs) in ten files of a tenth each, ingests
them one `litmine ingest` per tenth with the default chain (the search
index refreshed at the end of each, as a user's ingest does), runs
`litmine index build`, then 50 queries through the CLI and in process
(bench-search queries).  Prints abstracts/s per tenth and cumulative at
10%, 50% and 100%, the ratio of the last tenth's rate to the first's, the
peak RSS of each step (wait4's rusage of that process), each tenth's
seconds per stage, in the store and in the search-index refresh (the
ingest's --verbose account: what grows with the corpus), bytes per
abstract by table (`litmine stats --sizes`), and query p50/p95.

Knobs: BENCH_ARTICLES (default 1,000,000), BENCH_DIR (default
/tmp/litmine-bench-scale; reused: the generated files are kept),
BENCH_THREADS (ingest workers, default: all CPUs), BENCH_INGEST_ONLY=1
(stop after the ten ingests: no index build, queries or sizes; for
comparing two binaries' ingest and refresh), BENCH_MODEL_FIRST=1 (run
`index build` after the first tenth, so the other nine embed their
articles and add them to the vector file, as the nightly ingests of a
user with a built index do; by default no model exists until the final
`index build` and the tenths write no vectors), LITMINE (./litmine),
LITMINE_CONFIG (a configuration for every command; default: none, with
the committed models).
"""
import glob
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = int(os.environ.get("BENCH_ARTICLES", "1000000"))
DIR = os.environ.get("BENCH_DIR", "/tmp/litmine-bench-scale")
LITMINE = os.path.abspath(os.environ.get("LITMINE", os.path.join(ROOT, "litmine")))
BENCH_SEARCH = os.path.join(ROOT, "build/rel/bench/bench-search")
THREADS = os.environ.get("BENCH_THREADS", "")
SHARED = os.path.join(ROOT, "../shared/data")
DB = os.path.join(DIR, "scale.db")
LAST_CPU = 0.0


def run_rss(argv, stderr_to=None):
    """Runs argv; returns (wall seconds, peak RSS MB of that process, stdout);
    the process's CPU seconds (user + system) go to LAST_CPU, its standard
    error to the file stderr_to (None: discarded).
    wait4 gives this child's own rusage, not the maximum over every child."""
    t0 = time.monotonic()
    err = open(stderr_to, "w") if stderr_to else subprocess.DEVNULL
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, text=True)
    out = p.stdout.read()
    if stderr_to:
        err.close()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t0
    if p.returncode not in (0, 3):
        raise SystemExit(f"bench-scale: {' '.join(argv)} exited {p.returncode}")
    global LAST_CPU
    LAST_CPU = ru.ru_utime + ru.ru_stime
    return wall, ru.ru_maxrss / 1024, out


def generate():
    os.makedirs(DIR, exist_ok=True)
    tenth = max(N // 10, 1)
    files = []
    for i in range(10):
        path = os.path.join(DIR, f"part-{N}-{i:02d}.xml")
        if not os.path.exists(path):
            subprocess.run([sys.executable, os.path.join(ROOT, "scripts/gen-abstracts.py"),
                            "--articles", str(tenth), "--out", path + ".tmp",
                            "--shared", SHARED, "--start-pmid", str(60000000 + i * tenth)],
                           check=True, stdout=subprocess.DEVNULL)
            os.rename(path + ".tmp", path)
        files.append(path)
    return files, tenth


def queries():
    """50 varied queries: SciFact's dev claims when present, else a fixed list."""
    out = []
    path = os.path.join(SHARED, "scifact/queries.dev.jsonl")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                text = json.loads(line).get("text", "").strip()
                if text:
                    out.append(" ".join(text.split()[:12]))
    base = ["BRCA1 DNA repair", "cisplatin nephrotoxicity", "aspirin myocardial infarction",
            "tamoxifen breast cancer recurrence", "statin myopathy", "lithium tremor",
            "insulin resistance obesity", "doxorubicin cardiotoxicity", "TP53 mutation",
            "hepatitis B vaccine"]
    while len(out) < 50:
        out.append(base[len(out) % len(base)])
    return out[:50]


def ingest_breakdown(log):
    """The stage, store and search-index seconds an ingest printed with
    --verbose (what grows with the corpus shows here)."""
    stages, index = "", ""
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.search(r"time per stage \(all workers\): (.*)", line)
            if m:
                stages = re.sub(r" \(\d+%\)", "", m.group(1)).strip()
            m = re.search(r"search index: .*\(([\d.]+) s\)", line)
            if m:
                index = m.group(1)
    return f"{stages or 'stage times not printed'}; search index refresh {index or '?'} s"


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


def main():
    for path in (LITMINE,) + (() if os.environ.get("BENCH_INGEST_ONLY") else (BENCH_SEARCH,)):
        if not os.path.exists(path):
            raise SystemExit(f"bench-scale: {path} missing (make litmine build/rel/bench/bench-search)")
    cfg = []
    if not os.environ.get("LITMINE_CONFIG"):
        conf = os.path.join(DIR, "models.conf")
        os.makedirs(DIR, exist_ok=True)
        with open(conf, "w") as f:
            f.write(f"[models]\ndir = {ROOT}/models\n")
        cfg = ["--config", conf]
    lm = [LITMINE, "--db", DB] + cfg
    print(f"bench-scale: {N} abstracts in {DIR} (litmine {LITMINE}),"
          f" {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    t0 = time.monotonic()
    files, tenth = generate()
    print(f"generated 10 files of {tenth} abstracts in {time.monotonic() - t0:.0f} s")
    # the database, its log and its vector files (.vectors, .vectors.next,
    # .vectors.m<model> while a model is built, .vectors.lock)
    for path in [DB, DB + "-wal", DB + "-shm"] + glob.glob(glob.escape(DB) + ".vectors*"):
        if os.path.exists(path):
            os.remove(path)

    rates, walls, rsss, cpus = [], [], [], []
    for i, path in enumerate(files):
        # --verbose: the ingest's own account of where its time went.
        argv = ([LITMINE, "--verbose", "--db", DB] + cfg + ["ingest"]
                + (["--threads", THREADS] if THREADS else []) + [path])
        log = os.path.join(DIR, f"ingest-{i + 1}.log")
        wall, rss, _ = run_rss(argv, log)
        walls.append(wall)
        rates.append(tenth / wall)
        rsss.append(rss)
        cpus.append(LAST_CPU)
        print(f"  ingest tenth {i + 1:2d}: {tenth / wall:8.0f} abstracts/s, {wall:7.1f} s wall,"
              f" {LAST_CPU:7.1f} s CPU, peak RSS {rss:6.0f} MB,"
              f" load average {os.getloadavg()[0]:.1f}")
        print(f"      {ingest_breakdown(log)}")
        if i == 0 and os.environ.get("BENCH_MODEL_FIRST"):
            # A user who built the index once: the later ingests embed
            # their articles and add them to the vector file at each
            # refresh (without a model, the tenths write no vectors).
            wall, rss, _ = run_rss(lm + ["index", "build"])
            print(f"  index build after the first tenth: {wall:.1f} s, peak RSS {rss:.0f} MB,"
                  f" load average {os.getloadavg()[0]:.1f}")
    for share, k in ((10, 1), (50, 5), (100, 10)):
        print(f"ingest at {share:3d}%: this tenth {rates[k - 1]:.0f} abstracts/s,"
              f" cumulative {k * tenth / sum(walls[:k]):.0f} abstracts/s")
    print(f"ingest: last tenth / first tenth = {rates[9] / rates[0]:.2f} by wall time,"
          f" {cpus[0] / cpus[9]:.2f} by CPU time (abstracts per CPU second; less sensitive"
          f" to other load on the host);"
          f" peak RSS max {max(rsss):.0f} MB (first tenth {rsss[0]:.0f}, last {rsss[9]:.0f})")

    if os.environ.get("BENCH_INGEST_ONLY"):
        print(f"total wall {time.monotonic() - t0:.0f} s, load average {os.getloadavg()[0]:.1f}")
        return
    wall, rss, _ = run_rss(lm + ["index", "build"])
    print(f"index build: {wall:.1f} s, peak RSS {rss:.0f} MB")

    qs = queries()
    qfile = os.path.join(DIR, "queries.txt")
    with open(qfile, "w", encoding="utf-8") as f:
        f.write("\n".join(qs) + "\n")
    lat, qrss = [], []
    for q in qs:
        wall, rss, _ = run_rss(lm + ["query", q])
        lat.append(wall * 1000)
        qrss.append(rss)
    print(f"query, CLI wall per call ({len(qs)} queries): p50 {pct(lat, 50):.0f} ms,"
          f" p95 {pct(lat, 95):.0f} ms; peak RSS max {max(qrss):.0f} MB")
    _, _, out = run_rss([BENCH_SEARCH, "queries", DB, qfile, os.path.join(ROOT, "models")])
    print("query, " + out.strip())

    _, _, out = run_rss(lm + ["stats", "--sizes", "--last", "0"])
    print("sizes (litmine stats --sizes):")
    in_sizes = False
    for line in out.splitlines():
        if line.startswith("sizes"):
            in_sizes = True
        if in_sizes:
            print("  " + line)
    print(f"total wall {time.monotonic() - t0:.0f} s, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
