#!/usr/bin/env python3
"""Renders the pictures of tests/fixtures/ocr-rendered/: report pictures like CNCERT's (a
dashboard 指标 | 本周数量 | 较上周, and the paragraphs of 本周网络安全基本态势 as images), in other
fonts (WenQuanYi Micro Hei and Zen Hei, AR PL UMing and UKai), sizes, JPEG quality and blur, with
figures written in manifest.json. Some sets are inconsistent on purpose (a conficker count that
does not add up; a dashboard and a paragraph that disagree).

The pictures are committed, so the tests need neither the fonts nor Pillow. To render them again:
    apt-get install fonts-wqy-microhei fonts-wqy-zenhei fonts-arphic-ukai fonts-arphic-uming
    pip install pillow
    python3 tests/tools/render_pictures.py
"""
import json
import os

from PIL import Image, ImageDraw, ImageFilter, ImageFont

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "ocr-rendered")
FONTS = {
    "microhei": "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "zenhei": "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "uming": "/usr/share/fonts/truetype/arphic/uming.ttc",
    "ukai": "/usr/share/fonts/truetype/arphic/ukai.ttc",
}


def wan(n):
    return f"{n / 10000:.1f}万".replace(".0万", "万")


def lines_of(text, per_line):
    return [text[i:i + per_line] for i in range(0, len(text), per_line)]


def draw_lines(lines, font, size, width=None, rows=None):
    f = ImageFont.truetype(FONTS[font], size)
    pad = size
    w = width or int(max(f.getlength(l) for l in lines) + 2 * pad)
    h = int(len(lines) * size * 1.6 + 2 * pad)
    img = Image.new("RGB", (w, h), (255, 255, 255))
    d = ImageDraw.Draw(img)
    y = pad
    for l in lines:
        if rows and isinstance(l, tuple):
            x = pad
            for cell, cw in zip(l, rows):
                d.text((x, y), cell, font=f, fill=(30, 30, 30))
                x += cw
        else:
            d.text((pad, y), l, font=f, fill=(30, 30, 30))
        y += int(size * 1.6)
    return img


def dashboard(m, font, size):
    rows = [
        ("境内感染网络病毒的主机数", wan(m["infected_hosts"]), "↓5.2%"),
        ("境内被篡改网站总数", str(m["defaced_sites"]), "↑7.9%"),
        ("其中政府网站数", str(m["defaced_gov_sites"]), "↑26.3%"),
        ("境内被植入后门网站总数", str(m["backdoor_sites"]), "↑3.1%"),
        ("其中政府网站数", str(m["backdoor_gov_sites"]), "↓6.8%"),
        ("针对境内网站的仿冒页面数", str(m["phishing_pages"]), "↓12.8%"),
        ("新增信息安全漏洞数", str(m["new_vulnerabilities"]), "↓15.0%"),
    ]
    widths = [size * 14, size * 6, size * 5]
    lines = [("指标", "本周数量", "较上周")] + rows
    return draw_lines(lines, font, size, width=sum(widths) + 2 * size, rows=widths)


def paragraphs(m, p):
    return [
        f"本周境内感染网络病毒的主机数量约为{wan(m['infected_hosts'])}个，其中包括境内被木马或被僵尸程序控制的主机约{wan(p.get('trojan', m['trojan_botnet_hosts']))}以及境内感染飞客（conficker）蠕虫的主机约{wan(p.get('conficker', m['conficker_hosts']))}。",
        f"本周CNCERT监测发现境内被篡改网站数量为{p.get('defaced', m['defaced_sites'])}个；境内被植入后门的网站数量为{m['backdoor_sites']}个；针对境内网站的仿冒页面数量为{m['phishing_pages']}个。",
        f"本周境内被篡改政府网站（GOV类）数量为{m['defaced_gov_sites']}个（约占境内1.5%）；境内被植入后门的政府网站（GOV类）数量为{m['backdoor_gov_sites']}个（约占境内1.3%）。",
        f"本周，国家信息安全漏洞共享平台（CNVD）新收录网络安全漏洞{m['new_vulnerabilities']}个，信息安全漏洞威胁整体评价级别为{m['vulnerability_threat_level']}。",
    ]


SETS = [
    # name, font, size, degrade, figures, paragraph overrides (inconsistencies), what must be left out
    ("microhei-24", "microhei", 24, None,
     dict(infected_hosts=184000, trojan_botnet_hosts=113000, conficker_hosts=71000, defaced_sites=1865,
          defaced_gov_sites=28, backdoor_sites=717, backdoor_gov_sites=9, phishing_pages=187,
          new_vulnerabilities=284, vulnerability_threat_level="中"), {}, []),
    ("uming-30-jpeg40", "uming", 30, "jpeg",
     dict(infected_hosts=248000, trojan_botnet_hosts=180000, conficker_hosts=68000, defaced_sites=2328,
          defaced_gov_sites=60, backdoor_sites=1356, backdoor_gov_sites=26, phishing_pages=746,
          new_vulnerabilities=305, vulnerability_threat_level="低"), {}, []),
    ("ukai-28-blur", "ukai", 28, "blur",
     dict(infected_hosts=206000, trojan_botnet_hosts=123000, conficker_hosts=83000, defaced_sites=1042,
          defaced_gov_sites=44, backdoor_sites=643, backdoor_gov_sites=19, phishing_pages=457,
          new_vulnerabilities=341, vulnerability_threat_level="高"), {}, []),
    # The paragraph's conficker count does not add up to the infected hosts.
    ("zenhei-26-bad-sum", "zenhei", 26, None,
     dict(infected_hosts=232000, trojan_botnet_hosts=162000, conficker_hosts=70000, defaced_sites=2219,
          defaced_gov_sites=33, backdoor_sites=1383, backdoor_gov_sites=15, phishing_pages=60,
          new_vulnerabilities=325, vulnerability_threat_level="中"),
     {"conficker": 90000}, ["trojan_botnet_hosts", "conficker_hosts"]),
    # The paragraph states another defaced count than the dashboard (a mislabelled figure).
    ("microhei-22-disagree", "microhei", 22, None,
     dict(infected_hosts=216000, trojan_botnet_hosts=171000, conficker_hosts=45000, defaced_sites=5072,
          defaced_gov_sites=34, backdoor_sites=1991, backdoor_gov_sites=26, phishing_pages=590,
          new_vulnerabilities=349, vulnerability_threat_level="中"),
     {"defaced": 5027}, ["defaced_sites"]),
]


def save(img, name, degrade):
    if degrade == "blur":
        img = img.filter(ImageFilter.GaussianBlur(0.8))
    if degrade == "jpeg":
        path = os.path.join(OUT, name + ".jpg")
        img.save(path, "JPEG", quality=40)
    else:
        path = os.path.join(OUT, name + ".png")
        img.save(path, "PNG", optimize=True)
    return os.path.basename(path)


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = []
    for name, font, size, degrade, m, over, left_out in SETS:
        files = [save(dashboard(m, font, size), f"{name}-dashboard", degrade)]
        for i, p in enumerate(paragraphs(m, over)):
            files.append(save(draw_lines(lines_of(p, 22), font, size), f"{name}-p{i + 1}", degrade))
        manifest.append({"set": name, "files": files, "figures": m, "left_out": left_out})
    with open(os.path.join(OUT, "manifest.json"), "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
