#!/usr/bin/env python3
"""Renders the pictures of tests/fixtures/ocr-hard/: the HARD set of issue 21. Report pictures as
CNCERT's WeChat articles have them (a dashboard 本周网络安全态势 / 指标 | 本周数量 | 较上周 with
coloured arrows, and the paragraphs of 本周网络安全基本态势 in the reports' own wording, wrapped
at the picture's width so that a number may be split from its unit), in serif faces (AR PL UMing,
Noto Serif CJK SC, AR PL SungtiL GB) at 24–34 px, on tinted backgrounds (pale blue, yellow, grey,
a light gradient), slightly blurred (Gaussian radius 0.5–1.0) and saved as JPEG at quality
60–70. Each set is one issue's pictures; its figures are in manifest.json. One set states another
defaced count in its paragraph than in its dashboard: that figure must be left out.

The pictures are committed, so the tests need neither the fonts nor Pillow. To render them again:
    apt-get install fonts-arphic-uming fonts-noto-cjk fonts-arphic-gbsn00lp
    pip install pillow
    python3 tests/tools/render_hard_pictures.py
"""
import json
import os
import random
import re

from PIL import Image, ImageDraw, ImageFilter, ImageFont

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "ocr-hard")
# name: (file, face index in the collection)
FONTS = {
    "uming": ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    "notoserif": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    "gbsn": ("/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf", 0),
}
BACKGROUNDS = {
    "blue": ((236, 243, 251), None),
    "yellow": ((252, 248, 227), None),
    "grey": ((236, 236, 236), None),
    # top to bottom
    "gradient": ((255, 255, 255), (226, 236, 248)),
}
# Punctuation a line never starts with.
CLOSING = set("，。；：、）%")
TEXT = (51, 51, 51)
RED = (200, 30, 30)
GREEN = (30, 140, 60)


def font(name, size):
    path, index = FONTS[name]
    return ImageFont.truetype(path, size, index=index)


def wan(n):
    return f"{n / 10000:.1f}万".replace(".0万", "万")


def canvas(w, h, bg):
    top, bottom = BACKGROUNDS[bg]
    img = Image.new("RGB", (w, h), top)
    if bottom:
        d = ImageDraw.Draw(img)
        for y in range(h):
            t = y / max(h - 1, 1)
            d.line([(0, y), (w, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom)))
    return img


def wrap(text, f, width):
    """Lines of `text` no wider than `width` pixels, broken as the reports' pictures are: between
    two Chinese characters, never inside a number or a Latin word (a number may end one line and
    its unit start the next), and never before closing punctuation (it stays at the line's end)."""
    tokens = re.findall(r"[A-Za-z0-9.%]+|.", text)
    lines, line = [], ""
    for tok in tokens:
        if line and f.getlength(line + tok) > width and tok not in CLOSING:
            lines.append(line)
            line = ""
        line += tok
    if line:
        lines.append(line)
    return lines


def paragraph(text, style):
    f = font(style["font"], style["size"])
    size, pad = style["size"], style["size"]
    lines = wrap(text, f, style["chars"] * size)
    w = style["chars"] * size + 2 * pad
    step = int(size * 1.75)
    img = canvas(w, len(lines) * step + 2 * pad - (step - size), style["bg"])
    d = ImageDraw.Draw(img)
    for i, l in enumerate(lines):
        d.text((pad, pad + i * step), l, font=f, fill=TEXT)
    return img


def dashboard(m, style):
    size = style["size"]
    f = font(style["font"], size)
    rows = [
        ("境内感染网络病毒的主机数", wan(m["infected_hosts"])),
        ("境内被篡改网站总数", str(m["defaced_sites"])),
        ("其中政府网站数", str(m["defaced_gov_sites"])),
        ("境内被植入后门网站总数", str(m["backdoor_sites"])),
        ("其中政府网站数", str(m["backdoor_gov_sites"])),
        ("针对境内网站的仿冒页面数", str(m["phishing_pages"])),
        ("新增信息安全漏洞数", str(m["new_vulnerabilities"])),
    ]
    rng = random.Random(m["infected_hosts"])
    cols = [size * 13, size * 5, size * 5]
    pad = size
    row_h = int(size * 2.2)
    w = sum(cols) + 2 * pad
    h = pad + int(size * 1.8) + row_h * (len(rows) + 1) + pad
    img = canvas(w, h, style["bg"])
    d = ImageDraw.Draw(img)
    d.text((pad, pad), f"本周网络安全态势：{m['assessment']}", font=font(style["font"], int(size * 1.2)), fill=RED)
    top = pad + int(size * 1.8)
    d.rectangle([pad // 2, top, w - pad // 2, top + row_h], fill=(222, 232, 246))
    x = pad
    for cell, cw, colour in zip(("指标", "本周数量", "较上周"), cols, (TEXT, TEXT, GREEN)):
        d.text((x, top + (row_h - size) // 2), cell, font=f, fill=colour)
        x += cw
    for i, (label, value) in enumerate(rows):
        y = top + row_h * (i + 1)
        d.line([(pad // 2, y), (w - pad // 2, y)], fill=(200, 206, 214), width=1)
        up = rng.random() < 0.5
        change = f"{'↑' if up else '↓'}{rng.uniform(1, 40):.1f}%"
        x = pad
        for cell, cw, colour in zip((label, value, change), cols, (TEXT, TEXT, RED if up else GREEN)):
            d.text((x, y + (row_h - size) // 2), cell, font=f, fill=colour)
            x += cw
    d.rectangle([pad // 2, top, w - pad // 2, top + row_h * (len(rows) + 1)], outline=(200, 206, 214))
    return img


def paragraphs(m, over, rng):
    gov_share = f"{rng.uniform(0.5, 3):.1f}%"
    bd_share = f"{rng.uniform(0.5, 3):.1f}%"
    domains = rng.randint(80, 400)
    ips = rng.randint(30, 200)
    return [
        f"本周境内感染网络病毒的主机数量约为{wan(m['infected_hosts'])}个，其中包括境内被木马或被僵尸程序控制的主机约"
        f"{wan(m['trojan_botnet_hosts'])}以及境内感染飞客（conficker）蠕虫的主机约{wan(m['conficker_hosts'])}。",
        f"本周CNCERT监测发现境内被篡改网站数量为{over.get('defaced', m['defaced_sites'])}个；境内被植入后门的网站数量为"
        f"{m['backdoor_sites']}个；针对境内网站的仿冒页面数量为{m['phishing_pages']}个。",
        f"本周境内被篡改政府网站（GOV类）数量为{m['defaced_gov_sites']}个（约占境内{gov_share}）；境内被植入后门的政府网站"
        f"（GOV类）数量为{m['backdoor_gov_sites']}个（约占境内{bd_share}）；针对境内网站的仿冒页面涉及域名{domains}个，"
        f"IP地址{ips}个，平均每个IP地址承载了约{max(1, m['phishing_pages'] // ips)}个仿冒页面。",
        f"本周，国家信息安全漏洞共享平台（CNVD）新收录网络安全漏洞{m['new_vulnerabilities']}个，信息安全漏洞威胁整体评价"
        f"级别为{m['vulnerability_threat_level']}。",
    ]


def figures(rng):
    """One issue's figures: the hosts add up exactly in 万 to one decimal, as the reports' do."""
    trojan = rng.randint(90, 260) * 1000
    conficker = rng.randint(30, 95) * 1000
    return dict(
        infected_hosts=trojan + conficker,
        trojan_botnet_hosts=trojan,
        conficker_hosts=conficker,
        defaced_sites=rng.randint(600, 5600),
        defaced_gov_sites=rng.randint(8, 70),
        backdoor_sites=rng.randint(300, 2000),
        backdoor_gov_sites=rng.randint(5, 30),
        phishing_pages=rng.randint(40, 1600),
        new_vulnerabilities=rng.randint(180, 420),
        vulnerability_threat_level=rng.choice("中中中低高"),
    )


# name, font, size, characters a paragraph line, background, blur radius, JPEG quality,
# paragraph overrides (an inconsistency), what must be left out
SETS = [
    ("uming-24-blue-q60", "uming", 24, 26, "blue", 0.5, 60, {}, []),
    ("notoserif-26-yellow-q65", "notoserif", 26, 24, "yellow", 0.7, 65, {}, []),
    ("gbsn-28-grey-q70", "gbsn", 28, 23, "grey", 0.8, 70, {}, []),
    ("uming-30-gradient-q65", "uming", 30, 22, "gradient", 1.0, 65, {}, []),
    ("notoserif-32-grey-q60", "notoserif", 32, 21, "grey", 1.0, 60, {}, []),
    ("gbsn-34-blue-q60", "gbsn", 34, 20, "blue", 0.6, 60, {}, []),
    ("notoserif-24-gradient-q70", "notoserif", 24, 27, "gradient", 0.9, 70, {}, []),
    ("uming-34-yellow-q70", "uming", 34, 20, "yellow", 0.8, 70, {}, []),
    # The paragraph states another defaced count than the dashboard: left out, never taken.
    ("gbsn-26-gradient-q65-disagree", "gbsn", 26, 24, "gradient", 0.7, 65, {"defaced": None}, ["defaced_sites"]),
]


def save(img, name, blur, quality):
    img = img.filter(ImageFilter.GaussianBlur(blur))
    path = os.path.join(OUT, name + ".jpg")
    img.save(path, "JPEG", quality=quality, optimize=True)
    return os.path.basename(path)


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = []
    for n, (name, face, size, chars, bg, blur, quality, over, left_out) in enumerate(SETS):
        rng = random.Random(2100 + n)
        m = figures(rng)
        m_dash = dict(m, assessment=rng.choice("良良良优中"))
        if "defaced" in over:
            # A transposed or changed digit: what a mislabelled figure in a report looks like.
            over = {"defaced": m["defaced_sites"] + 45}
        style = dict(font=face, size=size, chars=chars, bg=bg)
        files = [save(dashboard(m_dash, style), f"{name}-dashboard", blur, quality)]
        for i, p in enumerate(paragraphs(m, over, rng)):
            files.append(save(paragraph(p, style), f"{name}-p{i + 1}", blur, quality))
        manifest.append({"set": name, "files": files, "figures": m, "left_out": left_out})
    with open(os.path.join(OUT, "manifest.json"), "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
