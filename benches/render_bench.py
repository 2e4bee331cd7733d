#!/usr/bin/env python3
"""Render benchmark (issue 4): a generated archive of N issues (default 10,000, each with a
real-size sanitized body taken from the fixtures), then `cncert-feed render` into a fresh
directory and again over the unchanged output. Prints wall time and peak memory.

    python3 benches/render_bench.py [--issues 10000]

Needs a release build (`cargo build --release`).
"""
import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "cncert-feed")
PAGE = os.path.join(ROOT, "tests", "fixtures", "wechat-site", "pages", "2024-43.html")


def body():
    html = open(PAGE, encoding="utf-8").read()
    start = html.index('<div class="rich_media_content')
    end = html.index('<p style="display: none;">', start)
    return re.sub(r"<script.*?</script>", "", html[start:end], flags=re.S) + "</div>"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--issues", type=int, default=10000)
    args = ap.parse_args()
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    tmp = tempfile.mkdtemp(prefix="cncert-render-")
    try:
        data = os.path.join(tmp, "data")
        content = body()
        start = datetime.date(1830, 1, 4)
        tz = datetime.timezone(datetime.timedelta(hours=8))
        per_year = {}
        for i in range(args.issues):
            ps = start + datetime.timedelta(weeks=i)
            pe = ps + datetime.timedelta(days=6)
            year = ps.year
            per_year[year] = issue = per_year.get(year, 0) + 1
            pub = datetime.datetime(pe.year, pe.month, pe.day, 17, 30, tzinfo=tz) + datetime.timedelta(days=4)
            entry = {
                "kind": "report", "series": "cncert-weekly", "year": year, "issue": issue,
                "url": f"https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid={2247400000 + i}&idx=1&sn={i:032x}",
                "title": f"网络安全信息与动态周报{year}年第{issue}期（{ps.month}月{ps.day}日-{pe.month}月{pe.day}日）",
                "period_start": ps.isoformat(), "period_end": pe.isoformat(), "published": pub.isoformat(),
                "assessment": "良优中"[i % 3],
                "metrics": {"incidents_handled": 300 + i % 97, "incidents_cross_border": 120 + i % 41,
                            "phishing_complaints": 250 + i % 53, "malicious_app_platforms": 10 + i % 9,
                            "malicious_urls": 15 + i % 31},
                "previous": [], "source": "page", "first_seen": pub.isoformat(), "fetched_at": pub.isoformat(),
                "updated": pub.isoformat(), "content_html": content,
            }
            d = os.path.join(data, "cncert-weekly", str(year))
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, f"{issue}.json"), "w", encoding="utf-8") as fh:
                json.dump(entry, fh, ensure_ascii=False, indent=2, sort_keys=True)
        size = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(data) for f in fs)
        files = sum(len(fs) for _, _, fs in os.walk(data))
        print(f"archive: {files} issues, {size / 1e6:.0f} MB")
        out = os.path.join(tmp, "public")
        for label in ("render into an empty directory", "render again, nothing changed"):
            t = time.perf_counter()
            r = subprocess.run(["/usr/bin/time", "-f", "%M", BIN, "--config", os.path.join(ROOT, "config.yaml"),
                                "render", "--data", data, "--out", out], capture_output=True, text=True, check=True)
            dt = time.perf_counter() - t
            peak = int(r.stderr.strip().splitlines()[-1]) / 1024
            print(f"{label}: {dt:.3f} s, peak memory {peak:.0f} MiB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
