//! Figures from pictures. Since 2021 the monitoring figures of an issue are only in the pictures
//! of its 本周网络安全基本态势 section. This stage picks those pictures, prepares each for OCR in
//! Rust (grayscale, scaled up, binarized), reads it with Tesseract's Simplified Chinese model
//! (the `tesseract` command), and reads figures from the text with the series' patterns.
//!
//! A figure read from a picture is a guess until it is checked ([`figures_from_pictures`]): it
//! is taken only when it was read twice with the same value (the dashboard and the paragraph
//! state most figures twice), or when a rule ties it to figures that were (trojan/botnet +
//! conficker = infected hosts), or when it is a rating. Everything else is left out with a
//! warning naming the picture: a missing figure is a known limit, a wrong one a bug.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::config::{MetricKind, Series};
use crate::extract::{FigureMatch, find_figures, paragraphs_with};
use crate::report::MetricValue;

/// At most this many pictures are read per issue.
pub const MAX_IMAGES: usize = 12;
/// Pictures larger than this are skipped with a note.
pub const MAX_IMAGE_BYTES: u64 = 5 * 1024 * 1024;
/// One picture's OCR may take this long before it is given up.
pub const OCR_TIME_LIMIT: Duration = Duration::from_secs(60);

/// The text read from one picture, kept in the archive so that it is never read twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PictureText {
    /// The picture's URL (as the article gives it).
    pub url: String,
    /// SHA-256 of the picture's bytes (hex), empty when it could not be fetched.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sha256: String,
    /// What OCR read.
    #[serde(default)]
    pub text: String,
    /// Why there is no text (404, too large, not a picture), when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl PictureText {
    /// Whether this entry stands for a PDF whose pictures were read (not a picture itself).
    pub fn is_pdf_record(&self, all: &[PictureText]) -> bool {
        let prefix = format!("{}#picture=", self.url);
        self.text.is_empty() && (all.iter().any(|p| p.url.starts_with(&prefix)) || self.url.contains(".pdf"))
    }
}

/// The OCR engine: the `tesseract` command with the chi_sim model.
#[derive(Debug, Clone)]
pub struct Engine {
    program: PathBuf,
}

impl Engine {
    /// Finds Tesseract (`TESSERACT` names the program, else `tesseract` on PATH) with the
    /// Simplified Chinese model; Err says what is missing and how to install it.
    pub fn detect() -> Result<Engine, String> {
        let program = std::env::var_os("TESSERACT")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("tesseract"));
        let out = Command::new(&program).arg("--list-langs").output().map_err(|e| {
            format!(
                "Tesseract is not installed ({e}); install it (Debian/Ubuntu: apt-get install tesseract-ocr tesseract-ocr-chi-sim) to read the figures in pictures"
            )
        })?;
        let langs = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
        if !langs.lines().any(|l| l.trim() == "chi_sim") {
            return Err(
                "Tesseract has no Simplified Chinese model; install tesseract-ocr-chi-sim to read the figures in pictures"
                    .into(),
            );
        }
        Ok(Engine { program })
    }

    /// Reads the text of a picture (PNG, JPEG, GIF or WebP bytes).
    pub fn read(&self, picture: &[u8]) -> Result<String, String> {
        let prepared = prepare(picture)?;
        // One column of text of varying sizes: what the dashboard and the paragraph pictures are.
        let mut child = Command::new(&self.program)
            .args(["stdin", "stdout", "-l", "chi_sim", "--psm", "4"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run Tesseract: {e}"))?;
        let mut stdin = child.stdin.take().ok_or("cannot write to Tesseract")?;
        let writer = std::thread::spawn(move || stdin.write_all(&prepared));
        let started = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if started.elapsed() > OCR_TIME_LIMIT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "Tesseract took longer than {} s; given up",
                        OCR_TIME_LIMIT.as_secs()
                    ));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => return Err(format!("Tesseract: {e}")),
            }
        }
        let _ = writer.join();
        let out = child.wait_with_output().map_err(|e| format!("Tesseract: {e}"))?;
        if !out.status.success() {
            return Err(format!("Tesseract failed ({})", out.status));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// Pictures narrower than this are scaled up (Tesseract reads Chinese best at about 30 pixels a
/// character; WeChat's pictures are 640–1080 wide, small text would be 10 pixels).
pub const MIN_WIDTH: u32 = 600;

/// Prepares a picture for OCR: decoded (PNG, JPEG, GIF, WebP), grayscale (colour, alpha and
/// JPEG chroma noise gone), scaled up when narrower than [`MIN_WIDTH`]; PNG bytes for Tesseract.
/// Binarizing (Otsu) and scaling every picture to 1,600 pixels were measured on the fixture's
/// pictures and read fewer figures (33 and 18 of 45, against 43 of 45 with this and `--psm 4`),
/// so neither is done.
pub fn prepare(picture: &[u8]) -> Result<Vec<u8>, String> {
    let img = image::load_from_memory(picture).map_err(|e| format!("not a picture that can be read: {e}"))?;
    let (w, h) = (img.width(), img.height());
    if w == 0 || h == 0 || u64::from(w) * u64::from(h) > 40_000_000 {
        return Err(format!("a {w}×{h} picture is not read"));
    }
    let gray = img.to_luma8();
    let gray = if w < MIN_WIDTH {
        let scale = (f64::from(MIN_WIDTH) / f64::from(w)).min(4.0);
        let (nw, nh) = ((f64::from(w) * scale) as u32, (f64::from(h) * scale) as u32);
        image::imageops::resize(&gray, nw, nh, image::imageops::FilterType::CatmullRom)
    } else {
        gray
    };
    let mut out = std::io::Cursor::new(Vec::new());
    gray.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| format!("cannot encode the prepared picture: {e}"))?;
    Ok(out.into_inner())
}

/// Section headings that end the 本周网络安全基本态势 section.
const SECTION_ENDS: &[&str] = &[
    "事件处理情况",
    "本周重要漏洞",
    "近期回顾",
    "业界新闻速递",
    "关于国家互联网应急中心",
];

/// The pictures of an article body's 本周网络安全基本态势 section (`data-src`, else `src`), at most
/// [`MAX_IMAGES`], in order. None when the body has no such section.
pub fn section_pictures(body_html: &str) -> Vec<String> {
    let Some(start) = body_html.find("本周网络安全基本态势") else {
        return Vec::new();
    };
    let rest = &body_html[start..];
    let end = SECTION_ENDS
        .iter()
        .filter_map(|m| rest.find(m))
        .min()
        .unwrap_or(rest.len());
    let section = &rest[..end];
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = section[at..].find("<img") {
        let tag_start = at + i;
        let tag_end = section[tag_start..]
            .find('>')
            .map(|e| tag_start + e)
            .unwrap_or(section.len());
        let tag = &section[tag_start..tag_end];
        if let Some(src) = attribute(tag, "data-src").or_else(|| attribute(tag, "src")) {
            let src = crate::wechat::page::decode_entities(&src);
            if !out.contains(&src) {
                out.push(src);
            }
        }
        at = tag_end;
        if out.len() >= MAX_IMAGES {
            break;
        }
    }
    out
}

/// An attribute's value in one tag (`name="…"` or `name='…'`).
fn attribute(tag: &str, name: &str) -> Option<String> {
    let mut from = 0;
    while let Some(i) = tag[from..].find(name) {
        let p = from + i;
        let before = tag[..p].chars().next_back();
        let after = tag[p + name.len()..].trim_start();
        if before.is_some_and(|c| c.is_whitespace())
            && let Some(v) = after.strip_prefix('=')
        {
            let v = v.trim_start();
            let q = v.chars().next()?;
            if q == '"' || q == '\'' {
                let inner = &v[1..];
                return inner.find(q).map(|e| inner[..e].to_string());
            }
        }
        from = p + name.len();
    }
    None
}

/// OCR text made readable by the patterns: look-alikes OCR puts in place of 篡 (纂 算 自 募)
/// restored where they stand in 被篡改, stray quote marks dropped, lines joined into paragraphs.
pub fn normalize(text: &str) -> Vec<String> {
    let mut t = text.to_string();
    for wrong in ["被纂改", "被算改", "被自改", "被募改", "被幕改", "被慕改"] {
        t = t.replace(wrong, "被篡改");
    }
    // A Latin word broken across lines (`confick` / `er`) is one word again.
    static SPLIT_WORD: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let split = SPLIT_WORD.get_or_init(|| regex::Regex::new(r"([A-Za-z])[ \t]*\n\s*([A-Za-z])").expect("valid regex"));
    let t = split.replace_all(&t, "$1$2").into_owned();
    // The worm's name in brackets after 飞客 is a label, not a figure: a misread of it
    // (`confickenm`, `conficker1`) is the name again.
    static WORM: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let worm = WORM.get_or_init(|| {
        regex::Regex::new(r"飞客\s*[(（〈]\s*[A-Za-z][A-Za-z0-9]{4,13}\s*[)）〉]").expect("valid regex")
    });
    let t = worm.replace_all(&t, "飞客(conficker)").into_owned();
    let t: String = t
        .chars()
        .filter(|c| !matches!(c, '"' | '“' | '”' | '„' | '‟' | '〝' | '〞' | '\''))
        .map(|c| match c {
            '〈' | '《' => '(',
            '〉' | '》' => ')',
            other => other,
        })
        .collect();
    paragraphs_with(&t, false)
}

/// What the pictures of an issue give.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PictureFigures {
    /// Figures accepted.
    pub metrics: BTreeMap<String, MetricValue>,
    /// Figures read but not accepted, and everything else a reader should know.
    pub warnings: Vec<String>,
}

/// Reads figures from the pictures' texts and accepts only those that are confirmed (see the
/// module's documentation). `pictures` are (URL, OCR text).
pub fn figures_from_pictures(pictures: &[PictureText], series: &Series) -> PictureFigures {
    let mut out = PictureFigures::default();
    // Every statement of every picture, with the picture it came from.
    let mut reads: BTreeMap<String, Vec<(MetricValue, String)>> = BTreeMap::new();
    for p in pictures.iter().filter(|p| !p.text.trim().is_empty()) {
        let text = normalize(&p.text).join("\n");
        let f = find_figures(&text, series);
        for m in f.matches.iter().filter(|m: &&FigureMatch| m.rejected.is_none()) {
            if let Some(v) = &m.value {
                reads.entry(m.key.clone()).or_default().push((v.clone(), p.url.clone()));
            }
        }
        for w in &f.warnings {
            out.warnings.push(format!("picture {}: {w}", p.url));
        }
    }
    let kind_of = |key: &str| series.metrics.iter().find(|m| m.key == key).map(|m| m.kind);
    let mut single: BTreeMap<String, (MetricValue, String)> = BTreeMap::new();
    for (key, values) in &reads {
        if key == crate::extract::ASSESSMENT {
            continue;
        }
        let mut distinct: Vec<&MetricValue> = Vec::new();
        for (v, _) in values {
            if !distinct.contains(&v) {
                distinct.push(v);
            }
        }
        if distinct.len() > 1 {
            let list: Vec<String> = values.iter().map(|(v, u)| format!("{v} ({u})")).collect();
            out.warnings.push(format!(
                "{key}: the pictures give different values, {}; left out",
                list.join(", ")
            ));
            continue;
        }
        let (value, url) = &values[0];
        if values.len() >= 2 || kind_of(key) == Some(MetricKind::Level) {
            out.metrics.insert(key.clone(), value.clone());
        } else {
            single.insert(key.clone(), (value.clone(), url.clone()));
        }
    }
    // Trojan/botnet and conficker hosts are stated once, but must add up to the infected hosts:
    // exactly as stated (a misread last digit is as large as the rounding the report allows, so
    // a sum only within rounding confirms nothing). Three single reads that add up exactly
    // confirm one another: a misread would have to be offset by another to the digit.
    let count = |m: &BTreeMap<String, MetricValue>, k: &str| m.get(k).and_then(MetricValue::as_count);
    let single_count = |m: &BTreeMap<String, (MetricValue, String)>, k: &str| match m.get(k) {
        Some((MetricValue::Count(n), _)) => Some(*n),
        _ => None,
    };
    let parts = (
        single_count(&single, "trojan_botnet_hosts"),
        single_count(&single, "conficker_hosts"),
    );
    if let (Some(a), Some(b)) = parts {
        let confirmed_total = count(&out.metrics, "infected_hosts");
        let single_total = single_count(&single, "infected_hosts");
        if confirmed_total == Some(a + b) || (confirmed_total.is_none() && single_total == Some(a + b)) {
            for k in ["infected_hosts", "trojan_botnet_hosts", "conficker_hosts"] {
                if let Some((v, _)) = single.remove(k) {
                    out.metrics.insert(k.to_string(), v);
                }
            }
        }
    }
    for (key, (value, url)) in single {
        out.warnings.push(format!(
            "{key} = {value} was read once, from picture {url}, and nothing confirms it; left out"
        ));
    }
    out
}

/// SHA-256 of bytes, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The key under which a PDF's picture is kept: the PDF's URL and the picture's place in it.
pub fn pdf_picture_url(pdf: &str, number: usize) -> String {
    format!("{pdf}#picture={number}")
}

/// Reads the pictures inside a PDF (at most [`MAX_IMAGES`]). The first entry stands for the PDF
/// itself (its URL and SHA-256, no text): the record that its pictures were read, so the PDF is
/// not fetched for them again; a note on it says what could not be read.
pub async fn read_pdf_pictures(pdf_url: &str, bytes: Vec<u8>, engine: &Engine) -> Vec<PictureText> {
    let engine = engine.clone();
    let pdf_url = pdf_url.to_string();
    tokio::task::spawn_blocking(move || read_pdf_pictures_now(&pdf_url, &bytes, &engine))
        .await
        .unwrap_or_default()
}

fn read_pdf_pictures_now(pdf_url: &str, bytes: &[u8], engine: &Engine) -> Vec<PictureText> {
    let mut marker = PictureText {
        url: pdf_url.to_string(),
        sha256: sha256_hex(bytes),
        text: String::new(),
        note: None,
    };
    let (pictures, skipped) = match crate::pdf::pdf_pictures(bytes, MAX_IMAGES) {
        Ok(x) => x,
        Err(e) => {
            marker.note = Some(format!("the PDF's pictures cannot be read: {e}"));
            return vec![marker];
        }
    };
    if skipped > 0 {
        marker.note = Some(format!(
            "{skipped} picture(s) of the PDF are in forms not read (JPEG 2000, CCITT, masks, palettes) or too large"
        ));
    }
    let mut out = vec![marker];
    for p in pictures {
        let url = pdf_picture_url(pdf_url, p.number);
        out.push(match engine.read(&p.encoded) {
            Ok(text) => PictureText {
                url,
                sha256: p.sha256,
                text,
                note: None,
            },
            Err(why) => PictureText {
                url,
                sha256: p.sha256,
                text: String::new(),
                note: Some(why),
            },
        });
    }
    out
}

/// Fetches and reads the pictures at `urls` (through the fetcher: politeness, retries, base-URL
/// mapping; mmbiz.qpic.cn only). A picture already in `known` (read, even to no text, or given up
/// with a note) is not fetched again.
/// Pictures that cannot be read get a note instead of text.
pub async fn read_pictures(
    urls: &[String],
    fetcher: &crate::fetch::Fetcher,
    engine: &Engine,
    known: &[PictureText],
) -> Vec<PictureText> {
    use crate::fetch::Fetched;
    let mut out = Vec::new();
    for u in urls.iter().take(MAX_IMAGES) {
        if let Some(k) = known
            .iter()
            .find(|k| &k.url == u && (!k.sha256.is_empty() || k.note.is_some()))
        {
            out.push(k.clone());
            continue;
        }
        let note = |n: String| PictureText {
            url: u.clone(),
            sha256: String::new(),
            text: String::new(),
            note: Some(n),
        };
        let Ok(url) = url::Url::parse(u) else {
            out.push(note("not an absolute URL; skipped".into()));
            continue;
        };
        let bytes = match fetcher.get_image(&url, MAX_IMAGE_BYTES).await {
            Fetched::Page { body, .. } => body,
            Fetched::TooLarge(max) => {
                out.push(note(format!("larger than {} MiB; skipped", max / (1024 * 1024))));
                continue;
            }
            Fetched::Status(code) => {
                out.push(note(format!("HTTP {code}; skipped")));
                continue;
            }
            Fetched::Refused(why) | Fetched::Failed(why) | Fetched::Blocked(why) => {
                out.push(note(format!("{why}; skipped")));
                continue;
            }
            Fetched::NotModified => {
                out.push(note("unexpected 304; skipped".into()));
                continue;
            }
        };
        let sha256 = sha256_hex(&bytes);
        let engine = engine.clone();
        let read = tokio::task::spawn_blocking(move || engine.read(&bytes))
            .await
            .unwrap_or_else(|e| Err(format!("OCR stopped: {e}")));
        out.push(match read {
            Ok(text) => PictureText {
                url: u.clone(),
                sha256,
                text,
                note: None,
            },
            Err(why) => PictureText {
                url: u.clone(),
                sha256,
                text: String::new(),
                note: Some(why),
            },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_pictures_are_picked_in_order_and_no_others() {
        let html = r#"<p><img data-src="https://mmbiz.qpic.cn/a/640?x=1&amp;y=2"></p><h2>本周网络安全基本态势</h2><p>本周，态势整体评价为良。</p>
            <p><img class="rich" data-src="https://mmbiz.qpic.cn/b/640"></p><p><img src='https://mmbiz.qpic.cn/c/640'></p>
            <p><img data-src="https://mmbiz.qpic.cn/b/640"></p><h2>本周事件处理情况</h2><p><img data-src="https://mmbiz.qpic.cn/d/640"></p>"#;
        assert_eq!(
            section_pictures(html),
            vec![
                "https://mmbiz.qpic.cn/b/640".to_string(),
                "https://mmbiz.qpic.cn/c/640".to_string()
            ]
        );
        assert!(section_pictures("<p>no section</p><img data-src=\"x\">").is_empty());
    }

    #[test]
    fn look_alikes_are_restored_only_where_they_stand_for_the_word() {
        let p = normalize("本周境内被算改网站数量为2219\n个; 计算机境内被自改政府网站 〈GOV类) 数量为3个“(约占");
        let text = p.join("\n");
        assert!(text.contains("被篡改网站数量为2219个"), "{text}");
        assert!(text.contains("计算机"), "{text}");
        assert!(text.contains("被篡改政府网站(GOV类)数量为3个(约占"), "{text}");
    }

    #[test]
    fn a_misread_worm_name_is_the_name_again_and_numbers_are_untouched() {
        for read in [
            "飞客 (confickenm)\n蠕虫的主机约4.8万",
            "飞客〈conficker1〉蠕虫的主机约4.8万",
        ] {
            let text = normalize(read).join("\n");
            assert!(text.contains("飞客(conficker)蠕虫的主机约4.8万"), "{read}: {text}");
        }
        // Not a bracketed word: left as read.
        assert!(normalize("飞客 (4.8万)").join("").contains("(4.8万)"));
    }
}
