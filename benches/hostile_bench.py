#!/usr/bin/env python3
"""Hostile-markup benchmark (issue 10): `cncert-feed extract` over article pages whose body is
adversarial markup of 1 MB and 4 MB (80,000 tiny <style> elements per MB, tiny elements, unclosed
comments, deep nesting, many attributes, <script> blocks). Work must grow linearly with size:
for each kind the 4 MB page may take at most 4.5x the 1 MB page (plus a 20 ms allowance for
process start). Prints a table and exits 1 when a kind is not linear.

Website detail pages (issue 19.3): the same check for deep nesting (read flat, without a tree) and
for pages nested just under the flat reader's limit (500 deep, then tiny paragraphs: the tree's
worst case), at 1, 4 and 10 MiB, and the page of 100,000 nested <div> of the issue. `--old BIN`
times that page with another build too (the tree reader took 40 s on it).

    python3 benches/hostile_bench.py [--repeat 3] [--old path/to/old/cncert-feed]

Needs a release build (`cargo build --release`).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "cncert-feed")
TITLE = "网络安全信息与动态周报2024年第43期（10月21日-10月27日）"
TEXT = "<p>本周，互联网网络安全态势整体评价为良。共处理网络安全事件295起，含跨境网络安全事件140起。</p>"

MB = 1 << 20

KINDS = {
    # 80,000 <style> elements make one MB: each used to copy the rest of the body.
    "tiny <style> x80k/MB": lambda: "<style></style>",
    "tiny <script>": lambda: "<script>;</script>",
    "tiny elements": lambda: "<span>a</span>",
    "unclosed comments": lambda: "<p>x</p><!-- ",
    "deep nesting": lambda: "<div>",
    "many attributes": lambda: '<span a="1" b="2" c="3" d="4">x</span>',
    "mismatched tags": lambda: "<b><i>x</b></i>",
}


def page(unit, size):
    body = unit * max(1, (size - len(TEXT)) // len(unit.encode()))
    return (
        "<html><head><script>var msg_title = '" + TITLE + "'.html(false);</script></head><body>"
        '<div id="js_content">' + TEXT + body + "</div></body></html>"
    ).encode()


WEBSITE_KINDS = {
    "deep nesting": ("", "<div>"),
    "500 deep, then <p>": ("<div>" * 500, "<p>x</p>"),
    "tiny elements": ("", "<span>a</span>"),
}


def website_page(prefix, unit, size):
    head = (
        '<html><head><meta charset="utf-8"></head><body>'
        '<h2 class="artil_tit">网络安全信息与动态周报-2024年第43期</h2>'
        '<div class="artil_art">来源：CNCERT　时间：2024-10-31</div><div class="artil_content">'
        + prefix + TEXT + '<a href="/upload/File/43.pdf">pdf</a>'
    )
    n = max(1, (size - len(head.encode())) // len(unit.encode()))
    return (head + unit * n).encode()


def timed(path, repeat, binary=BIN):
    best = None
    for _ in range(repeat):
        t = time.perf_counter()
        r = subprocess.run([binary, "extract", path], capture_output=True)
        dt = time.perf_counter() - t
        if r.returncode != 0:
            sys.exit(f"extract failed on {path}: {r.stderr.decode()[:400]}")
        best = dt if best is None else min(best, dt)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--old", help="another build to time on the 100,000-div website page")
    args = ap.parse_args()
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'markup':28} {'1 MB ms':>9} {'4 MB ms':>9} {'ms/MB@4':>9} {'ratio':>7}")
        for name, unit in KINDS.items():
            times = []
            for mb in (1, 4):
                path = os.path.join(tmp, f"{name.split()[0]}-{mb}.html")
                with open(path, "wb") as fh:
                    fh.write(page(unit(), mb * MB))
                times.append(timed(path, args.repeat))
            ratio = times[1] / times[0]
            linear = times[1] <= 4.5 * times[0] + 0.020
            ok &= linear
            print(
                f"{name:28} {times[0] * 1000:9.1f} {times[1] * 1000:9.1f} {times[1] * 250:9.1f} {ratio:7.2f}"
                + ("" if linear else "  NOT LINEAR")
            )
        ok &= website(tmp, args)
    sys.exit(0 if ok else 1)


def website(tmp, args):
    """Website detail pages: linear in size, and the issue's 100,000-div page."""
    ok = True
    print()
    print(f"{'website detail page':28} {'1 MiB ms':>9} {'4 MiB ms':>9} {'10 MiB ms':>10} {'ratio':>7}")
    for name, (prefix, unit) in WEBSITE_KINDS.items():
        times = []
        for mb in (1, 4, 10):
            path = os.path.join(tmp, f"website-{name.split()[0]}-{mb}.html")
            with open(path, "wb") as fh:
                fh.write(website_page(prefix, unit, mb * MB))
            times.append(timed(path, args.repeat))
        ratio = times[1] / times[0]
        linear = times[1] <= 4.5 * times[0] + 0.020
        ok &= linear
        print(
            f"{name:28} {times[0] * 1000:9.1f} {times[1] * 1000:9.1f} {times[2] * 1000:10.1f} {ratio:7.2f}"
            + ("" if linear else "  NOT LINEAR")
        )
    path = os.path.join(tmp, "website-100k-divs.html")
    with open(path, "wb") as fh:
        fh.write(website_page("", "<div>\n", len("<div>\n") * 100_000 + 400))
    size = os.path.getsize(path) / MB
    new = timed(path, args.repeat)
    line = f"100,000 nested <div> ({size:.1f} MiB): this build {new * 1000:.1f} ms"
    if args.old:
        line += f", {args.old}: {timed(path, 1, args.old) * 1000:.1f} ms"
    print(line)
    return ok


if __name__ == "__main__":
    main()
