#!/usr/bin/env python3
"""OCR benchmark (issue 11): time per picture and per issue of `cncert-feed extract --ocr`.

    cargo build --release && python3 benches/ocr_bench.py [--repeat 3] [--bin PATH] [--baseline PATH]

`--baseline` times another cncert-feed binary (an older build) over the same inputs in the same
run, the two taking turns, so that both meet the same machine load. `--delay-ms N` runs with the
fetch delay between two requests to a host set to N ms (a copy of config.yaml): the default
(1,000 ms, the picture host's politeness) puts a second between two pictures of an article, which
OCR can hide behind; `--delay-ms 0` measures what OCR itself takes.

- Pictures of an article: each page of `tests/fixtures/image-site` (its pictures served by
  `benches/fixture_server.py` in place of mmbiz.qpic.cn), one `extract --ocr` per page.
- Pictures inside a PDF: the website fixture's 2025-02/03 PDFs (5 pictures each).
- Text only: the same inputs without `--ocr`, to subtract what is not OCR.

Per picture = (time with --ocr − time without) / pictures read (the `ocr` pictures each record
lists is not printed by extract, so the count is taken from the fixture: the section pictures
that answer, and the PDF's pictures). Needs `tesseract` with `chi_sim`.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "cncert-feed")
IMAGES = os.path.join(ROOT, "tests", "fixtures", "image-site")
PDFS = os.path.join(ROOT, "tests", "fixtures", "cert-site", "files", "pdf")


def timed(cmd):
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {out.stderr}")
    return dt, out.stderr


def pictures_in_page(page):
    """Section pictures of a fixture page whose image the server answers with 200 and ≤ 5 MiB."""
    html = open(page, encoding="utf-8").read()
    start = html.find("本周网络安全基本态势")
    urls = re.findall(r'data-src="(https://mmbiz\.qpic\.cn[^"]+)"', html[start:]) if start >= 0 else []
    site = json.load(open(os.path.join(IMAGES, "site.json"), encoding="utf-8"))
    ok = 0
    for u in dict.fromkeys(urls):
        path = re.sub(r"^https://mmbiz\.qpic\.cn", "", u).split("?")[0]
        for r in site["routes"]:
            if r.get("path") == path:
                first = r["responses"][0]
                f = first.get("file")
                if first.get("status", 200) == 200 and f and os.path.getsize(os.path.join(IMAGES, f)) <= 5 << 20:
                    ok += 1
                break
    return ok


def measure(binary, origin, repeat, label, config=None):
    """Per picture and per issue times of `binary`; prints a line per input, returns the per-picture times."""
    rows = []
    cmd = [binary] + (["--config", config] if config else []) + ["extract"]
    pages = sorted(f for f in os.listdir(os.path.join(IMAGES, "pages")) if f.endswith(".html"))
    for name in pages:
        page = os.path.join(IMAGES, "pages", name)
        base = ["--base-url", f"mmbiz.qpic.cn={origin}/"]
        rows.append((f"article {name}", [*cmd, "--ocr", *base, page], [*cmd, page], pictures_in_page(page)))
    for name in ("2025-02.pdf", "2025-03.pdf"):
        pdf = os.path.join(PDFS, name)
        rows.append((f"PDF {name}", [*cmd, "--ocr", pdf], [*cmd, pdf], 5))
    per_picture = []
    for row, with_ocr, without, n in rows:
        ocr = min(timed(with_ocr)[0] for _ in range(repeat))
        text = min(timed(without)[0] for _ in range(repeat))
        each = (ocr - text) / max(n, 1)
        per_picture.append(each)
        print(f"{label}: {row}: {n} pictures, whole issue {ocr:.2f} s (text alone {text:.2f} s), {each:.2f} s a picture")
    return per_picture


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--bin", default=BIN)
    ap.add_argument("--baseline", default=None, help="an older cncert-feed binary, timed in the same run")
    ap.add_argument("--delay-ms", type=int, default=None, help="the fetch delay between two requests to a host")
    args = ap.parse_args()
    config = None
    if args.delay_ms is not None:
        text = open(os.path.join(ROOT, "config.yaml"), encoding="utf-8").read()
        text = re.sub(r"(?m)^(\s*delay_ms:) \d+", rf"\1 {args.delay_ms}", text)
        config = os.path.join(tempfile.mkdtemp(prefix="cncert-ocr-bench-"), "config.yaml")
        open(config, "w", encoding="utf-8").write(text)
    if not os.path.exists(args.bin):
        sys.exit("build first: cargo build --release")
    srv = subprocess.Popen([sys.executable, os.path.join(ROOT, "benches", "fixture_server.py"), IMAGES, "--port", "0"],
                           stdout=subprocess.PIPE, text=True)
    origin = srv.stdout.readline().strip().split()[-1]
    try:
        try:
            load = "load average %.1f (1 min) on %d cores" % (os.getloadavg()[0], os.cpu_count())
        except OSError:
            load = "load average unknown"
        print(load + ("" if config is None else f"; fetch delay {args.delay_ms} ms"))
        binaries = [("this build", args.bin)] + ([("baseline", args.baseline)] if args.baseline else [])
        results = {}
        for r in range(args.repeat):
            for label, binary in binaries:
                times = measure(os.path.abspath(binary), origin, 1, label, config)
                results[label] = times if label not in results else [min(a, b) for a, b in zip(results[label], times)]
        for label, per_picture in results.items():
            print(f"{label}: per picture: median {statistics.median(per_picture):.2f} s, max {max(per_picture):.2f} s "
                  f"(best of {args.repeat})")
    finally:
        srv.terminate()
        srv.wait()
        if config:
            shutil.rmtree(os.path.dirname(config), ignore_errors=True)


if __name__ == "__main__":
    main()
