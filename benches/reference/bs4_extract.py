#!/usr/bin/env python3
"""Reference for the benchmark: what a BeautifulSoup + lxml scraper does for the same job
(title, canonical URL, time, body text, the five current metrics, recap links), one JSON line per file."""
import json
import re
import sys

from bs4 import BeautifulSoup

PATTERNS = {
    "incidents_handled": r"共处理(?:了)?网络安全事件\s*(\d+)\s*起",
    "incidents_cross_border": r"(?:含|其中)跨境网络安全事件\s*(\d+)\s*起",
    "phishing_complaints": r"重点处理(?:了)?\s*(\d+)\s*起(?:网页)?仿冒投诉",
    "malicious_app_platforms": r"协调\s*(\d+)\s*个提供恶意移动应用程序下载服务的平台",
    "malicious_urls": r"恶意\s*代码的恶意URL链(?:接)?\s*(\d+)\s*个",
}

for path in sys.argv[1:]:
    with open(path, "rb") as fh:
        soup = BeautifulSoup(fh.read(), "lxml")
    og = soup.find("meta", property="og:title")
    title = og["content"] if og else ""
    body = soup.find(id="js_content")
    text = body.get_text("") if body else ""
    ct = re.search(r'var ct = "(\d+)"', str(soup))
    metrics = {k: int(m.group(1)) for k, p in PATTERNS.items() if (m := re.search(p, text))}
    links = [a.get("href") for a in (body.find_all("a") if body else []) if "周报" in a.get_text()]
    print(json.dumps({"title": title, "ct": ct and ct.group(1), "metrics": metrics, "previous": links}, ensure_ascii=False))
