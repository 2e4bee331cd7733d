#!/usr/bin/env python3
"""The producer matrix: every PDF in tests/fixtures/producers/ × the 16 figures of 2024年第43期
(assessment and 15 metrics), right / wrong / missing, our reader beside poppler's pdftotext.

Method: both columns go through the same extraction code (extract::paragraphs_of then
report_from_text, with the repository's config.yaml); only the PDF-to-text step differs.
"ours" is read_pdf on the PDF (the #[ignore]d test figures_of_producer_pdfs); "pdftotext" is
`pdftotext -enc UTF-8 file.pdf` written to a temporary .txt, read by the #[ignore]d test
figures_of_text_files. Also times both readers over the whole set (our binary's `extract` on the
PDFs, against pdftotext).

Usage: python3 benches/producers_matrix.py   (needs cargo and poppler-utils)
"""

import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PRODUCERS = os.path.join(ROOT, "tests", "fixtures", "producers")


def expected():
    with open(os.path.join(ROOT, "tests", "fixtures", "cert-site", "expected.json"), encoding="utf-8") as f:
        e = json.load(f)["issues"]["2024-43"]["expected"]
    out = {"assessment": e["assessment"]}
    out.update(e["metrics"])
    return out


def matrix_lines(test, env=None):
    r = subprocess.run(
        ["cargo", "test", "-q", "--locked", "--test", "producers", "--", "--ignored", "--exact", test, "--nocapture"],
        cwd=ROOT, capture_output=True, text=True, env=env, check=False,
    )
    out = {}
    for line in r.stdout.splitlines():
        if line.startswith("MATRIX "):
            row = json.loads(line[len("MATRIX "):])
            out[row["file"]] = row["figures"] or {}
    if not out:
        sys.exit(f"no output from {test}:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return out


def score(got, want):
    right = sum(1 for k, v in want.items() if got.get(k) == v)
    wrong = sorted(k for k, v in want.items() if k in got and got[k] != v)
    missing = sorted(k for k in want if k not in got)
    return right, wrong, missing


def main():
    want = expected()
    pdfs = sorted(f for f in os.listdir(PRODUCERS) if f.endswith(".pdf"))
    texts = tempfile.mkdtemp()
    t0 = time.perf_counter()
    for f in pdfs:
        subprocess.run(["pdftotext", "-enc", "UTF-8", os.path.join(PRODUCERS, f),
                        os.path.join(texts, f[:-4] + ".txt")], check=False)
    t_poppler = time.perf_counter() - t0
    ours = matrix_lines("figures_of_producer_pdfs")
    poppler = matrix_lines("figures_of_text_files", dict(os.environ, PRODUCERS_TEXT_DIR=texts))
    print(f"{'producer':<27} {'ours r/w/m':>12} {'pdftotext r/w/m':>16}  missing (ours)")
    totals = [0] * 6
    for f in pdfs:
        name = f[:-4]
        a = score(ours.get(name, {}), want)
        b = score(poppler.get(name, {}), want)
        for i, x in enumerate([a[0], len(a[1]), len(a[2]), b[0], len(b[1]), len(b[2])]):
            totals[i] += x
        print(f"{name:<27} {a[0]:>4}/{len(a[1])}/{len(a[2]):<5} {b[0]:>8}/{len(b[1])}/{len(b[2]):<5}  "
              f"{','.join(a[2]) if a[2] else ''}{' WRONG ' + ','.join(a[1]) if a[1] else ''}")
    print(f"{'total':<27} {totals[0]:>4}/{totals[1]}/{totals[2]:<5} {totals[3]:>8}/{totals[4]}/{totals[5]:<5}"
          f"  of {len(pdfs) * len(want)}")
    binary = os.path.join(ROOT, "target", "release", "cncert-feed")
    if os.path.exists(binary):
        t0 = time.perf_counter()
        subprocess.run([binary, "extract", *[os.path.join(PRODUCERS, f) for f in pdfs]],
                       capture_output=True, check=False)
        t_ours = time.perf_counter() - t0
        print(f"time over {len(pdfs)} PDFs: ours (release extract, one process) {t_ours * 1000:.0f} ms; "
              f"pdftotext (one process a file) {t_poppler * 1000:.0f} ms")
    else:
        print(f"time: pdftotext {t_poppler * 1000:.0f} ms over {len(pdfs)} PDFs (build --release to time ours)")


if __name__ == "__main__":
    main()
