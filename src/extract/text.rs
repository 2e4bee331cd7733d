//! Text as the patterns read it: one line normalized (NFKC, zero-width characters and URLs
//! dropped, whitespace next to Chinese removed), titles, captions.

use unicode_normalization::UnicodeNormalization;

/// Trims and collapses runs of whitespace to one space.
pub fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Whether a character is CJK (ideographs, CJK punctuation, full-width forms).
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF | 0x3000..=0x303F | 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF | 0x20000..=0x2FA1F)
}

/// Normalizes one line of text: NFKC, zero-width characters dropped, whitespace next to CJK
/// removed, other runs of whitespace collapsed, URLs removed.
pub fn normalize_line(s: &str) -> String {
    normalize_simple_line(s).unwrap_or_else(|| normalize_any_line(s))
}

/// [`normalize_line`] for any line, pass after pass.
pub(super) fn normalize_any_line(s: &str) -> String {
    let joined = join_ligatures(s);
    let nfkc: String = match simple_nfkc(&joined) {
        Some(n) => n,
        None => joined
            .nfkc()
            .filter(|c| !matches!(c, '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}'))
            .map(fold_radical)
            .collect(),
    };
    let without_urls = remove_urls(&nfkc);
    let mut out = String::with_capacity(without_urls.len());
    let mut chars = without_urls.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            push_space(&mut out, chars.peek().copied());
            continue;
        }
        out.push(c);
    }
    out
}

/// Ends a run of whitespace in a normalized line: one space, unless the run begins or ends the
/// line or touches a Chinese character or a bracket (`next` is what follows the run).
fn push_space(out: &mut String, next: Option<char>) {
    let tight = |c: char| is_cjk(c) || matches!(c, '(' | ')' | '[' | ']');
    let prev = out.chars().next_back();
    let glue = prev.is_none() || next.is_none() || prev.is_some_and(tight) || next.is_some_and(tight);
    if !glue {
        out.push(' ');
    }
}

/// [`normalize_line`] in one pass for a line of [`simple_nfkc`]'s characters without a URL (most
/// lines): each character mapped, whitespace handled as it comes. `None` for any other line.
/// (A ligature, a zero-width character or a radical is no such character; whitespace handling
/// neither makes nor breaks `://` or `www.`, so finding none in the result means there was none.)
pub(super) fn normalize_simple_line(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let c = simple_nfkc_char(c)?;
        if c.is_whitespace() {
            let mut next = None;
            while let Some(&n) = chars.peek() {
                let n = simple_nfkc_char(n)?;
                if !n.is_whitespace() {
                    next = Some(n);
                    break;
                }
                chars.next();
            }
            push_space(&mut out, next);
            continue;
        }
        out.push(c);
    }
    (!out.contains("://") && !out.contains("www.")).then_some(out)
}

/// NFKC of a line made only of characters whose NFKC is one fixed character each and that never
/// compose with a neighbour (ASCII, CJK ideographs, common CJK punctuation, full-width forms,
/// the ideographic space): the characters mapped one by one, as NFKC would, without its
/// decomposition and recomposition. `None` for any other line (NFKC then runs as it is); neither
/// zero-width characters nor radicals are among them, so dropping and folding those has nothing to do.
pub(super) fn simple_nfkc(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        out.push(simple_nfkc_char(c)?);
    }
    Some(out)
}

/// NFKC of one character of [`simple_nfkc`]'s set; `None` outside it.
pub(super) fn simple_nfkc_char(c: char) -> Option<char> {
    Some(match c as u32 {
        // ASCII (controls too: tab and line breaks) and CJK unified ideographs are their own NFKC.
        0x00..=0x7F | 0x4E00..=0x9FFF => c,
        // 、。〃 〈〉《》「」『』【】 and ‘’“” — — …: stable.
        0x3001..=0x3003 | 0x3008..=0x3011 | 0x2018 | 0x2019 | 0x201C | 0x201D | 0x2014 => c,
        // The ideographic space is a space.
        0x3000 => ' ',
        // Symbols with no decomposition that compose with nothing: · × ° – ― • ←…↙ ■…◿ ★ ☆ 〔〕〖〗.
        0xB7
        | 0xD7
        | 0xB0
        | 0x2013
        | 0x2015
        | 0x2022
        | 0x2190..=0x2199
        | 0x25A0..=0x25FF
        | 0x2605
        | 0x2606
        | 0x3014..=0x3017 => c,
        // Full-width ASCII (！ to ～) is ASCII.
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFF01 + 0x21)?,
        _ => return None,
    })
}

/// The ordinary character a CJK radical form stands for, where a font maps its glyph to the radical
/// (Qt's wkhtmltopdf writes ⻢ U+2EE2 for 马, ⻔ for 门, ⻚ for 页 …). Kangxi Radicals and CJK
/// Compatibility Ideographs are already folded by NFKC; the CJK Radicals Supplement is not.
fn fold_radical(c: char) -> char {
    match c {
        '\u{2EA0}' => '民',
        '\u{2EA9}' => '王',
        '\u{2EB0}' => '纟',
        '\u{2EC1}' => '虎',
        '\u{2EC4}' => '西',
        '\u{2EC5}' => '见',
        '\u{2EC6}' => '角',
        '\u{2EC8}' => '讠',
        '\u{2EC9}' => '贝',
        '\u{2ECB}' => '车',
        '\u{2ED0}' => '钅',
        '\u{2ED3}' => '长',
        '\u{2ED4}' => '门',
        '\u{2ED8}' => '青',
        '\u{2ED9}' => '韦',
        '\u{2EDA}' => '页',
        '\u{2EDB}' => '风',
        '\u{2EDC}' => '飞',
        '\u{2EDD}' => '食',
        '\u{2EE0}' => '饣',
        '\u{2EE2}' => '马',
        '\u{2EE3}' => '骨',
        '\u{2EE4}' => '鬼',
        '\u{2EE5}' => '鱼',
        '\u{2EE6}' => '鸟',
        '\u{2EE7}' => '卤',
        '\u{2EE8}' => '麦',
        '\u{2EE9}' => '黄',
        '\u{2EEA}' => '黾',
        '\u{2EEC}' => '齐',
        '\u{2EEE}' => '齿',
        '\u{2EF0}' => '龙',
        '\u{2EF3}' => '龟',
        other => other,
    }
}

/// Latin ligatures (ﬁ ﬂ ﬀ ﬃ ﬄ ﬅ ﬆ, U+FB00–FB06) with the spaces a PDF reader put around them
/// removed where letters stand on both sides (`con ﬁ cker` is `conﬁcker`); NFKC then spells them.
fn join_ligatures(s: &str) -> std::borrow::Cow<'_, str> {
    let is_ligature = |c: char| ('\u{FB00}'..='\u{FB06}').contains(&c);
    if !s.chars().any(is_ligature) {
        return std::borrow::Cow::Borrowed(s);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        if c.is_whitespace() {
            let before = chars[..i].iter().rev().find(|c| !c.is_whitespace());
            let after = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            let letter = |c: Option<&char>| c.is_some_and(|c| c.is_ascii_alphabetic() || is_ligature(*c));
            let touches = before.is_some_and(|c| is_ligature(*c)) || after.is_some_and(|c| is_ligature(*c));
            if touches && letter(before) && letter(after) {
                continue;
            }
        }
        out.push(c);
    }
    std::borrow::Cow::Owned(out)
}

/// Removes `http://…` and `https://…` runs (and `www.` hosts) so that their digits never become figures.
fn remove_urls(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains("://") && !s.contains("www.") {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    loop {
        let next = ["https://", "http://", "www."]
            .iter()
            .filter_map(|p| rest.find(p))
            .min();
        let Some(i) = next else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail
            .char_indices()
            .find(|(_, c)| c.is_whitespace() || is_cjk(*c) || matches!(c, '"' | '\'' | '<' | '>' | ')'))
            .map(|(e, _)| e)
            .unwrap_or(tail.len());
        out.push(' ');
        rest = &tail[end..];
    }
    std::borrow::Cow::Owned(out)
}

/// Whether a normalized line is a figure or table caption (图1 …, 表2 …).
pub(crate) fn is_caption(line: &str) -> bool {
    let mut chars = line.chars();
    matches!(chars.next(), Some('图' | '表')) && chars.next().is_some_and(|c| c.is_ascii_digit())
}

/// Normalizes a title: NFKC and whitespace next to CJK removed (parentheses become ASCII).
pub fn normalize_title(s: &str) -> String {
    normalize_line(s).trim().to_string()
}
