//! Reading an article body (`#js_content`) into text lines and links.
//!
//! Two readers feed the same [`Builder`]: a small tokenizer for the well-formed markup WeChat's
//! editor writes, and html5ever (through scraper) for everything else. The tokenizer gives up —
//! and html5ever takes over — on anything where the two could disagree: unknown entities,
//! mismatched or unclosed tags, nested links, tables, foreign content, raw-text elements. A
//! property test holds the two to the same result wherever the tokenizer answers.

use std::borrow::Cow;

use ego_tree::iter::Edge;
use scraper::{Html, Node};

use super::{collapse_whitespace, is_caption, normalize_line};

/// The text and links of an article body.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Body {
    /// Normalized text, one line per block; captions and URLs removed.
    pub lines: Vec<String>,
    /// The same blocks as written (whitespace collapsed), for display.
    pub paragraphs: Vec<String>,
    /// `(href, text)` of every link, in page order; text falls back to the `textvalue` attribute.
    pub links: Vec<(String, String)>,
}

impl Body {
    /// All lines joined by newlines: what metric patterns run over.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }
}

/// Elements that break a line.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "section"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "li"
            | "ul"
            | "ol"
            | "tr"
            | "table"
            | "blockquote"
            | "figure"
            | "figcaption"
            | "pre"
            | "article"
            | "header"
            | "footer"
            | "hr"
            | "dl"
            | "dt"
            | "dd"
    )
}
/// Elements whose content is no text of the article.
fn is_skipped(name: &str) -> bool {
    matches!(
        name,
        "script" | "style" | "noscript" | "iframe" | "template" | "svg" | "mpvoice" | "mp-style-type"
    )
}

/// Turns open/close/text events into a [`Body`].
#[derive(Default)]
struct Builder {
    body: Body,
    line: String,
    skip_depth: usize,
    /// Open links: (href, text so far, textvalue attribute).
    anchors: Vec<(String, String, String)>,
}

impl Builder {
    fn flush(&mut self) {
        // Most blocks hold nothing but the indentation between tags: nothing to normalize.
        if self.line.trim().is_empty() {
            self.line.clear();
            return;
        }
        let n = normalize_line(&self.line);
        if !n.is_empty() && !is_caption(&n) {
            self.body.lines.push(n);
            self.body.paragraphs.push(collapse_whitespace(&self.line));
        }
        self.line.clear();
    }

    fn open(&mut self, name: &str, attr: &dyn Fn(&str) -> Option<String>) {
        if self.skip_depth > 0 || is_skipped(name) {
            self.skip_depth += 1;
        } else if name == "br" || is_block(name) {
            self.flush();
        } else if name == "a" {
            self.anchors.push((
                attr("href").unwrap_or_default(),
                String::new(),
                attr("textvalue").unwrap_or_default(),
            ));
        }
    }

    fn close(&mut self, name: &str) {
        if self.skip_depth > 0 {
            self.skip_depth -= 1;
        } else if is_block(name) {
            self.flush();
        } else if name == "a"
            && let Some((href, text, textvalue)) = self.anchors.pop()
        {
            let label = if text.trim().is_empty() { textvalue } else { text };
            self.body.links.push((href, label));
        }
    }

    fn text(&mut self, t: &str) {
        if self.skip_depth == 0 {
            self.line.push_str(t);
            for a in self.anchors.iter_mut() {
                a.1.push_str(t);
            }
        }
    }

    fn finish(mut self) -> Body {
        self.flush();
        self.body
    }
}

/// Reads a body fragment: the fast tokenizer when it can, html5ever otherwise; markup whose tree
/// would cost too much ([`tree_too_costly`]: nested deeper than any real article, or deep too
/// often; hostile input, where the scope checks take time quadratic in the depth) is read flat.
pub fn read_body(html: &str) -> Body {
    if tree_too_costly(html.as_bytes(), MAX_DOM_DEPTH, MAX_TREE_WORK) {
        return read_body_flat(html);
    }
    read_body_fast(html).unwrap_or_else(|| read_body_with_dom(html))
}

/// Deeper nesting than this is read flat. Real article bodies nest a few dozen elements deep.
pub const MAX_DOM_DEPTH: usize = 512;

/// Above this, a tree of the markup would cost too much: the depths at each start tag added up
/// (what html5ever's scope checks walk, roughly). Real bodies and pages add up to a few
/// thousand; 500 elements deep and then 10 MiB of `<p>x</p>` add up to about a billion.
pub const MAX_TREE_WORK: usize = 4_000_000;

/// Whether a tree of the markup would cost too much: elements open (and not closed) deeper than
/// `max_depth` anywhere, or the depths at each start tag add up to more than `max_work`. One
/// linear pass counting start tags (void and self-closing ones aside) and end tags, comments
/// skipped. Every reader of untrusted HTML asks this before it builds a tree.
pub fn tree_too_costly(b: &[u8], max_depth: usize, max_work: usize) -> bool {
    let (mut depth, mut work) = (0usize, 0usize);
    let mut i = 0;
    while let Some(p) = memchr::memchr(b'<', &b[i..]) {
        let at = i + p;
        let rest = &b[at + 1..];
        if rest.starts_with(b"!--") {
            match memchr::memmem::find(&rest[3..], b"-->") {
                Some(e) => i = at + 1 + 3 + e + 3,
                None => return false,
            }
            continue;
        }
        if rest.first() == Some(&b'/') {
            depth = depth.saturating_sub(1);
        } else if let Some((name, len)) = tag_name(rest) {
            work = work.saturating_add(depth);
            let end = memchr::memchr(b'>', &rest[len..]).map(|e| len + e);
            let self_closing = end.is_some_and(|e| e > 0 && rest[e - 1] == b'/');
            if !is_void(&name) && !self_closing {
                depth += 1;
            }
            if depth > max_depth || work > max_work {
                return true;
            }
        }
        i = at + 1;
    }
    false
}

/// Whether elements open (and are not closed) deeper than `limit` anywhere.
pub fn nesting_exceeds(b: &[u8], limit: usize) -> bool {
    tree_too_costly(b, limit, usize::MAX)
}

/// Reads markup as a flat run of tags and text, in one linear pass with no tree: block tags
/// break lines, links are kept (a link opened inside another closes it, as browsers do),
/// scripts, styles and comments are skipped. For markup no tree builder can read in bounded time.
pub fn read_body_flat(html: &str) -> Body {
    let b = html.as_bytes();
    let mut builder = Builder::default();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' {
            let len = memchr::memchr(b'<', &b[i..]).unwrap_or(b.len() - i);
            builder.text(&crate::read::html::decode_entities(&String::from_utf8_lossy(
                &b[i..i + len],
            )));
            i += len;
            continue;
        }
        let rest = &b[i + 1..];
        if rest.starts_with(b"!--") {
            i = match memchr::memmem::find(&rest[3..], b"-->") {
                Some(e) => i + 1 + 3 + e + 3,
                None => b.len(),
            };
            continue;
        }
        let closing = rest.first() == Some(&b'/');
        let Some((name, len)) = tag_name(if closing { &rest[1..] } else { rest }) else {
            // A lone '<' is text.
            builder.text("<");
            i += 1;
            continue;
        };
        let start = i + 1 + usize::from(closing) + len;
        let end = memchr::memchr(b'>', &b[start..])
            .map(|e| start + e + 1)
            .unwrap_or(b.len());
        if closing {
            if !is_skipped(&name) {
                builder.close(&name);
            }
            i = end;
            continue;
        }
        if is_skipped(&name) {
            i = find_end_tag(&b[end..], name.as_bytes())
                .and_then(|e| memchr::memchr(b'>', &b[end + e..]).map(|c| end + e + c + 1))
                .unwrap_or(b.len());
            continue;
        }
        let attrs = html
            .get(start..)
            .and_then(attributes)
            .map(|(a, _, _)| a)
            .unwrap_or_default();
        let attr = |n: &str| attrs.get(n);
        if name == "a" && !builder.anchors.is_empty() {
            builder.close("a");
        }
        builder.open(&name, &attr);
        if is_void(&name) {
            builder.close(&name);
        }
        i = end;
    }
    builder.finish()
}

/// Reads a body fragment with html5ever. Iterative, so deeply nested markup cannot overflow the stack.
pub fn read_body_with_dom(html: &str) -> Body {
    let doc = Html::parse_fragment(html);
    let mut b = Builder::default();
    for edge in doc.root_element().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(el) => b.open(el.name(), &|n| el.attr(n).map(str::to_string)),
                Node::Text(t) => b.text(t),
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(el) = node.value() {
                    b.close(el.name());
                }
            }
        }
    }
    b.finish()
}

/// Elements without an end tag.
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}
/// Elements whose parsing html5ever treats specially (raw text, tables, foreign content, implied
/// structure): the tokenizer leaves them to html5ever.
fn is_special(name: &str) -> bool {
    matches!(
        name,
        "textarea"
            | "title"
            | "xmp"
            | "iframe"
            | "noembed"
            | "noframes"
            | "noscript"
            | "plaintext"
            | "template"
            | "svg"
            | "math"
            | "table"
            | "tbody"
            | "thead"
            | "tfoot"
            | "tr"
            | "td"
            | "th"
            | "caption"
            | "colgroup"
            | "col"
            | "select"
            | "option"
            | "optgroup"
            | "frameset"
            | "frame"
            | "head"
            | "body"
            | "html"
            | "form"
            | "button"
            | "listing"
            | "pre"
            | "image"
            | "nobr"
            | "ruby"
            | "rb"
            | "rp"
            | "rt"
            | "rtc"
            | "applet"
            | "marquee"
            | "object"
            | "isindex"
            | "keygen"
    )
}
/// Raw-text elements the tokenizer skips whole.
fn is_raw(name: &str) -> bool {
    matches!(name, "script" | "style")
}

/// Decodes entities, refusing (None) anything html5ever might read differently.
fn decode_strict(s: &str) -> Option<Cow<'_, str>> {
    if !s.contains('&') {
        return Some(Cow::Borrowed(s));
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        let end = rest.bytes().take(10).position(|b| b == b';')?;
        let name = &rest[..end];
        let ch = match name {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" => '\u{a0}',
            _ => {
                let n = if let Some(h) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                    u32::from_str_radix(h, 16).ok()?
                } else {
                    name.strip_prefix('#')?.parse::<u32>().ok()?
                };
                // Controls, surrogates and noncharacters get html5ever's replacements.
                if n < 0x20 || (0x7f..=0x9f).contains(&n) || (0xd800..=0xdfff).contains(&n) || n > 0x10ffff {
                    return None;
                }
                char::from_u32(n)?
            }
        };
        out.push(ch);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(Cow::Owned(out))
}

/// Reads a tag name at the start of `b` (ASCII letters, digits, `-`, `_`), lower-cased (borrowed
/// when it is lower-case already, as editors write it).
fn tag_name(b: &[u8]) -> Option<(Cow<'_, str>, usize)> {
    let len = b
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'-' || **c == b'_')
        .count();
    if len == 0 || !b[0].is_ascii_alphabetic() {
        return None;
    }
    let name = std::str::from_utf8(&b[..len]).ok()?;
    let name = if name.bytes().any(|c| c.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    };
    Some((name, len))
}

/// The attributes the [`Builder`] reads ([`Builder::open`] asks for these only): the first of
/// duplicates, as html5ever keeps it.
#[derive(Debug, Default)]
struct Kept {
    href: Option<String>,
    textvalue: Option<String>,
}

impl Kept {
    fn get(&self, name: &str) -> Option<String> {
        match name {
            "href" => self.href.clone(),
            "textvalue" => self.textvalue.clone(),
            _ => None,
        }
    }
}

/// Parses the attributes of a start tag from `b` (just after the name) up to `>`; returns those
/// the builder reads, whether the tag ended with `/>`, and the bytes consumed. None on anything
/// unusual (every value is checked, kept or not).
fn attributes(s: &str) -> Option<(Kept, bool, usize)> {
    let b = s.as_bytes();
    let mut attrs = Kept::default();
    let mut i = 0;
    loop {
        while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
            i += 1;
        }
        match *b.get(i)? {
            b'>' => return Some((attrs, false, i + 1)),
            b'/' if b.get(i + 1) == Some(&b'>') => return Some((attrs, true, i + 2)),
            _ => {}
        }
        let start = i;
        while b
            .get(i)
            .is_some_and(|c| !c.is_ascii_whitespace() && !matches!(c, b'=' | b'>' | b'/' | b'"' | b'\'' | b'<'))
        {
            i += 1;
        }
        if i == start {
            return None;
        }
        // Names and values end at ASCII bytes: slices of the text.
        let name = s.get(start..i)?;
        while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
            i += 1;
        }
        let value = if b.get(i) == Some(&b'=') {
            i += 1;
            while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
                i += 1;
            }
            match *b.get(i)? {
                q @ (b'"' | b'\'') => {
                    let len = memchr::memchr(q, &b[i + 1..])?;
                    let v = s.get(i + 1..i + 1 + len)?;
                    i += len + 2;
                    decode_strict(v)?
                }
                _ => return None,
            }
        } else {
            Cow::Borrowed("")
        };
        // html5ever keeps the first of duplicate attributes.
        let slot = if name.eq_ignore_ascii_case("href") {
            &mut attrs.href
        } else if name.eq_ignore_ascii_case("textvalue") {
            &mut attrs.textvalue
        } else {
            continue;
        };
        if slot.is_none() {
            *slot = Some(value.into_owned());
        }
    }
}

/// Where `</name` (any case) first starts in `hay`.
fn find_end_tag(hay: &[u8], name: &[u8]) -> Option<usize> {
    memchr::memmem::find_iter(hay, b"</").find(|&p| {
        hay.get(p + 2..p + 2 + name.len())
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })
}

/// The tokenizer: Some(body) for well-formed markup, None whenever html5ever should decide.
pub fn read_body_fast(html: &str) -> Option<Body> {
    let b = html.as_bytes();
    // html5ever rewrites NUL and CR; leave those pages to it.
    if memchr::memchr2(0, b'\r', b).is_some() {
        return None;
    }
    let mut builder = Builder::default();
    let mut stack: Vec<Cow<str>> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' {
            let len = memchr::memchr(b'<', &b[i..]).unwrap_or(b.len() - i);
            // Between two `<` (ASCII) or the ends: a slice of the text, no check needed.
            let text = html.get(i..i + len)?;
            builder.text(&decode_strict(text)?);
            i += len;
            continue;
        }
        let rest = &b[i + 1..];
        if rest.starts_with(b"!--") {
            let end = memchr::memmem::find(&rest[3..], b"-->")?;
            // html5ever ends "<!-->" and "<!--->" early; leave such comments to it.
            if end == 0 || rest[3..3 + end].starts_with(b"-") {
                return None;
            }
            i += 1 + 3 + end + 3;
            continue;
        }
        if rest.first() == Some(&b'/') {
            let (name, len) = tag_name(&rest[1..])?;
            let after = &rest[1 + len..];
            let close = after.iter().position(|c| *c == b'>')?;
            if !after[..close].iter().all(|c| c.is_ascii_whitespace()) || stack.last() != Some(&name) {
                return None;
            }
            stack.pop();
            builder.close(&name);
            i += 1 + 1 + len + close + 1;
            continue;
        }
        let (name, len) = tag_name(rest)?;
        if is_special(&name) {
            return None;
        }
        let (attrs, self_closing, used) = attributes(html.get(i + 1 + len..)?)?;
        let attr = |n: &str| attrs.get(n);
        i += 1 + len + used;
        if is_void(&name) {
            builder.open(&name, &attr);
            builder.close(&name);
        } else if self_closing {
            return None;
        } else if is_raw(&name) {
            // Skip to the matching end tag (found in place: no copy of the rest of the body).
            let end = find_end_tag(&b[i..], name.as_bytes())?;
            let close = memchr::memchr(b'>', &b[i + end..])?;
            builder.open(&name, &attr);
            builder.close(&name);
            i += end + close + 1;
        } else {
            // Implied end tags (a block inside a paragraph, a link in a link …) are html5ever's.
            let heading = |s: &str| matches!(s, "h1" | "h2" | "h3" | "h4" | "h5" | "h6");
            let implies_close = heading(&name) && stack.iter().any(|s| heading(s))
                || match name.as_ref() {
                    "a" => stack.iter().any(|s| s == "a"),
                    "p" | "li" | "dd" | "dt" | "div" | "section" | "ul" | "ol" | "blockquote" | "h1" | "h2" | "h3"
                    | "h4" | "h5" | "h6" | "hr" | "figure" | "figcaption" | "article" | "header" | "footer" | "dl"
                    | "center" | "details" | "summary" | "nav" | "aside" | "main" | "address" | "fieldset" | "menu" => {
                        stack.iter().any(|s| s == "p" || s == "li" || s == "dd" || s == "dt")
                    }
                    _ => false,
                };
            if implies_close || stack.len() > MAX_DOM_DEPTH {
                return None;
            }
            builder.open(&name, &attr);
            stack.push(name);
        }
    }
    if !stack.is_empty() {
        return None;
    }
    Some(builder.finish())
}

#[cfg(test)]
#[path = "body_tests.rs"]
mod tests_of_body;
