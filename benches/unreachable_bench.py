#!/usr/bin/env python3
"""Hosts that cannot be reached (issue 19, item 1): wall time and exit code of `cncert-feed build`
over the image fixture (three issues whose figures are in pictures) when the picture host and the
website do not resolve, with the default fetch settings (delay, retries, backoff) of config.yaml.

    cargo build --release && python3 benches/unreachable_bench.py [BIN]

The article pages are served on loopback by `benches/fixture_server.py` in place of
mp.weixin.qq.com; mmbiz.qpic.cn and www.cert.org.cn are not mapped, so every request to them is a
DNS failure here (no network). Each host is given up after three connection failures in a row;
its other requests are not sent. Prints the wall time, the exit code and the summary's lines about
unreachable hosts. Needs `tesseract` with `chi_sim` for the pictures pass to start at all.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGES = os.path.join(ROOT, "tests", "fixtures", "image-site")


def site(tmp):
    """The image fixture with its article pages routed as WeChat serves them."""
    expected = json.load(open(os.path.join(IMAGES, "expected.json"), encoding="utf-8"))
    routes, starts = [], []
    for file, want in expected["pages"].items():
        url = urllib.parse.urlsplit(want["url"])
        query = dict(urllib.parse.parse_qsl(url.query))
        routes.append({"path": "/s", "query": query, "responses": [
            {"status": 200, "file": file, "headers": {"Content-Type": "text/html; charset=utf-8"}}]})
        starts.append(want["url"])
    d = os.path.join(tmp, "site")
    os.symlink(os.path.join(IMAGES, "pages"), os.path.join(tmp, "pages"))
    os.makedirs(d)
    os.symlink(os.path.join(IMAGES, "pages"), os.path.join(d, "pages"))
    json.dump({"routes": routes}, open(os.path.join(d, "site.json"), "w"))
    return d, starts


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "release", "cncert-feed")
    with tempfile.TemporaryDirectory() as tmp:
        d, starts = site(tmp)
        srv = subprocess.Popen([sys.executable, os.path.join(ROOT, "benches", "fixture_server.py"), d,
                                "--port", "0"], stdout=subprocess.PIPE, text=True)
        origin = srv.stdout.readline().strip().split()[-1]
        try:
            cmd = [binary, "--config", os.path.join(ROOT, "config.yaml"), "build", "--backfill",
                   "--base-url", f"mp.weixin.qq.com={origin}/",
                   "--data", os.path.join(tmp, "data"), "--out", os.path.join(tmp, "public")]
            for s in starts:
                cmd += ["--start", s]
            t = time.monotonic()
            out = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp)
            wall = time.monotonic() - t
        finally:
            srv.terminate()
            srv.wait()
        print(f"{binary}: build over {len(starts)} issues with mmbiz.qpic.cn and www.cert.org.cn unreachable")
        print(f"wall {wall:.1f} s, exit {out.returncode}")
        for line in out.stderr.splitlines():
            if "unreachable" in line or line.startswith(("summary:", "warning:")):
                print("  " + line[:200])


if __name__ == "__main__":
    main()
