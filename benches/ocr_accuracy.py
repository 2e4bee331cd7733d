#!/usr/bin/env python3
"""OCR accuracy (issue 21): the share of the figures in pictures that `cncert-feed extract --ocr`
reads and confirms, and how many it takes wrong, per picture set and overall.

    cargo build && python3 benches/ocr_accuracy.py [--bin target/debug/cncert-feed] [--groups rendered,hard,...]
        [--dir FOLDER ...] [-v]

Each set is one issue's pictures, read the way a crawl reads them (the binary's preparation, one
Tesseract process an issue, the confirmation rules of src/extract/pictures.rs):

- `rendered`: tests/fixtures/ocr-rendered (tests/tools/render_pictures.py: sans and Kai faces,
  JPEG quality 40, blur; two sets inconsistent on purpose).
- `hard`: tests/fixtures/ocr-hard (tests/tools/render_hard_pictures.py: serif faces at 24–34 px,
  JPEG quality 60–70, tinted backgrounds, blur; one set inconsistent on purpose).
- `image-site`: the three article pages of tests/fixtures/image-site (pictures of real issues).
- `degraded`: the pictures of its 2025-10 page halved, blurred (radius 1.2) and saved at JPEG
  quality 25, as tests/ocr.rs degrades them (needs Pillow; skipped without it).
- `--dir FOLDER`: a folder of pictures with a manifest.json as the fixtures' (sets rendered
  otherwise, to measure a choice on more pictures than the tests hold), a group of its own.

A set's pictures are put into a copy of the image site's 2025-10 article (in place of its own
pictures) and served from loopback in place of mmbiz.qpic.cn; the figures the record marks as
read from pictures (`figure_sources` = `ocr`) are compared with the set's manifest (those it
leaves out on purpose are not expected; taking one is wrong). Prints one line a set with -v, one a
group, and the total; the seconds are the wall time of the `extract --ocr` runs over the pictures
read (text extraction included). Needs `tesseract` with `chi_sim`.
"""
import argparse
import functools
import http.server
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
SITE = os.path.join(FIXTURES, "image-site")
TEMPLATE = os.path.join(SITE, "pages", "2025-10.html")
GROUPS = ["rendered", "hard", "image-site", "degraded"]
# The figures an issue's pictures state (the image site's other figures are in its text).
PICTURE_KEYS = [
    "infected_hosts", "trojan_botnet_hosts", "conficker_hosts", "defaced_sites", "defaced_gov_sites",
    "backdoor_sites", "backdoor_gov_sites", "phishing_pages", "new_vulnerabilities", "vulnerability_threat_level",
]
IMG_SECTION = re.compile(r'<section[^>]*nodeleaf=""><img [^>]*></section>')


def manifest_sets(group, folder):
    """(group, set, [(name, bytes)], figures, left out) of a rendered folder (under the fixtures, or a path)."""
    d = os.path.join(FIXTURES, folder)
    with open(os.path.join(d, "manifest.json"), encoding="utf-8") as fh:
        sets = json.load(fh)
    return [
        (group, s["set"], [(f, open(os.path.join(d, f), "rb").read()) for f in s["files"]], s["figures"], s["left_out"])
        for s in sets
    ]


def site_pictures(page):
    """The section pictures of an image-site page that its server answers (200, at most 5 MiB)."""
    html = open(os.path.join(SITE, page), encoding="utf-8").read()
    start = html.find("本周网络安全基本态势")
    urls = re.findall(r'data-src="(https://mmbiz\.qpic\.cn[^"]+)"', html[start:]) if start >= 0 else []
    with open(os.path.join(SITE, "site.json"), encoding="utf-8") as fh:
        routes = json.load(fh)["routes"]
    out = []
    for u in list(dict.fromkeys(urls))[:12]:
        path = re.sub(r"^https://mmbiz\.qpic\.cn", "", u).split("?")[0]
        for r in routes:
            if r.get("path") == path:
                first = r["responses"][0]
                f = first.get("file")
                if first.get("status", 200) == 200 and f and os.path.getsize(os.path.join(SITE, f)) <= 5 << 20:
                    out.append((os.path.basename(f), open(os.path.join(SITE, f), "rb").read()))
                break
    return out


def image_site_sets():
    with open(os.path.join(SITE, "expected.json"), encoding="utf-8") as fh:
        pages = json.load(fh)["pages"]
    sets = []
    for page, e in sorted(pages.items()):
        want = {k: e["metrics"][k] for k in PICTURE_KEYS if k in e["metrics"]}
        sets.append(("image-site", os.path.basename(page), site_pictures(page), want, []))
    return sets


def degraded_sets(site_sets):
    try:
        from PIL import Image, ImageFilter
    except ImportError:
        print("degraded: skipped (no Pillow)", file=sys.stderr)
        return []
    _, _, pictures, want, _ = next(s for s in site_sets if s[1] == "2025-10.html")

    def png(img):
        out = io.BytesIO()
        img.save(out, "PNG")
        return out.getvalue()

    def jpeg25(img):
        out = io.BytesIO()
        img.convert("RGB").save(out, "JPEG", quality=25)
        return png(Image.open(io.BytesIO(out.getvalue())))

    ways = [
        ("half size", lambda i: png(i.resize((i.width // 2, i.height // 2), Image.BILINEAR))),
        ("blurred", lambda i: png(i.filter(ImageFilter.GaussianBlur(1.2)))),
        ("JPEG quality 25", jpeg25),
    ]
    sets = []
    for name, way in ways:
        pics = []
        for f, b in pictures:
            try:
                img = Image.open(io.BytesIO(b))
                img.load()
            except OSError:
                continue
            pics.append((os.path.splitext(f)[0] + ".png", way(img.convert("RGB"))))
        sets.append(("degraded", name, pics, want, []))
    return sets


class Pictures(http.server.BaseHTTPRequestHandler):
    """Serves /p/<n>/<name> from the table given at start: the bytes of picture n."""

    def __init__(self, table, *a, **kw):
        self.table = table
        super().__init__(*a, **kw)

    def do_GET(self):
        m = re.match(r"^/p/(\d+)/", self.path)
        body = self.table.get(int(m.group(1))) if m else None
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        kind = "image/jpeg" if body[:2] == b"\xff\xd8" else "image/png"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_):
        pass


def page_with(template, urls):
    """The template article with `urls` as the pictures of its 本周网络安全基本态势 section."""
    start = template.find("本周网络安全基本态势")
    end = template.find("本周事件处理情况", start)
    section = template[start:end]
    tags = "".join(
        f'<section style="text-align: center;" nodeleaf=""><img data-src="{u}" class="rich_pages wxw-img" '
        f'data-ratio="0.6" data-type="jpeg" data-w="1080" type="inline"></section>'
        for u in urls
    )
    first = IMG_SECTION.search(section)
    section = IMG_SECTION.sub("", section[: first.start()] + "\x00" + section[first.end():]).replace("\x00", tags)
    return template[:start] + section + template[end:]


def run(binary, sets, work):
    """Reads every set through `binary` (one `extract --ocr` for all); returns (rows, seconds)."""
    template = open(TEMPLATE, encoding="utf-8").read()
    table, pages = {}, []
    for n, (_, _, pictures, _, _) in enumerate(sets):
        urls = []
        for f, b in pictures:
            table[len(table)] = b
            urls.append(f"https://mmbiz.qpic.cn/p/{len(table) - 1}/{f}/640?wx_fmt=jpeg")
        page = os.path.join(work, f"set-{n}.html")
        open(page, "w", encoding="utf-8").write(page_with(template, urls))
        pages.append(page)
    config_text = open(os.path.join(ROOT, "config.yaml"), encoding="utf-8").read()
    config = os.path.join(work, "config.yaml")
    open(config, "w", encoding="utf-8").write(re.sub(r"(?m)^(\s*delay_ms:) \d+", r"\1 0", config_text))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Pictures, table))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        t = time.perf_counter()
        out = subprocess.run(
            [binary, "--config", config, "extract", "--ocr", "--base-url", f"mmbiz.qpic.cn={origin}/", *pages],
            capture_output=True, text=True, cwd=ROOT,
        )
        seconds = time.perf_counter() - t
    finally:
        server.shutdown()
    if out.returncode != 0:
        sys.exit(f"extract failed: {out.stderr}")
    records = [json.loads(l) for l in out.stdout.splitlines() if l.strip()]
    if len(records) != len(sets):
        sys.exit(f"{len(records)} records for {len(sets)} sets: {out.stderr}")
    rows = []
    for (group, name, pictures, want, left_out), rec in zip(sets, records):
        sources = rec.get("figure_sources", {})
        got = {k: v for k, v in rec.get("metrics", {}).items() if sources.get(k) == "ocr"}
        expected = [k for k in want if k not in left_out]
        right = [k for k in got if k in expected and got[k] == want[k]]
        wrong = [f"{k}={got[k]}" for k in got if k not in right]
        rows.append((group, name, len(pictures), len(right), len(expected), wrong))
    return rows, seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "debug", "cncert-feed"))
    ap.add_argument("--groups", default=",".join(GROUPS), help="comma-separated: " + ", ".join(GROUPS))
    ap.add_argument("--dir", action="append", default=[], help="a folder of pictures with a manifest.json")
    ap.add_argument("-v", action="store_true", help="a line for every set")
    args = ap.parse_args()
    groups = [g for g in args.groups.split(",") if g]
    if not os.path.exists(args.bin):
        sys.exit("build first: cargo build")
    site = image_site_sets()
    every = {
        "rendered": lambda: manifest_sets("rendered", "ocr-rendered"),
        "hard": lambda: manifest_sets("hard", "ocr-hard"),
        "image-site": lambda: site,
        "degraded": lambda: degraded_sets(site),
    }
    sets = [s for g in groups for s in every[g]()]
    for d in args.dir:
        sets += manifest_sets(os.path.basename(os.path.normpath(d)), os.path.abspath(d))
    work = tempfile.mkdtemp(prefix="cncert-ocr-accuracy-")
    try:
        rows, seconds = run(os.path.abspath(args.bin), sets, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    totals = {}
    for group, name, _, right, expected, wrong in rows:
        if args.v:
            print(f"{group}/{name}: {right} of {expected} read, {len(wrong)} wrong {' '.join(wrong)}".rstrip())
        t = totals.setdefault(group, [0, 0, 0])
        t[0], t[1], t[2] = t[0] + right, t[1] + expected, t[2] + len(wrong)
    for group, (right, expected, wrong) in totals.items():
        print(f"{group}: {right} of {expected} figures read ({100 * right / max(expected, 1):.0f}%), {wrong} wrong")
    right, expected, wrong = (sum(t[i] for t in totals.values()) for i in range(3))
    pictures = sum(r[2] for r in rows)
    print(f"overall: {right} of {expected} figures read ({100 * right / max(expected, 1):.0f}%), {wrong} wrong; "
          f"{pictures} pictures in {seconds:.1f} s ({seconds / max(pictures, 1):.2f} s a picture)")


if __name__ == "__main__":
    main()
