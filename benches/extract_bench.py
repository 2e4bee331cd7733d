#!/usr/bin/env python3
"""Extraction benchmark (issues 2 and 21): `cncert-feed extract` over N real-size pages (≈300 KB,
built from the fixtures) against the time to read their bytes (`cat`), in one run, as a ratio:
with all cores and on one thread (`--jobs 1`). Optionally a BeautifulSoup + lxml script and an
RSSHub-style cheerio script doing the same job, and peak memory at N and 4×N inputs.

    cargo build --release && python3 benches/extract_bench.py [--pages 1000] [--repeat 5]
    python3 benches/extract_bench.py --bin target/debug/cncert-feed --label "test profile" --pages 100 --quick
    python3 benches/extract_bench.py --baseline /tmp/old-cncert-feed     # an older build, same run

Every command runs `--repeat` times, the commands taking turns (so a load that comes and goes
hits them alike); the best time of each is kept. Wall time is what the ratio is about; CPU time
(user + system, of the command and its threads) is printed beside it, since it moves less on a
busy machine. The last line is the ratio, for CI logs:
`ratio extract/cat (<label>): all cores X.XX, one thread Y.YY (CPU A.AA, B.BB)`.

The reference scripts are optional and skipped when missing: `pip install beautifulsoup4 lxml`
and `npm install --prefix benches/reference cheerio`.
"""
import argparse
import os
import resource
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


def run_once(cmd):
    """Wall and CPU seconds (user + system) of one run of `cmd`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, cwd=ROOT)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def timed_rows(rows, repeat):
    """Best wall and best CPU time of every row, the rows taking turns `repeat` times."""
    best = {name: (float("inf"), float("inf")) for name, _, _ in rows}
    for r in range(repeat):
        for name, cmd, reps in rows:
            if r >= reps:
                continue
            wall, cpu = run_once(cmd)
            bw, bc = best[name]
            best[name] = (min(bw, wall), min(bc, cpu))
    return best


def peak_kib(cmd):
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, check=True, cwd=ROOT, text=True)
    return int(out.stderr.strip().splitlines()[-1])


def load_note():
    try:
        one, five, _ = os.getloadavg()
        return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"
    except OSError:
        return "load average unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--bin", default=BIN, help="the cncert-feed binary to measure (default: the release build)")
    ap.add_argument("--label", default=None, help="what the binary is, for the ratio line (default: its profile directory)")
    ap.add_argument("--baseline", default=None, help="another cncert-feed binary to time in the same run")
    ap.add_argument("--quick", action="store_true", help="the ratio only: no reference scripts, no memory runs")
    args = ap.parse_args()
    binary = os.path.abspath(args.bin)
    if not os.path.exists(binary):
        sys.exit(f"no binary at {binary}: build first (cargo build --release)")
    label = args.label or os.path.basename(os.path.dirname(binary))
    tmp = tempfile.mkdtemp(prefix="cncert-bench-")
    try:
        files = build_corpus(tmp, args.pages * (1 if args.quick else 4))
        corpus = files[: args.pages]
        size = sum(os.path.getsize(f) for f in corpus)
        print(f"{args.pages} pages, {size / args.pages / 1024:.0f} KiB each on average, {size / 1e6:.0f} MB in all")
        print(f"binary: {binary} ({label}); {load_note()}")
        # Warm the page cache.
        subprocess.run(["cat"] + corpus, stdout=subprocess.DEVNULL, check=True)
        rows = [("cat (read the bytes)", ["cat"] + corpus, args.repeat)]
        rows.append(("cncert-feed extract", [binary, "extract"] + corpus, args.repeat))
        rows.append(("cncert-feed extract --jobs 1", [binary, "extract", "--jobs", "1"] + corpus, args.repeat))
        if args.baseline:
            base = os.path.abspath(args.baseline)
            rows.append(("baseline extract", [base, "extract"] + corpus, args.repeat))
            rows.append(("baseline extract --jobs 1", [base, "extract", "--jobs", "1"] + corpus, args.repeat))
        if not args.quick:
            try:
                import bs4, lxml  # noqa: F401
                rows.append(("BeautifulSoup + lxml", [sys.executable, "benches/reference/bs4_extract.py"] + corpus, 1))
            except ImportError:
                print("skipped BeautifulSoup: pip install beautifulsoup4 lxml")
            node_modules = os.path.join(ROOT, "benches", "reference", "node_modules", "cheerio")
            if shutil.which("node") and os.path.isdir(node_modules):
                rows.append(("cheerio (RSSHub style)", ["node", "benches/reference/cheerio_extract.js"] + corpus, 1))
            else:
                print("skipped cheerio: npm install --prefix benches/reference cheerio")
        results = timed_rows(rows, args.repeat)
        floor, floor_cpu = results["cat (read the bytes)"]
        print(f"{'command':32} {'wall s':>8} {'ms/page':>8} {'× cat':>6} {'CPU s':>8} {'× cat':>6}")
        for name, (wall, cpu) in results.items():
            print(f"{name:32} {wall:8.3f} {wall / args.pages * 1000:8.3f} {wall / floor:6.2f} {cpu:8.3f} {cpu / floor_cpu:6.2f}")
        ours = results["cncert-feed extract"][0]
        for name, (wall, _) in results.items():
            if name.startswith(("BeautifulSoup", "cheerio")):
                print(f"cncert-feed extract is {wall / ours:.0f}× faster than {name}")
        if not args.quick:
            small = peak_kib([binary, "extract"] + corpus)
            large = peak_kib([binary, "extract"] + files)
            print(f"peak memory: {small / 1024:.1f} MiB for {len(corpus)} pages, {large / 1024:.1f} MiB for {len(files)} pages")
        all_cores, one = results["cncert-feed extract"], results["cncert-feed extract --jobs 1"]
        print(f"after: {load_note()}")
        print(f"ratio extract/cat ({label}): all cores {all_cores[0] / floor:.2f}, one thread {one[0] / floor:.2f} "
              f"(CPU {all_cores[1] / floor_cpu:.2f}, {one[1] / floor_cpu:.2f})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
