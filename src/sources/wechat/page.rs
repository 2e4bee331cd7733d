//! Reading a WeChat article page without building a DOM of the whole thing: one multi-pattern byte
//! scan finds the metadata scripts, the meta tags, the article body (`#js_content`) and the markers
//! of WeChat's error pages; only those fragments are decoded.
//!
//! A notice's words alone make no notice: a page is one of WeChat's notices only when it also has
//! WeChat's structure (its WeUI message box, its scripts' article variables, its resource host, its
//! captcha's path), so a file that merely mentions 环境异常 or 该内容已被发布者删除 is not taken
//! for WeChat's check or a deleted article.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};
use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};

use super::script::{js_unescape, script_number, script_string, starts_identifier};
use super::url::{ArticleLink, article_link, canonical};
use crate::read::html::decode_entities;
use crate::report::beijing;

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

/// What the byte scan found in a page.
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
    /// Problems worth telling the user (invalid UTF-8 …).
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

/// What the scan looks for. Script variables are found by their name followed by `=` (with or
/// without a space), not by `var `, which starts thousands of statements in a real page.
const NEEDLES: &[(&str, N)] = &[
    // One needle a name, what follows it checked afterwards (`assignment_follows`, `content_id`):
    // fewer needles, fewer candidates to verify in a scan that reads every byte of a page.
    ("js_content", N::Content),
    ("property=\"og:title\"", N::OgTitle),
    ("property=\"og:url\"", N::OgUrl),
    ("biz", N::Biz),
    ("sn =", N::Sn),
    ("sn=", N::Sn),
    ("sn:", N::Sn),
    ("mid", N::Mid),
    ("idx", N::Idx),
    ("nick_name", N::NickName),
    ("create_time", N::CreateTimeField),
    ("title", N::Title),
    ("ct =", N::Ct),
    ("ct=", N::Ct),
    ("oriCreateTime", N::OriCreateTime),
    ("createTime", N::CreateTime),
    ("msg_title", N::MsgTitle),
    ("msg_link", N::MsgLink),
    ("nickname", N::Nickname),
    ("id=\"activity-name\"", N::ActivityName),
    ("<script", N::ScriptOpen),
    ("</script", N::ScriptClose),
    ("id=\"js_name\"", N::JsName),
    ("环境异常", N::EnvAbnormal),
    ("完成验证后即可继续访问", N::Verify),
    ("wappoc_appmsgcaptcha", N::CaptchaPath),
    ("该内容已被发布者删除", N::Deleted),
    ("The content has been deleted by the author", N::Deleted),
    (
        "Unable to view this content because it violates regulation",
        N::Unavailable,
    ),
    ("暂时无法查看", N::Temporary),
    ("temporarily unavailable", N::Temporary),
    ("关于公众号", N::Profile),
    ("此内容因违规无法查看", N::Unavailable),
    ("此内容被投诉且经审核涉嫌侵权", N::Unavailable),
    ("此内容发送失败无法查看", N::Unavailable),
    ("该公众号已迁移", N::Unavailable),
    ("此内容因涉嫌违反相关法律法规", N::Unavailable),
    ("此帐号已被屏蔽", N::Unavailable),
    ("此账号已被屏蔽", N::Unavailable),
    ("该帐号已冻结", N::Unavailable),
    ("该账号已冻结", N::Unavailable),
    ("此内容已被投诉", N::Unavailable),
    ("链接已过期", N::Unavailable),
    ("访问过于频繁", N::EnvAbnormal),
    ("参数错误", N::ParamError),
    // The same notices as WeChat words them for a browser preferring English (only inside
    // WeChat's own page structure, like the Chinese ones).
    ("Invalid parameter", N::ParamError),
    ("Parameter error", N::ParamError),
    ("Environment abnormal", N::EnvAbnormal),
    ("abnormal environment", N::EnvAbnormal),
    ("complete the verification to continue", N::Verify),
    ("Complete the verification to continue", N::Verify),
    // WeChat's own structure around a notice: the WeUI message box (and its older forms), its
    // resource host, the captcha's pages and button, the profile page's blocks.
    ("weui-msg", N::Shell),
    ("weui_msg", N::Shell),
    ("page_msg", N::Shell),
    ("global_error_msg", N::Shell),
    ("res.wx.qq.com", N::Shell),
    ("secitptpage", N::Shell),
    ("TCaptcha", N::Shell),
    ("js_verify", N::Shell),
    ("profile_info_area", N::Shell),
    ("js_profile_nickname", N::Shell),
];

#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
enum N {
    Content = 0,
    OgTitle,
    OgUrl,
    Biz,
    Sn,
    Mid,
    Idx,
    Ct,
    OriCreateTime,
    CreateTime,
    MsgTitle,
    MsgLink,
    ActivityName,
    Nickname,
    NickName,
    CreateTimeField,
    Title,
    JsName,
    ScriptOpen,
    ScriptClose,
    EnvAbnormal,
    Verify,
    CaptchaPath,
    Deleted,
    Unavailable,
    Temporary,
    ParamError,
    Profile,
    Shell,
}

/// Number of distinct things looked for.
const KINDS: usize = N::Shell as usize + 1;
// The first pass keeps the kinds it lacks as bits of a u64.
const _: () = assert!(KINDS <= 64);

impl N {
    /// The script variable this needle names, if it is one.
    fn variable(self) -> Option<&'static str> {
        Some(match self {
            N::Biz => "biz",
            N::Sn => "sn",
            N::Mid => "mid",
            N::Idx => "idx",
            N::Ct => "ct",
            N::OriCreateTime => "oriCreateTime",
            N::CreateTime => "createTime",
            N::MsgTitle => "msg_title",
            N::MsgLink => "msg_link",
            N::Nickname => "nickname",
            N::NickName => "nick_name",
            N::CreateTimeField => "create_time",
            N::Title => "title",
            _ => return None,
        })
    }
}

/// How many occurrences of one needle are remembered (later ones are never needed).
const MAX_HITS: usize = 8;

/// The passes of a scan. Every page gets the first; the second only when the first left a title,
/// a time, an account or an address unread (an older page, a post without an article body); the
/// third only in pages without an article body (WeChat's notices, which are small).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// What an article page has: its body, og:title, the script variables of its address, time,
    /// title and account. 14 needles: few enough for the Teddy that reads 32 bytes a step.
    Primary,
    /// The other places a title, a time, an account or an address can be.
    Fallback,
    /// The error pages' words and structure.
    Markers,
}

impl N {
    /// Whether this needle is looked for in a pass. The script tags are in both passes that take
    /// script variables (a variable counts only inside a script).
    fn in_pass(self, pass: Pass) -> bool {
        match self {
            N::ScriptOpen | N::ScriptClose => pass != Pass::Markers,
            N::Content | N::OgTitle | N::Biz | N::Sn | N::Mid | N::Idx | N::Ct | N::MsgTitle | N::Nickname => {
                pass == Pass::Primary
            }
            N::OgUrl
            | N::MsgLink
            | N::ActivityName
            | N::JsName
            | N::NickName
            | N::CreateTimeField
            | N::Title
            | N::OriCreateTime
            | N::CreateTime => pass == Pass::Fallback,
            _ => pass == Pass::Markers,
        }
    }
}

/// The needles of one pass and the automaton finding them.
struct NeedleSet {
    kinds: Vec<N>,
    /// Teddy, the packed SIMD searcher (`None` without SIMD). On 275 KB pages of script it
    /// scanned the 14 needles of the first pass in 24 µs a page (the slim Teddy, 32 bytes a
    /// step); all 23 needles of page structure in one pass took 40 (fat Teddy, 16 bytes a step)
    /// or 54 (slim: 8 buckets shared by too many needles).
    packed: Option<aho_corasick::packed::Searcher>,
    automaton: AhoCorasick,
}

fn needle_set(pass: Pass) -> &'static NeedleSet {
    static SETS: OnceLock<[NeedleSet; 3]> = OnceLock::new();
    let sets = SETS.get_or_init(|| {
        let build = |pass: Pass| {
            let chosen: Vec<&(&str, N)> = NEEDLES.iter().filter(|(_, k)| k.in_pass(pass)).collect();
            NeedleSet {
                kinds: chosen.iter().map(|(_, k)| *k).collect(),
                packed: aho_corasick::packed::Config::new()
                    .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
                    .builder()
                    .extend(chosen.iter().map(|(n, _)| n))
                    .build(),
                automaton: AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(chosen.iter().map(|(n, _)| n))
                    .expect("the needle list is a valid automaton"),
            }
        };
        [build(Pass::Primary), build(Pass::Fallback), build(Pass::Markers)]
    });
    &sets[pass as usize]
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
    if content_html.is_none() {
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
