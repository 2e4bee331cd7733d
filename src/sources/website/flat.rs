//! Reading the website's pages without a tree: a tokenizer and element bounds found in linear
//! passes, for pages nested deeper than any real page (hostile input, where html5ever's scope
//! checks take time quadratic in the depth: 100,000 nested `<div>` took 40 s).
//!
//! The readers here ([`parse_listing_flat`], [`parse_detail_flat`]) give the answers the
//! tree-built reader gives on the site's pages (a test holds them to it over every fixture page);
//! on hostile markup they give a plausible answer, in time linear in the page's size: every
//! element they measure ends at its end tag, at a start tag that would close it, or at the end of
//! what contains it, and no two measured elements of one kind overlap.

use url::Url;

use super::page::{DetailPage, ListingItem, ListingPage, find_date, link_target, resolve};
use crate::read::html::decode_entities;

/// Deeper nesting than this is read flat. Real pages of the site nest a dozen elements deep.
pub const MAX_PAGE_DEPTH: usize = 512;
/// A page whose start tags sit, added up, deeper than this is read flat (see
/// [`crate::extract::tree_too_costly`]). The site's pages (a few KB, a dozen deep) add up to a few thousand.
pub const MAX_PAGE_WORK: usize = 4_000_000;

/// Elements without an end tag.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param", "source", "track",
    "wbr",
];
/// Elements whose content is text up to their end tag (no markup inside).
const RAW: &[&str] = &[
    "script", "style", "xmp", "iframe", "noembed", "noframes", "title", "textarea",
];
/// Raw-text elements whose entities are decoded (RCDATA).
const RCDATA: &[&str] = &["title", "textarea"];

/// A start or end tag.
#[derive(Debug, Clone)]
pub struct Tag<'a> {
    /// The name, lower-cased.
    pub name: String,
    /// `</name>`.
    pub closing: bool,
    /// A void element (`<br>`, `<img>` …): it holds nothing. (`<div/>` opens a `div`, as in
    /// html5ever.)
    pub empty: bool,
    /// What follows the name, up to the closing `>`.
    pub attrs: &'a str,
    /// Where `<` is.
    pub start: usize,
    /// Just after `>`.
    pub end: usize,
}

impl Tag<'_> {
    /// The value of attribute `name` (the first one written), entities decoded.
    pub fn attr(&self, name: &str) -> Option<String> {
        attribute(self.attrs, name)
    }

    /// Whether the class attribute lists `class`.
    pub fn has_class(&self, class: &str) -> bool {
        self.attr("class")
            .is_some_and(|c| c.split_ascii_whitespace().any(|c| c == class))
    }
}

/// One piece of markup.
#[derive(Debug, Clone)]
pub enum Token<'a> {
    /// Text between tags (entities not yet decoded).
    Text(&'a str),
    /// The content of a raw-text element (`<script>`, `<style>` …).
    Raw {
        /// The content as written.
        text: &'a str,
        /// Whether entities in it are read (RCDATA: `<title>`, `<textarea>`).
        decode: bool,
    },
    /// A tag.
    Tag(Tag<'a>),
}

/// The pieces of `s[at..until]`, comments and declarations skipped.
pub struct Tokens<'a> {
    s: &'a str,
    at: usize,
    until: usize,
    /// The raw-text element just opened: its name.
    raw: Option<String>,
}

impl<'a> Tokens<'a> {
    /// The pieces of `s` from `at` up to `until`.
    pub fn new(s: &'a str, at: usize, until: usize) -> Self {
        let until = until.min(s.len());
        Tokens {
            s,
            at: at.min(until),
            until,
            raw: None,
        }
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let b = &self.s.as_bytes()[..self.until];
        if let Some(name) = self.raw.take() {
            let end = find_end_tag(&b[self.at..], name.as_bytes()).map_or(b.len(), |e| self.at + e);
            let text = &self.s[self.at..end];
            self.at = end;
            if !text.is_empty() {
                return Some(Token::Raw {
                    text,
                    decode: RCDATA.contains(&name.as_str()),
                });
            }
        }
        loop {
            let i = self.at;
            if i >= b.len() {
                return None;
            }
            if b[i] != b'<' {
                let len = memchr::memchr(b'<', &b[i + 1..]).map_or(b.len() - i, |p| p + 1);
                self.at = i + len;
                return Some(Token::Text(&self.s[i..i + len]));
            }
            let rest = &b[i + 1..];
            if rest.starts_with(b"!--") {
                self.at = memchr::memmem::find(&rest[3..], b"-->").map_or(b.len(), |e| i + 1 + 3 + e + 3);
                continue;
            }
            let closing = rest.first() == Some(&b'/');
            let name_at = i + 1 + usize::from(closing);
            let name_len = b[name_at..]
                .iter()
                .take_while(|c| !c.is_ascii_whitespace() && !matches!(c, b'/' | b'>'))
                .count();
            if name_len == 0 || !b[name_at].is_ascii_alphabetic() {
                if closing || matches!(rest.first(), Some(b'!' | b'?')) {
                    // A bogus comment (`<!DOCTYPE …>`, `<?xml …?>`, `</ >`), up to `>`.
                    self.at = memchr::memchr(b'>', rest).map_or(b.len(), |e| i + 1 + e + 1);
                    continue;
                }
                // A lone '<' is text.
                self.at = i + 1;
                return Some(Token::Text(&self.s[i..i + 1]));
            }
            let name = self.s[name_at..name_at + name_len].to_ascii_lowercase();
            let attrs_at = name_at + name_len;
            let end = tag_end(b, attrs_at);
            let inner_end = if end > attrs_at && b[end - 1] == b'>' {
                end - 1
            } else {
                end
            };
            self.at = end;
            if !closing && RAW.contains(&name.as_str()) {
                self.raw = Some(name.clone());
            }
            let empty = VOID.contains(&name.as_str());
            return Some(Token::Tag(Tag {
                name,
                closing,
                empty,
                attrs: &self.s[attrs_at..inner_end],
                start: i,
                end,
            }));
        }
    }
}

/// Just after the `>` that ends the tag whose attributes start at `i` (quoted values may hold `>`).
fn tag_end(b: &[u8], mut i: usize) -> usize {
    let mut after_equals = false;
    while i < b.len() {
        match b[i] {
            b'>' => return i + 1,
            q @ (b'"' | b'\'') if after_equals => {
                i = memchr::memchr(q, &b[i + 1..]).map_or(b.len(), |e| i + 1 + e + 1);
                after_equals = false;
                continue;
            }
            b'=' => after_equals = true,
            c if c.is_ascii_whitespace() => {}
            _ => after_equals = false,
        }
        i += 1;
    }
    b.len()
}

/// Where `</name` (any case, then a space, `/` or `>`) first starts in `hay`.
fn find_end_tag(hay: &[u8], name: &[u8]) -> Option<usize> {
    memchr::memmem::find_iter(hay, b"</").find(|&p| {
        hay.get(p + 2..p + 2 + name.len())
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
            && hay
                .get(p + 2 + name.len())
                .is_none_or(|c| c.is_ascii_whitespace() || matches!(c, b'/' | b'>'))
    })
}

/// The value of attribute `name` in the attribute text of a tag (the first one written).
fn attribute(attrs: &str, name: &str) -> Option<String> {
    let b = attrs.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'/') {
            i += 1;
        }
        // An attribute name may start with '=' or '/'; take one such byte.
        if i == start && i < b.len() {
            i += 1;
        }
        let key = &attrs[start..i];
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = "";
        if b.get(i) == Some(&b'=') {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            match b.get(i) {
                Some(q @ (b'"' | b'\'')) => {
                    let len = memchr::memchr(*q, &b[i + 1..]).unwrap_or(b.len() - i - 1);
                    value = &attrs[i + 1..i + 1 + len];
                    i += len + 2;
                }
                _ => {
                    let len = b[i..].iter().take_while(|c| !c.is_ascii_whitespace()).count();
                    value = &attrs[i..i + len];
                    i += len;
                }
            }
        }
        if !key.is_empty() && key.eq_ignore_ascii_case(name) {
            return Some(decode_entities(value));
        }
    }
    None
}

/// What ends an element being measured besides its own end tag.
struct Ends<'n> {
    /// The element's name.
    name: &'n str,
    /// Start tags that close it (`<li>` closes an open `<li>`, `<a>` an open `<a>`).
    starts: &'n [&'n str],
    /// End tags that close it (`</ul>` closes an open `<li>`).
    ends: &'n [&'n str],
}

/// The content of the element whose start tag ends at `from`: `(content end, element end)`,
/// looking no further than `until`. Same-name elements inside nest (unless a start closes it).
fn bounds(s: &str, from: usize, until: usize, ends: &Ends<'_>) -> (usize, usize) {
    let mut depth = 1usize;
    for t in Tokens::new(s, from, until) {
        let Token::Tag(t) = t else { continue };
        let name = t.name.as_str();
        if !t.closing && ends.starts.contains(&name) || t.closing && ends.ends.contains(&name) {
            return (t.start, t.start);
        }
        if name == ends.name && !t.empty {
            if t.closing {
                depth -= 1;
                if depth == 0 {
                    return (t.start, t.end);
                }
            } else {
                depth += 1;
            }
        }
    }
    (until.min(s.len()), until.min(s.len()))
}

/// The text of `s[from..to]`, markup removed, entities decoded, whitespace collapsed.
pub fn text_between(s: &str, from: usize, to: usize) -> String {
    let mut out = String::new();
    for t in Tokens::new(s, from, to) {
        match t {
            Token::Text(x) | Token::Raw { text: x, decode: true } => out.push_str(&decode_entities(x)),
            Token::Raw { text, decode: false } => out.push_str(text),
            Token::Tag(_) => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first element with class `class`: its start tag and the `(start, end)` of its content.
fn first_with_class<'a>(s: &'a str, class: &str) -> Option<(Tag<'a>, usize, usize)> {
    let tag = Tokens::new(s, 0, s.len()).find_map(|t| match t {
        Token::Tag(t) if !t.closing && t.has_class(class) => Some(t),
        _ => None,
    })?;
    if tag.empty {
        return Some((tag.clone(), tag.end, tag.end));
    }
    let ends = Ends {
        name: &tag.name,
        starts: &[],
        ends: &[],
    };
    let (end, _) = bounds(s, tag.end, s.len(), &ends);
    Some((tag.clone(), tag.end, end))
}

/// Reads a detail page (already decoded) flat: what [`super::page::parse_detail`] reads.
pub fn parse_detail_flat(text: &str, page_url: &Url) -> DetailPage {
    let mut detail = DetailPage {
        title: first_with_class(text, "artil_tit")
            .map(|(_, from, to)| text_between(text, from, to))
            .filter(|t| !t.is_empty()),
        date: first_with_class(text, "artil_art").and_then(|(_, from, to)| find_date(&text_between(text, from, to))),
        ..DetailPage::default()
    };
    if let Some((_, from, to)) = first_with_class(text, "artil_content") {
        detail.content_html = Some(text[from..to].to_string());
        detail.pdf = Tokens::new(text, from, to)
            .filter_map(|t| match t {
                Token::Tag(t) if !t.closing && t.name == "a" => t.attr("href"),
                _ => None,
            })
            .filter_map(|h| resolve(page_url, &h))
            .find(|u| u.path().to_ascii_lowercase().ends_with(".pdf"));
    }
    detail
}

/// The next start tag named `name` in `s[from..until]`.
fn next_start<'a>(s: &'a str, from: usize, until: usize, name: &str) -> Option<Tag<'a>> {
    Tokens::new(s, from, until).find_map(|t| match t {
        Token::Tag(t) if !t.closing && t.name == name => Some(t),
        _ => None,
    })
}

/// A link: its text, and where it ends.
fn link_at(s: &str, a: &Tag<'_>, until: usize) -> (String, usize) {
    let ends = Ends {
        name: "a",
        starts: &["a"],
        ends: &["li"],
    };
    let (content_end, end) = if a.empty {
        (a.end, a.end)
    } else {
        bounds(s, a.end, until, &ends)
    };
    (text_between(s, a.end, content_end), end)
}

/// The date of the first `<span>` in `s[from..until]` whose text has one.
fn span_date(s: &str, mut from: usize, until: usize) -> Option<chrono::NaiveDate> {
    let ends = Ends {
        name: "span",
        starts: &[],
        ends: &["li"],
    };
    while let Some(span) = next_start(s, from, until, "span") {
        let (content_end, end) = bounds(s, span.end, until, &ends);
        if let Some(d) = find_date(&text_between(s, span.end, content_end)) {
            return Some(d);
        }
        // Spans inside this one hold part of its text: no date either.
        from = end.max(span.end);
    }
    None
}

/// Reads a listing page (already decoded) flat: what [`super::page::parse_listing`] reads.
pub fn parse_listing_flat(text: &str, page_url: &Url) -> ListingPage {
    let mut page = ListingPage::default();
    let li_ends = Ends {
        name: "li",
        starts: &["li"],
        ends: &["ul", "ol"],
    };
    let mut at = 0;
    while let Some(li) = next_start(text, at, text.len(), "li") {
        let (li_end, _) = bounds(text, li.end, text.len(), &li_ends);
        at = li_end.max(li.end);
        let Some(a) = next_start(text, li.end, li_end, "a") else {
            continue;
        };
        let Some(date) = span_date(text, li.end, li_end) else {
            continue;
        };
        let (t, _) = link_at(text, &a, li_end);
        let title = if t.is_empty() {
            a.attr("title").unwrap_or_default().trim().to_string()
        } else {
            t
        };
        let href = a.attr("href");
        let onclick = a.attr("onclick");
        let Some(url) = link_target(href.as_deref(), onclick.as_deref()).and_then(|h| resolve(page_url, &h)) else {
            continue;
        };
        page.items.push(ListingItem {
            date: Some(date),
            title,
            url,
        });
    }
    let mut at = 0;
    while let Some(a) = next_start(text, at, text.len(), "a") {
        let (t, end) = link_at(text, &a, text.len());
        at = end.max(a.end);
        if t.contains("下一页") {
            let (href, onclick) = (a.attr("href"), a.attr("onclick"));
            page.next = link_target(href.as_deref(), onclick.as_deref())
                .and_then(|h| resolve(page_url, &h))
                .filter(|u| u != page_url);
            break;
        }
    }
    page
}
