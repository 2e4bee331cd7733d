#!/usr/bin/env python3
"""PDF benchmark (issue 8): `cncert-feed extract` over N copies of the website fixture's text PDFs
(all makes: embedded subset fonts, non-embedded UniGB-UCS2-H, owner-encrypted), side by side in one
run with poppler's `pdftotext` (one process per file, as a script would run it) and pdfminer.six;
then peak memory of `extract` at N and 4×N PDFs to show it stays flat.

    python3 benches/pdf_bench.py [--pdfs 200] [--repeat 3]

Needs a release build (`cargo build --release`). References are optional and skipped when
missing: `apt-get install poppler-utils`, `pip install pdfminer.six`.
"""
import argparse
import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PDFS = os.path.join(ROOT, "tests", "fixtures", "cert-site", "files", "pdf")
BIN = os.path.join(ROOT, "target", "release", "cncert-feed")
# Scans, truncated files and pictures-only reports are not text PDFs.
SKIP = {"2024-37.pdf", "2024-44.pdf"}


def corpus(dst, n):
    sources = sorted(f for f in os.listdir(PDFS) if f.endswith(".pdf") and f not in SKIP)
    files = []
    for i in range(n):
        src = os.path.join(PDFS, sources[i % len(sources)])
        path = os.path.join(dst, f"report-{i:05}.pdf")
        shutil.copyfile(src, path)
        files.append(path)
    return files


def timed(fn, repeat):
    best = None
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        d = time.perf_counter() - t
        best = d if best is None else min(best, d)
    return best


def peak_rss_kib(cmd):
    pid = os.fork()
    if pid == 0:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            os.execv(cmd[0], cmd)
    _, status, usage = os.wait4(pid, 0)
    return usage.ru_maxrss


def main():
    logging.disable(logging.WARNING)
    ap = argparse.ArgumentParser()
    ap.add_argument("--pdfs", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    with tempfile.TemporaryDirectory() as tmp:
        files = corpus(tmp, args.pdfs)
        config = os.path.join(ROOT, "config.yaml")

        def ours():
            subprocess.run([BIN, "--config", config, "extract", *files], check=True, stdout=subprocess.DEVNULL)

        results = [("cncert-feed extract (one process, all files)", timed(ours, args.repeat))]
        if shutil.which("pdftotext"):
            def poppler():
                for f in files:
                    subprocess.run(["pdftotext", "-q", f, "-"], check=False, stdout=subprocess.DEVNULL)
            results.append(("pdftotext (one process per file)", timed(poppler, args.repeat)))
        else:
            print("pdftotext missing: apt-get install poppler-utils", file=sys.stderr)
        try:
            from pdfminer.high_level import extract_text  # noqa: F401

            def miner():
                from pdfminer.high_level import extract_text
                for f in files:
                    extract_text(f)
            results.append(("pdfminer.six (in-process)", timed(miner, 1)))
        except ImportError:
            print("pdfminer.six missing: pip install pdfminer.six", file=sys.stderr)
        base = results[0][1]
        print(f"{args.pdfs} PDFs")
        for name, t in results:
            print(f"  {name:48} {t:8.3f} s   {t / base:6.1f}x")
        big = corpus(tmp, args.pdfs * 4)[: args.pdfs * 4]
        m1 = peak_rss_kib([BIN, "--config", config, "extract", *files])
        m4 = peak_rss_kib([BIN, "--config", config, "extract", *big])
        print(f"  peak memory: {m1 / 1024:.1f} MiB at {len(files)} PDFs, {m4 / 1024:.1f} MiB at {len(big)}")


if __name__ == "__main__":
    main()
