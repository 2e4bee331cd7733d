#!/usr/bin/env python3
"""One huge picture (issue 19, item 4): peak RSS and time of `cncert-feed extract --ocr` over an
article whose first section picture is a 150 × 266,000 gray PNG (a few hundred KB on the wire).

    cargo build --release && python3 benches/ocr_bounds_bench.py [BIN]

BIN defaults to target/release/cncert-feed (give an older build to compare). The page is the first
page of `tests/fixtures/image-site`; its pictures are served by `benches/fixture_server.py` from a
temporary site: the first section picture is the tall PNG, the others answer 404, so the run is
the page's text plus that one picture. A second run with every picture 404 is the baseline.
Measured with `/usr/bin/time -v` ("Maximum resident set size" covers the largest single process,
the binary or the Tesseract it started). Needs `tesseract` with `chi_sim`.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGES = os.path.join(ROOT, "tests", "fixtures", "image-site")


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def tall_png(w=150, h=266_000):
    """8-bit gray, white with a black row every 40 rows."""
    white = b"\x00" + b"\xff" * w
    black = b"\x00" + b"\x00" * w
    raw = b"".join(black if y % 40 == 0 else white for y in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def site(tmp, page, huge):
    """A site dir whose routes serve the tall PNG for the page's first section picture (when
    `huge`) and 404 for every other picture."""
    html = open(page, encoding="utf-8").read()
    start = html.find("本周网络安全基本态势")
    urls = re.findall(r'data-src="(https://mmbiz\.qpic\.cn[^"]+)"', html[start:])
    first = re.sub(r"^https://mmbiz\.qpic\.cn", "", urls[0]).split("?")[0]
    routes = json.load(open(os.path.join(IMAGES, "site.json"), encoding="utf-8"))["routes"]
    out = []
    for r in routes:
        if huge and r.get("path") == first:
            out.append({"path": first, "responses": [{"status": 200, "file": "tall.png",
                                                      "headers": {"Content-Type": "image/png"}}]})
        else:
            out.append({"path": r["path"], "responses": [{"status": 404}]})
    d = os.path.join(tmp, "huge" if huge else "none")
    os.makedirs(d)
    shutil.copy(os.path.join(tmp, "tall.png"), d)
    json.dump({"routes": out}, open(os.path.join(d, "site.json"), "w"))
    return d


def run(binary, page, site_dir):
    srv = subprocess.Popen([sys.executable, os.path.join(ROOT, "benches", "fixture_server.py"), site_dir,
                            "--port", "0"], stdout=subprocess.PIPE, text=True)
    origin = srv.stdout.readline().strip().split()[-1]
    try:
        cmd = ["/usr/bin/time", "-v", binary, "extract", "--ocr", "--base-url", f"mmbiz.qpic.cn={origin}/", page]
        out = subprocess.run(cmd, capture_output=True, text=True)
    finally:
        srv.terminate()
        srv.wait()
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", out.stderr).group(1)
    notes = [l for l in out.stderr.splitlines() if l.startswith("note:")]
    return rss, wall, out.returncode, notes


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "release", "cncert-feed")
    page = os.path.join(IMAGES, "pages", sorted(os.listdir(os.path.join(IMAGES, "pages")))[0])
    with tempfile.TemporaryDirectory() as tmp:
        png = tall_png()
        open(os.path.join(tmp, "tall.png"), "wb").write(png)
        print(f"{binary}\npage {os.path.basename(page)}; picture 150×266000, {len(png) // 1024} KB")
        for label, huge in (("no picture (baseline)", False), ("the tall picture", True)):
            rss, wall, rc, notes = run(binary, page, site(tmp, page, huge))
            print(f"{label}: max RSS {rss / 1024:.0f} MB, wall {wall}, exit {rc}")
            for n in notes:
                if "HTTP 404" not in n:
                    print(f"  note: ...{n[-150:]}")


if __name__ == "__main__":
    main()
