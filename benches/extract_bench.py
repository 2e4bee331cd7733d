#!/usr/bin/env python3
"""Extraction benchmark (issue 2): `cncert-feed extract` over N real-size pages (≈300 KB, built
from the fixtures) against the time to read their bytes (`cat`), a BeautifulSoup + lxml script and
an RSSHub-style cheerio script doing the same job, all in one run; then peak memory at N and 4×N
inputs to show it stays flat.

    python3 benches/extract_bench.py [--pages 1000] [--repeat 3]

Needs a release build (`cargo build --release`). The reference scripts are optional and skipped
when missing: `pip install beautifulsoup4 lxml` and `npm install --prefix benches/reference cheerio`.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = os.path.join(ROOT, "tests", "fixtures", "wechat-site", "pages")
BIN = os.path.join(ROOT, "target", "release", "cncert-feed")


def build_corpus(dst, n):
    sources = sorted(f for f in os.listdir(PAGES) if f.endswith(".html") and f[:4].isdigit() and "deleted" not in f)
    files = []
    for i in range(n):
        src = os.path.join(PAGES, sources[i % len(sources)])
        path = os.path.join(dst, f"page-{i:05}.html")
        with open(src, "rb") as fh:
            data = fh.read()
        # Make every page distinct so nothing can be cached across inputs.
        data = data.replace(b"</body>", f"<!-- copy {i} -->\n</body>".encode())
        with open(path, "wb") as fh:
            fh.write(data)
        files.append(path)
    return files


def timed(cmd, repeat):
    best = None
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, cwd=ROOT)
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    return best


def peak_kib(cmd):
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, check=True, cwd=ROOT, text=True)
    return int(out.stderr.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    tmp = tempfile.mkdtemp(prefix="cncert-bench-")
    try:
        files = build_corpus(tmp, args.pages * 4)
        corpus = files[: args.pages]
        size = sum(os.path.getsize(f) for f in corpus)
        print(f"{args.pages} pages, {size / args.pages / 1024:.0f} KiB each on average, {size / 1e6:.0f} MB in all")
        # Warm the page cache.
        subprocess.run(["cat"] + corpus, stdout=subprocess.DEVNULL, check=True)
        rows = [("cat (read the bytes)", ["cat"] + corpus)]
        rows.append(("cncert-feed extract", [BIN, "extract"] + corpus))
        rows.append(("cncert-feed extract --jobs 1", [BIN, "extract", "--jobs", "1"] + corpus))
        try:
            import bs4, lxml  # noqa: F401
            rows.append(("BeautifulSoup + lxml", [sys.executable, "benches/reference/bs4_extract.py"] + corpus))
        except ImportError:
            print("skipped BeautifulSoup: pip install beautifulsoup4 lxml")
        node_modules = os.path.join(ROOT, "benches", "reference", "node_modules", "cheerio")
        if shutil.which("node") and os.path.isdir(node_modules):
            rows.append(("cheerio (RSSHub style)", ["node", "benches/reference/cheerio_extract.js"] + corpus))
        else:
            print("skipped cheerio: npm install --prefix benches/reference cheerio")
        results = {}
        for name, cmd in rows:
            reps = args.repeat if "extract" in name or name.startswith("cat") else 1
            results[name] = timed(cmd, reps)
        floor = results["cat (read the bytes)"]
        print(f"{'command':32} {'total s':>9} {'ms/page':>9} {'× cat':>7}")
        for name, dt in results.items():
            print(f"{name:32} {dt:9.3f} {dt / args.pages * 1000:9.3f} {dt / floor:7.1f}")
        ours = results["cncert-feed extract"]
        for name, dt in results.items():
            if name not in ("cat (read the bytes)", "cncert-config", "cncert-feed extract") and "jobs" not in name:
                print(f"cncert-feed extract is {dt / ours:.0f}× faster than {name}")
        small = peak_kib([BIN, "extract"] + corpus)
        large = peak_kib([BIN, "extract"] + files)
        print(f"peak memory: {small / 1024:.1f} MiB for {len(corpus)} pages, {large / 1024:.1f} MiB for {len(files)} pages")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
