//! Reading a WeChat article page without building a DOM of the whole thing: a multi-pattern byte
//! scan (in passes: `page/needles.rs`) finds the metadata scripts, the meta tags, the article body
//! (`#js_content`) and the markers of WeChat's error pages; only those fragments are decoded.
//!
//! A notice's words alone make no notice: a page is one of WeChat's notices only when it also has
//! WeChat's structure (its WeUI message box, its scripts' article variables, its resource host, its
//! captcha's path), so a file that merely mentions 环境异常 or 该内容已被发布者删除 is not taken
//! for WeChat's check or a deleted article.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};
use needles::{KINDS, MAX_HITS, N, NEEDLES, Pass, needle_set};

use super::script::{js_unescape, script_number, script_string, starts_identifier};
use super::url::{ArticleLink, article_link, canonical};
use crate::read::html::decode_entities;
use crate::report::beijing;

mod needles;

/// Which of WeChat's interstitial pages a page looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interstitial {
    /// 环境异常 / 完成验证后即可继续访问.
    Captcha,
    /// 该内容已被发布者删除.
    Deleted,
    /// 此内容因违规无法查看 and its relatives.
    Unavailable,
    /// 参数错误.
    ParamError,
    /// 该内容暂时无法查看 / "This content is temporarily unavailable".
    Temporary,
    /// An account's profile page (关于公众号): no article.
    Profile,
}

/// What the byte scan found in a page. The fallbacks (`#activity-name`, a post's `title`, og:url,
/// `msg_link`, `nick_name`, `#js_name`, the other times) are looked for only when the first pass
/// left the title, the account, the address or the time unread: on an article page with all of
/// them, `heading_title` is `None` and `script_title` is `msg_title`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScannedPage {
    /// `og:title` content.
    pub og_title: Option<String>,
    /// Text of `#activity-name`.
    pub heading_title: Option<String>,
    /// `var msg_title`, else a picture or text post's `title` (`d.title = xml ? … : '…'`,
    /// `title: JsDecode('…')`).
    pub script_title: Option<String>,
    /// Canonical URL from `var biz/mid/idx/sn`, else og:url, else msg_link.
    pub url: Option<String>,
    /// Publication time.
    pub published: Option<DateTime<FixedOffset>>,
    /// Account name (`var nickname`, `nick_name: JsDecode('…')`, `#js_name`).
    pub nickname: Option<String>,
    /// The `#js_content` element, outer HTML.
    pub content_html: Option<String>,
    /// The interstitial this page is, if it is one and has no article body.
    pub interstitial: Option<Interstitial>,
    /// A live post without `#js_content` (a picture post 图片分享 or a text post 文本分享): the page's
    /// scripts give its title, its time and its account or its URL.
    pub post: bool,
    /// Problems worth telling the user (invalid UTF-8 in a fragment that was decoded …).
    pub warnings: Vec<String>,
}

impl ScannedPage {
    /// The best title: og:title, then `#activity-name`, then `msg_title`.
    pub fn title(&self) -> Option<&str> {
        [&self.og_title, &self.heading_title, &self.script_title]
            .into_iter()
            .flatten()
            .map(|s| s.as_str())
            .find(|s| !s.trim().is_empty())
    }
}

/// Records the positions of one pass's matches in `hits`. Script variables count only inside
/// `<script>` elements: a `mid=` in a body link or a meta tag is no assignment.
///
/// The first pass stops once it has everything the page's record takes from it: the article
/// body, og:title and a readable value of each of its variables. What it takes is the first of
/// each (the first assignment with a literal value), so nothing later in the page can change it;
/// in WeChat's pages the scripts after the article's variables are a third of the page.
fn find_all(page: &[u8], pass: Pass, hits: &mut [Vec<usize>]) {
    find_all_then(page, pass, hits, true);
}

/// [`find_all`], stopping early or not (the tests compare the two).
fn find_all_then(page: &[u8], pass: Pass, hits: &mut [Vec<usize>], stop_early: bool) {
    let set = needle_set(pass);
    let mut in_script = false;
    // The kinds the first pass still lacks (a bit each), when it is the first pass.
    let mut lacking: u64 = if pass == Pass::Primary {
        NEEDLES
            .iter()
            .filter(|(_, k)| k.in_pass(Pass::Primary) && !matches!(k, N::ScriptOpen | N::ScriptClose))
            .fold(0, |bits, (_, k)| bits | 1 << *k as usize)
    } else {
        0
    };
    // Whether the scan can stop.
    let mut take = |pattern: usize, start: usize| -> bool {
        let Some(start) = set.lead_start(page, pattern, start) else {
            return false;
        };
        let kind = set.kinds[pattern];
        match kind {
            N::ScriptOpen => in_script = true,
            N::ScriptClose => in_script = false,
            _ => {}
        }
        if let Some(name) = kind.variable()
            && (!in_script || !starts_identifier(page, start) || !assignment_follows(page, start + name.len()))
        {
            return false;
        }
        if kind == N::Content && !content_id(page, start) {
            return false;
        }
        // `id="activity-name"` is an attribute of its own, not the tail of `data-mid="…"`.
        if matches!(kind, N::ActivityName | N::JsName)
            && !start
                .checked_sub(1)
                .and_then(|p| page.get(p))
                .is_some_and(u8::is_ascii_whitespace)
        {
            return false;
        }
        let h = &mut hits[kind as usize];
        if h.len() < MAX_HITS {
            h.push(start);
        }
        let bit = 1u64 << kind as usize;
        if lacking & bit != 0 {
            let readable = kind
                .variable()
                .is_none_or(|name| script_string(page, &[start], name).is_some());
            if readable {
                lacking &= !bit;
                return lacking == 0 && pass == Pass::Primary && stop_early;
            }
        }
        false
    };
    match &set.packed {
        Some(packed) => {
            for m in packed.find_iter(page) {
                if take(m.pattern().as_usize(), m.start()) {
                    break;
                }
            }
        }
        None => {
            for m in set.automaton.find_iter(page) {
                if take(m.pattern().as_usize(), m.start()) {
                    break;
                }
            }
        }
    }
}

/// Whether a script variable's name ending at `end` is followed by `=`, ` =` or `:` (the
/// value's reader then refuses `==`).
fn assignment_follows(page: &[u8], end: usize) -> bool {
    match page.get(end) {
        Some(b'=' | b':') => true,
        Some(b' ') => page.get(end + 1) == Some(&b'='),
        _ => false,
    }
}

/// Whether the `js_content` at `at` is an `id="js_content"` or `id='js_content'` attribute.
fn content_id(page: &[u8], at: usize) -> bool {
    let before = &page[..at];
    (before.ends_with(b"id=\"") && page.get(at + 10) == Some(&b'"'))
        || (before.ends_with(b"id='") && page.get(at + 10) == Some(&b'\''))
}

/// Scans a page. Never fails: whatever cannot be found stays `None`.
pub fn scan(page: &[u8]) -> ScannedPage {
    scan_then(page, true)
}

/// [`scan`], its first pass stopping early or not.
fn scan_then(page: &[u8], stop_early: bool) -> ScannedPage {
    let mut hits: Vec<Vec<usize>> = vec![Vec::new(); KINDS];
    find_all_then(page, Pass::Primary, &mut hits, stop_early);
    let mut lossy = false;
    let mut text = |bytes: &[u8]| -> String {
        match std::str::from_utf8(bytes) {
            Ok(s) => s.to_string(),
            Err(_) => {
                lossy = true;
                String::from_utf8_lossy(bytes).into_owned()
            }
        }
    };

    // What the first pass gives.
    let first = |hits: &[Vec<usize>], n: N| hits[n as usize].first().copied();
    let var = |hits: &[Vec<usize>], n: N| {
        let name = n.variable()?;
        script_string(page, &hits[n as usize], name).map(|b| js_unescape(&String::from_utf8_lossy(&b)))
    };
    let epoch = |s: &str| -> Option<DateTime<FixedOffset>> {
        let secs: i64 = s.trim().parse().ok().filter(|&n| n > 0)?;
        DateTime::from_timestamp(secs, 0).map(|d| d.with_timezone(&beijing()))
    };
    let content_html = first(&hits, N::Content)
        .and_then(|p| element_span(page, p, b"div"))
        .map(|(s, e)| text(&page[s..e]));
    let og_title = first(&hits, N::OgTitle)
        .and_then(|p| meta_content(page, p))
        .map(|b| decode_entities(&text(b)));
    let msg_title = var(&hits, N::MsgTitle).map(|s| decode_entities(&s));
    let nickname = var(&hits, N::Nickname).map(|s| decode_entities(&s));
    let script_url = match (
        var(&hits, N::Biz),
        var(&hits, N::Mid),
        var(&hits, N::Idx),
        var(&hits, N::Sn),
    ) {
        (Some(b), Some(m), Some(i), Some(s)) => canonical(&b, &m, &i, &s),
        _ => None,
    };
    let ct = var(&hits, N::Ct).and_then(|s| epoch(&s));

    // The rest only where the first pass left something unread: each of these is a fallback
    // for one of the above.
    let has_og_title = og_title.as_deref().is_some_and(|t| !t.trim().is_empty());
    if !has_og_title || nickname.is_none() || script_url.is_none() || ct.is_none() {
        find_all(page, Pass::Fallback, &mut hits);
    }
    // Pages without an article body (a `js_content` id that cannot be read as an element still
    // is one: such a page is no notice).
    if hits[N::Content as usize].is_empty() {
        find_all(page, Pass::Markers, &mut hits);
    }
    let at = |n: N| hits[n as usize].as_slice();
    let var = |n: N| var(&hits, n);
    let og_url = at(N::OgUrl)
        .first()
        .and_then(|&p| meta_content(page, p))
        .map(|b| decode_entities(&text(b)));
    let heading_title = at(N::ActivityName).first().and_then(|&p| {
        let start = p + memchr::memchr(b'>', &page[p..])? + 1;
        let len = memchr::memmem::find(&page[start..], b"</h1")?;
        let inner = strip_tags(&text(&page[start..start + len.min(64 * 1024)]));
        Some(inner.trim().to_string()).filter(|s| !s.is_empty())
    });
    let script_title = msg_title.or_else(|| var(N::Title).map(|s| decode_entities(&s)));
    let nickname = nickname
        .or_else(|| var(N::NickName).map(|s| decode_entities(&s)))
        .or_else(|| {
            at(N::JsName).first().and_then(|&p| {
                let start = p + memchr::memchr(b'>', &page[p..])? + 1;
                let len = memchr::memchr(b'<', &page[start..])?;
                let s = decode_entities(String::from_utf8_lossy(&page[start..start + len]).trim());
                Some(s).filter(|s| !s.is_empty())
            })
        });

    let url = script_url
        .or_else(|| og_url.as_deref().and_then(article_link).and_then(only_canonical))
        .or_else(|| {
            var(N::MsgLink)
                .map(|s| decode_entities(&s))
                .as_deref()
                .and_then(article_link)
                .and_then(only_canonical)
        });

    let published = ct
        .or_else(|| {
            var(N::OriCreateTime)
                .and_then(|s| epoch(&s))
                .or_else(|| script_number(page, at(N::OriCreateTime), "oriCreateTime").and_then(|s| epoch(&s)))
        })
        .or_else(|| {
            let s = var(N::CreateTime)?;
            let s = s.trim();
            let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
                .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S"))
                .ok()?;
            beijing().from_local_datetime(&naive).single()
        })
        .or_else(|| var(N::CreateTimeField).and_then(|s| epoch(&s)));
    let has_title = [&og_title, &heading_title, &script_title]
        .into_iter()
        .flatten()
        .any(|t| !t.trim().is_empty());
    let post = content_html.is_none() && has_title && published.is_some() && (nickname.is_some() || url.is_some());

    // A notice has WeChat's structure around its words: its message box or resources, the
    // captcha's path, or the article variables of its scripts (a README quoting 环境异常 has none).
    let wechat_shell = [N::Shell, N::CaptchaPath, N::Biz, N::Sn, N::Mid, N::Idx]
        .into_iter()
        .any(|n| !at(n).is_empty());
    // A live post is no notice, even if its scripts hold a notice's words.
    let interstitial = if content_html.is_some() || !wechat_shell {
        None
    } else if !at(N::CaptchaPath).is_empty() || (!at(N::EnvAbnormal).is_empty() && !at(N::Verify).is_empty()) {
        Some(Interstitial::Captcha)
    } else if post {
        None
    } else {
        [
            (N::Deleted, Interstitial::Deleted),
            (N::Unavailable, Interstitial::Unavailable),
            (N::Temporary, Interstitial::Temporary),
            (N::ParamError, Interstitial::ParamError),
            (N::EnvAbnormal, Interstitial::Captcha),
            (N::Profile, Interstitial::Profile),
        ]
        .into_iter()
        .find_map(|(n, i)| (!at(n).is_empty()).then_some(i))
    };

    let mut warnings = Vec::new();
    if lossy {
        warnings.push("the page is not valid UTF-8; invalid bytes were replaced with U+FFFD".to_string());
    }
    ScannedPage {
        og_title,
        heading_title,
        script_title,
        url,
        published,
        nickname,
        content_html,
        interstitial,
        post,
        warnings,
    }
}

fn only_canonical(l: ArticleLink) -> Option<String> {
    match l {
        ArticleLink::Canonical(s) => Some(s),
        ArticleLink::Short(_) => None,
    }
}

/// The byte span of the element whose start tag contains position `inside`, matched by counting
/// nested `<tag` and `</tag` (case-insensitive). An unclosed element runs to the next `<script` or the end.
fn element_span(page: &[u8], inside: usize, tag: &[u8]) -> Option<(usize, usize)> {
    let lookback = inside.saturating_sub(4096);
    let start = lookback + memchr::memrchr(b'<', &page[lookback..inside])?;
    let mut depth = 0usize;
    let mut pos = start;
    while let Some(off) = memchr::memchr(b'<', &page[pos..]) {
        let p = pos + off;
        let rest = &page[p + 1..];
        let (closing, name_at) = if rest.first() == Some(&b'/') {
            (true, 1)
        } else {
            (false, 0)
        };
        let name = &rest[name_at.min(rest.len())..];
        let is_tag = name.len() > tag.len()
            && name[..tag.len()].eq_ignore_ascii_case(tag)
            && !name[tag.len()].is_ascii_alphanumeric();
        if rest.starts_with(b"!--") {
            // Skip comments whole: they may hold markup.
            match memchr::memmem::find(&page[p..], b"-->") {
                Some(e) => {
                    pos = p + e + 3;
                    continue;
                }
                None => break,
            }
        }
        if is_tag {
            if closing {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    let end = p + memchr::memchr(b'>', &page[p..])
                        .map(|e| e + 1)
                        .unwrap_or(page.len() - p);
                    return Some((start, end));
                }
            } else {
                depth += 1;
            }
        } else if name.len() >= 6 && name[..6].eq_ignore_ascii_case(b"script") && !closing {
            return Some((start, p));
        }
        pos = p + 1;
    }
    Some((start, page.len()))
}

/// The raw `content` attribute value of the tag around position `inside`.
fn meta_content(page: &[u8], inside: usize) -> Option<&[u8]> {
    let lookback = inside.saturating_sub(2048);
    let start = lookback + memchr::memrchr(b'<', &page[lookback..inside])?;
    let end = inside + memchr::memchr(b'>', &page[inside..])?;
    let tag = &page[start..end];
    let at = memchr::memmem::find(tag, b"content=")? + "content=".len();
    let quote = *tag.get(at)?;
    if quote == b'"' || quote == b'\'' {
        let len = memchr::memchr(quote, &tag[at + 1..])?;
        Some(&tag[at + 1..at + 1 + len])
    } else {
        let len = tag[at..]
            .iter()
            .position(|b| b.is_ascii_whitespace() || *b == b'/')
            .unwrap_or(tag.len() - at);
        Some(&tag[at..at + len])
    }
}

/// Removes tags from a small HTML fragment and decodes entities.
fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    decode_entities(&out)
}

#[cfg(test)]
#[path = "page_tests.rs"]
mod tests;
