#!/usr/bin/env python3
"""Crawl benchmark (issue 3): the 24-issue fixture crawl against fixture_server.py with a latency
per request (default 50 ms), concurrency 2 and no delay, compared with the latency bound
(requests × latency / concurrency).

    python3 benches/crawl_bench.py [--latency-ms 50]

The server is `benches/fixture_server.py` (the fixture server that serves `tests/fixtures/wechat-site`
as mp.weixin.qq.com would). The anti-crawler detour of 第41期 is retried without a backoff wait here
(retry_wait_ms: 0) so that the figure measures the crawler, not the politeness wait; the second
line repeats the run with the default 2 s wait for comparison.
"""
import argparse
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
SITE = os.path.join(ROOT, "tests", "fixtures", "wechat-site")
STARTS = [
    "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499621&idx=1&sn=c2f01a610aa4c94e22f5246ea639f219",
    "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247483656&idx=1&sn=b41171e4e4e07012055167ef019f320f",
]


def run(origin, latency, retry_wait, tmp):
    config = open(os.path.join(ROOT, "config.yaml"), encoding="utf-8").read()
    config = re.sub(r"retry_wait_ms: \d+", f"retry_wait_ms: {retry_wait}", config)
    config = re.sub(r"concurrency: \d+", "concurrency: 2", config)
    cfg = os.path.join(tmp, f"config-{retry_wait}.yaml")
    open(cfg, "w", encoding="utf-8").write(config)
    log = os.path.join(tmp, f"requests-{retry_wait}.log")
    data = os.path.join(tmp, f"data-{retry_wait}")
    cmd = [BIN, "--config", cfg, "-q", "crawl", "--base-url", origin, "--delay-ms", "0", "--backfill", "--data", data]
    for s in STARTS:
        cmd += ["--start", s]
    t = time.perf_counter()
    subprocess.run(cmd, check=False)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--latency-ms", type=int, default=50)
    ap.add_argument("--server", default=os.path.join(ROOT, "benches", "fixture_server.py"))
    args = ap.parse_args()
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    tmp = tempfile.mkdtemp(prefix="cncert-crawl-")
    try:
        for retry_wait in (0, 2000):
            log = os.path.join(tmp, f"requests-{retry_wait}.log")
            srv = subprocess.Popen([sys.executable, args.server, SITE, "--port", "0", "--latency-ms", str(args.latency_ms),
                                    "--log", log], stdout=subprocess.PIPE, text=True)
            origin = srv.stdout.readline().strip().split()[-1]
            try:
                dt = run(origin, args.latency_ms, retry_wait, tmp)
            finally:
                srv.terminate()
                srv.wait()
            requests = [json.loads(l) for l in open(log, encoding="utf-8")]
            bound = len(requests) * args.latency_ms / 1000 / 2
            print(f"retry_wait_ms={retry_wait}: {len(requests)} requests, {dt:.3f} s; latency bound {bound:.3f} s; "
                  f"ratio {dt / bound:.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
