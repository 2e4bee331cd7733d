#!/usr/bin/env python3
"""Renders one short report text (the monitoring paragraphs of 2024年第43期, every figure of
DESIGN.md §3) through every PDF producer installed here, into tests/fixtures/producers/.

Producers (each skipped with a note when missing): Chromium --print-to-pdf, wkhtmltopdf,
WeasyPrint, LibreOffice (from .docx made with python-docx, from HTML, PDF/A), pango-view and
rsvg-convert (cairo), XeLaTeX (xeCJK),
fpdf2 with a CJK TrueType font (CIDFontType2/Identity-H), reportlab (embedded TrueType and the
non-embedded STSong-Light under UniGB-UCS2-H); rewriters of the LibreOffice file: Ghostscript
pdfwrite, qpdf (object streams, linearized, --qdf uncompressed, AES-256 and AES-128 with an empty
user password, the page overlaid on a blank page as a Form XObject), mutool clean; Ghostscript also rewrites the Chromium file.

Usage: python3 tests/tools/make_producer_pdfs.py [out_dir]
Needs: poppler-utils wkhtmltopdf chromium libreoffice-writer-nogui ghostscript qpdf mupdf-tools
pango1.0-tools librsvg2-bin texlive-xetex texlive-lang-chinese fonts-noto-cjk
fonts-wqy-zenhei (Debian), weasyprint fpdf2 reportlab python-docx (PyPI).
"""

import html
import os
import re
import shutil
import subprocess
import sys
import tempfile

TITLE = "网络安全信息与动态周报2024年第43期"
PERIOD = "2024年10月21日-2024年10月27日"
PARAGRAPHS = [
    "本周，互联网网络安全态势整体评价为良。我国互联网基础设施运行整体平稳，全国范围或省级行政区域内未发生造成重大影响的基础设施运行安全事件。",
    "本周境内感染网络病毒的主机数量约为23.8万个，其中包括境内被木马或被僵尸程序控制的主机约19.4万以及境内感染飞客（conficker）蠕虫的主机约4.4万。",
    "本周CNCERT监测发现境内被篡改网站数量为1097个；境内被植入后门的网站数量为772个；针对境内网站的仿冒页面数量为1049个。",
    "本周境内被篡改政府网站（GOV类）数量为21个（约占境内6.8%），较上周环比下降了14.7%；境内被植入后门的政府网站（GOV类）数量为4个（约占境内1.4%），较上周环比下降了20.0%。",
    "本周，国家信息安全漏洞共享平台（CNVD）新收录网络安全漏洞412个，信息安全漏洞威胁整体评价级别为低。",
    "本周，CNCERT协调云服务商、域名注册服务机构、应用商店、各省分中心以及国际合作组织共处理网络安全事件295起，含跨境网络安全事件140起。其中，协调境内外域名注册机构、境外CERT等机构重点处理253起仿冒投诉事件。协调16个提供恶意移动应用程序下载服务的平台开展移动互联网恶意代码处理工作，共处理传播移动互联网恶意代码的恶意URL链接18个。",
]
CJK_TTC = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"  # fonts-wqy-zenhei: TrueType, Latin and CJK
CJK_TTF = os.path.join(tempfile.mkdtemp(), "wqy-zenhei.ttf")


def cjk_ttf():
    """The first font of the WenQuanYi collection as a plain .ttf (fpdf2 and reportlab take no .ttc)."""
    if not os.path.exists(CJK_TTF):
        from fontTools.ttLib import TTCollection

        TTCollection(CJK_TTC).fonts[0].save(CJK_TTF)
    return CJK_TTF
FONT_FAMILY = "Noto Sans CJK SC"


def html_page():
    body = "".join(f"<p>{html.escape(p)}</p>\n" for p in PARAGRAPHS)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>周报</title>'
        f"<style>body{{font-family:'{FONT_FAMILY}',sans-serif;font-size:11pt;margin:1.5cm}}"
        "h1{font-size:16pt}@page{size:A4;margin:1cm}</style></head><body>\n"
        f"<h1>{html.escape(TITLE)}</h1>\n<p>{html.escape(PERIOD)}</p>\n{body}</body></html>\n"
    )


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, timeout=180, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited {r.returncode}: {r.stderr.decode(errors='replace')[-300:]}")


def chromium(src, out):
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not exe:
        raise RuntimeError("chromium not installed")
    run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
         f"--print-to-pdf={out}", "file://" + src["html"]])


def wkhtmltopdf(src, out):
    run(["wkhtmltopdf", "-q", "--encoding", "utf-8", src["html"], out])


def weasyprint(src, out):
    import weasyprint as wp

    wp.HTML(filename=src["html"]).write_pdf(out)


def libreoffice(src, out, input_key, filt):
    tmp = tempfile.mkdtemp()
    # HTML is imported as a Writer document: Writer/Web's own export drops the <h1> title.
    infilter = ["--infilter=HTML (StarWriter)"] if input_key == "html" else []
    run(["soffice", f"-env:UserInstallation=file://{tmp}/profile", "--headless", *infilter,
         "--convert-to", filt, "--outdir", tmp, src[input_key]])
    made = os.path.join(tmp, os.path.splitext(os.path.basename(src[input_key]))[0] + ".pdf")
    shutil.move(made, out)


def pango(src, out):
    run(["pango-view", "-q", f"--font={FONT_FAMILY} 10", "--width=500", "--wrap=word-char",
         "--margin=40", f"--output={out}", src["txt"]])


def fpdf2(src, out):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("cjk", fname=cjk_ttf())
    pdf.set_font("cjk", size=11)
    pdf.multi_cell(0, 7, TITLE + "\n" + PERIOD + "\n" + "\n".join(PARAGRAPHS))
    pdf.output(out)


def reportlab(src, out, cid):
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    if cid:
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        font = "STSong-Light"
    else:
        from reportlab.pdfbase.ttfonts import TTFont

        pdfmetrics.registerFont(TTFont("WenQuanYi", cjk_ttf()))
        font = "WenQuanYi"
    style = ParagraphStyle("cjk", fontName=font, fontSize=11, leading=16, wordWrap="CJK")
    doc = SimpleDocTemplate(out, pagesize=A4)
    doc.build([Paragraph(html.escape(t), style) for t in [TITLE, PERIOD] + PARAGRAPHS])


def xelatex(src, out):
    tmp = tempfile.mkdtemp()
    tex = os.path.join(tmp, "report.tex")
    body = "\n\n".join(PARAGRAPHS).replace("%", "\\%")
    with open(tex, "w", encoding="utf-8") as f:
        f.write("\\documentclass{article}\\usepackage{xeCJK}\\setCJKmainfont{" + FONT_FAMILY + "}\n"
                "\\begin{document}\n\\section*{" + TITLE + "}\n" + PERIOD + "\n\n" + body
                + "\n\\end{document}\n")
    run(["xelatex", "-interaction=nonstopmode", "-halt-on-error", "-output-directory", tmp, tex])
    shutil.move(os.path.join(tmp, "report.pdf"), out)


def wrap(text, width):
    """Lines of at most `width` characters, never broken inside a run of Latin letters or digits
    (a line breaker's rule for words and numbers)."""
    lines, line = [], ""
    tokens = re.findall(r"[A-Za-z0-9.%]+|.", text)
    for t in tokens:
        if line and len(line) + len(t) > width:
            lines.append(line)
            line = ""
        line += t
    return lines + [line] if line else lines


def rsvg(src, out):
    tmp = tempfile.mkdtemp()
    svg = os.path.join(tmp, "report.svg")
    lines = []
    for p in [TITLE, PERIOD] + PARAGRAPHS:
        lines += wrap(p, 36) + [""]
    texts = "".join(f'<text x="30" y="{40 + 18 * i}">{html.escape(t)}</text>\n' for i, t in enumerate(lines) if t)
    with open(svg, "w", encoding="utf-8") as f:
        f.write(f'<svg xmlns="http://www.w3.org/2000/svg" width="595" height="842" '
                f'font-family="{FONT_FAMILY}" font-size="14">\n{texts}</svg>\n')
    run(["rsvg-convert", "-f", "pdf", "-o", out, svg])


def gs(base):
    def f(src, out):
        run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", f"-sOutputFile={out}",
             src[base]])
    return f


def qpdf(base, *args):
    def f(src, out):
        run(["qpdf", *args, src[base], out])
    return f


def overlay(base):
    """The page drawn as a Form XObject on a blank page (what stamping and imposition tools do)."""
    def f(src, out):
        from reportlab.lib.pagesizes import A4
        from reportlab.pdfgen import canvas

        blank = os.path.join(tempfile.mkdtemp(), "blank.pdf")
        c = canvas.Canvas(blank, pagesize=A4)
        c.showPage()
        c.save()
        run(["qpdf", blank, "--overlay", src[base], "--", out])
    return f


def mutool(base):
    def f(src, out):
        run(["mutool", "clean", "-gg", src[base], out])
    return f


PRODUCERS = [
    ("chromium", chromium),
    ("wkhtmltopdf", wkhtmltopdf),
    ("weasyprint", weasyprint),
    ("libreoffice-docx", lambda s, o: libreoffice(s, o, "docx", "pdf")),
    ("libreoffice-html", lambda s, o: libreoffice(s, o, "html", "pdf:writer_pdf_Export")),
    ("libreoffice-pdfa", lambda s, o: libreoffice(
        s, o, "docx", 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}')),
    ("pango-cairo", pango),
    ("rsvg-cairo", rsvg),
    ("xelatex", xelatex),
    ("fpdf2-identity-h", fpdf2),
    ("reportlab-ttf", lambda s, o: reportlab(s, o, False)),
    ("reportlab-stsong-cid", lambda s, o: reportlab(s, o, True)),
    ("gs-pdfwrite", gs("libreoffice-docx")),
    ("gs-pdfwrite-chromium", gs("chromium")),
    ("qpdf-object-streams", qpdf("libreoffice-docx", "--object-streams=generate")),
    ("qpdf-linearize", qpdf("libreoffice-docx", "--linearize")),
    ("qpdf-qdf", qpdf("libreoffice-docx", "--qdf", "--object-streams=disable")),
    ("qpdf-aes256", qpdf("libreoffice-docx", "--encrypt", "", "owner", "256", "--")),
    ("qpdf-aes128", qpdf("libreoffice-docx", "--encrypt", "", "owner", "128", "--use-aes=y", "--")),
    ("qpdf-objstm-chromium", qpdf("chromium", "--object-streams=generate")),
    ("mutool-clean", mutool("libreoffice-docx")),
    ("qpdf-overlay-form", overlay("libreoffice-docx")),
    ("qpdf-overlay-form-chromium", overlay("chromium")),
]
MAX_BYTES = 500 * 1024


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "producers")
    os.makedirs(out_dir, exist_ok=True)
    work = tempfile.mkdtemp()
    src = {"html": os.path.join(work, "report.html"), "txt": os.path.join(work, "report.txt"),
           "docx": os.path.join(work, "report.docx")}
    with open(src["html"], "w", encoding="utf-8") as f:
        f.write(html_page())
    with open(src["txt"], "w", encoding="utf-8") as f:
        f.write("\n\n".join([TITLE, PERIOD] + PARAGRAPHS) + "\n")
    import docx

    d = docx.Document()
    d.add_heading(TITLE, level=1)
    for p in [PERIOD] + PARAGRAPHS:
        d.add_paragraph(p)
    d.save(src["docx"])
    for name, make in PRODUCERS:
        out = os.path.join(out_dir, name + ".pdf")
        try:
            make(src, out)
        except Exception as e:  # a missing producer is skipped, and said
            print(f"skip {name}: {e}", file=sys.stderr)
            continue
        size = os.path.getsize(out)
        if size > MAX_BYTES:
            print(f"drop {name}: {size} bytes", file=sys.stderr)
            os.remove(out)
            continue
        src[name] = out
        print(f"{name}: {size} bytes")


if __name__ == "__main__":
    main()
