//! Values a WeChat page's scripts assign, read as data, never run: `var x = "…" || "";`,
//! `x: JsDecode('…')`, `d.x = xml ? getXmlValue('x.DATA') : '…'`, `x: '1762338600' * 1`. Only an
//! expression made of string literals counts; a string that is part of any other expression
//! (`'…' + f(x) + '…'`) is no value.

/// Whether the name found at `hit` starts there (not the tail of a longer identifier, an attribute
/// name such as `data-miniprogram-nickname`, or a URL's query); a member access counts only for
/// `window.` and `d.` (the object of WeChat's picture posts).
pub(super) fn starts_identifier(page: &[u8], hit: usize) -> bool {
    let Some(&prev) = hit.checked_sub(1).and_then(|p| page.get(p)) else {
        return true;
    };
    if prev == b'.' {
        let object = &page[..hit - 1];
        let ident_end = |n: usize| {
            object.len() == n
                || object
                    .get(object.len() - n - 1)
                    .is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$' || *b == b'.'))
        };
        return (object.ends_with(b"window") && ident_end(6)) || (object.ends_with(b"d") && ident_end(1));
    }
    // A URL's query inside a script string (`…&amp;mid=…`, `?mid=`) is no assignment either.
    if matches!(prev, b'&' | b'?' | b'#' | b'/' | b'-') || page[..hit].ends_with(b"&amp;") {
        return false;
    }
    !(prev.is_ascii_alphanumeric() || prev == b'_' || prev == b'$')
}

/// Position of the value assigned to `name` at `hit` (after `name =` or the object literal's
/// `name:`), or `None` when that occurrence is not an assignment (`==`, a longer name).
fn assignment_value_start(page: &[u8], hit: usize, name: &str) -> Option<usize> {
    let mut p = hit + name.len();
    while page.get(p).is_some_and(|b| *b == b' ' || *b == b'\t') {
        p += 1;
    }
    match page.get(p) {
        Some(b'=') if page.get(p + 1) != Some(&b'=') => {}
        Some(b':') if p == hit + name.len() => {}
        _ => return None,
    }
    p += 1;
    Some(skip_space(page, p, page.len()))
}

fn skip_space(page: &[u8], mut p: usize, limit: usize) -> usize {
    while p < limit && page[p].is_ascii_whitespace() {
        p += 1;
    }
    p
}

/// The quoted literal starting at `p`, kept as written, and the position after its closing quote.
/// An unterminated literal (a line break or the limit first) is none.
fn quoted(page: &[u8], p: usize, limit: usize) -> Option<(&[u8], usize)> {
    let q = *page.get(p).filter(|_| p < limit)?;
    if q != b'"' && q != b'\'' {
        return None;
    }
    let mut e = p + 1;
    while e < limit && page[e] != q {
        if page[e] == b'\n' {
            return None;
        }
        e += if page[e] == b'\\' { 2 } else { 1 };
    }
    (e < limit).then(|| (&page[p + 1..e], e + 1))
}

/// A literal, bare or as the one argument of `htmlDecode(…)`, `JsDecode(…)` or `getXmlValue(…)`,
/// followed by what may follow a literal value (`* 1`, `.html(false)`).
fn literal(page: &[u8], p: usize, limit: usize) -> Option<(&[u8], usize)> {
    let rest = &page[p..limit];
    let wrapper = [&b"htmlDecode("[..], b"JsDecode(", b"getXmlValue("]
        .into_iter()
        .find(|w| rest.starts_with(w));
    let (lit, mut after) = match wrapper {
        Some(w) => {
            let (lit, after) = quoted(page, skip_space(page, p + w.len(), limit), limit)?;
            let after = skip_space(page, after, limit);
            (page.get(after) == Some(&b')')).then_some((lit, after + 1))?
        }
        None => quoted(page, p, limit)?,
    };
    for suffix in [&b".html(false)"[..], b".html(true)", b".html()"] {
        if page[after..limit].starts_with(suffix) {
            after += suffix.len();
        }
    }
    let s = skip_space(page, after, limit);
    if page.get(s) == Some(&b'*') {
        let n = skip_space(page, s + 1, limit);
        let digits = page[n..limit].iter().take_while(|b| b.is_ascii_digit()).count();
        if digits > 0 {
            after = n + digits;
        }
    }
    Some((lit, after))
}

/// The first non-empty literal of the value expression at `p`, or `None` when the expression is
/// anything but literals joined by `||` (after the `cond ? getXmlValue('…') :` of picture posts).
fn literal_value(page: &[u8], p: usize, limit: usize) -> Option<Vec<u8>> {
    let mut p = p;
    // `xml ? getXmlValue('title.DATA') : '…'`: the literal is the page's own value.
    let ident = page[p..limit]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    let q = skip_space(page, p + ident, limit);
    if ident > 0 && page.get(q) == Some(&b'?') {
        let (_, after) = literal(page, skip_space(page, q + 1, limit), limit)?;
        let c = skip_space(page, after, limit);
        if page.get(c) != Some(&b':') {
            return None;
        }
        p = skip_space(page, c + 1, limit);
    }
    let mut found: Option<&[u8]> = None;
    let end = loop {
        let (lit, after) = literal(page, p, limit)?;
        if found.is_none() && !lit.is_empty() {
            found = Some(lit);
        }
        p = skip_space(page, after, limit);
        if !page[p..limit].starts_with(b"||") {
            break after;
        }
        p = skip_space(page, p + 2, limit);
    };
    // The expression ends here (a line break ends a statement too), or the literal was part of a
    // longer one (`'…' + x`).
    let e = end
        + page[end..limit]
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
    match page.get(e).filter(|_| e < limit) {
        None | Some(b';' | b',' | b'}' | b')' | b'<' | b'\n' | b'\r') => found.map(<[u8]>::to_vec),
        _ => None,
    }
}

/// The first non-empty literal value (see [`literal_value`]) assigned to `name` at one of the
/// hits; later assignments (`var biz = null;`) do not undo an earlier value. Escapes are kept as
/// written (see [`js_unescape`]).
pub(super) fn script_string(page: &[u8], hits: &[usize], name: &str) -> Option<Vec<u8>> {
    hits.iter().find_map(|&hit| {
        let p = assignment_value_start(page, hit, name)?;
        literal_value(page, p, (p + 64 * 1024).min(page.len()))
    })
}

/// An unquoted number assigned at one of the hits (`oriCreateTime = 1730367000`).
pub(super) fn script_number(page: &[u8], hits: &[usize], name: &str) -> Option<String> {
    hits.iter().find_map(|&hit| {
        let p = assignment_value_start(page, hit, name)?;
        let len = page[p..].iter().take(20).take_while(|b| b.is_ascii_digit()).count();
        (len > 0).then(|| String::from_utf8_lossy(&page[p..p + len]).into_owned())
    })
}

/// Undoes JavaScript string escapes: `\x26`, `\u4e2d`, surrogate pairs (`\ud83d\udd25` is one
/// character), `\u{1F525}`, `\"`, `\\`, line continuations; `\n`, `\r`, `\t` and the other
/// control escapes become a space (titles are one line). A lone surrogate becomes U+FFFD.
pub fn js_unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let hex = |from: usize, len: usize| -> Option<u32> {
        let h: String = chars.get(from..from + len)?.iter().collect();
        if h.chars().all(|c| c.is_ascii_hexdigit()) {
            u32::from_str_radix(&h, 16).ok()
        } else {
            None
        }
    };
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let Some(&next) = chars.get(i + 1) else {
            break;
        };
        match next {
            'x' => match hex(i + 2, 2).and_then(char::from_u32) {
                Some(ch) => {
                    out.push(ch);
                    i += 4;
                }
                None => {
                    out.push('x');
                    i += 2;
                }
            },
            'u' if chars.get(i + 2) == Some(&'{') => {
                let close = chars[i + 3..].iter().position(|c| *c == '}').map(|p| i + 3 + p);
                let value = close.and_then(|e| hex(i + 3, e - (i + 3)).filter(|_| e > i + 3 && e - (i + 3) <= 6));
                match (close, value) {
                    (Some(e), Some(v)) => {
                        out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
                        i = e + 1;
                    }
                    _ => {
                        out.push('u');
                        i += 2;
                    }
                }
            }
            'u' => match hex(i + 2, 4) {
                Some(high @ 0xD800..=0xDBFF) => {
                    let low = (chars.get(i + 6) == Some(&'\\') && chars.get(i + 7) == Some(&'u'))
                        .then(|| hex(i + 8, 4))
                        .flatten()
                        .filter(|l| (0xDC00..=0xDFFF).contains(l));
                    match low {
                        Some(low) => {
                            let cp = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                            out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                            i += 12;
                        }
                        None => {
                            out.push('\u{fffd}');
                            i += 6;
                        }
                    }
                }
                Some(v) => {
                    out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
                    i += 6;
                }
                None => {
                    out.push('u');
                    i += 2;
                }
            },
            'n' | 'r' | 't' | 'b' | 'f' | 'v' => {
                out.push(' ');
                i += 2;
            }
            '0' if !chars.get(i + 2).is_some_and(|c| c.is_ascii_digit()) => i += 2,
            // A line continuation: nothing.
            '\n' => i += 2,
            '\r' => i += if chars.get(i + 2) == Some(&'\n') { 3 } else { 2 },
            other => {
                out.push(other);
                i += 2;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(page: &str, name: &str) -> Option<String> {
        let hits: Vec<usize> = page.match_indices(name).map(|(i, _)| i).collect();
        script_string(page.as_bytes(), &hits, name).map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    #[test]
    fn literal_forms_are_values() {
        assert_eq!(
            value(r#"var nickname = htmlDecode("甲");"#, "nickname").as_deref(),
            Some("甲")
        );
        assert_eq!(
            value("x = { nick_name: JsDecode('乙'), a: 1 }", "nick_name").as_deref(),
            Some("乙")
        );
        assert_eq!(value("x = {nick_name:'丙'}", "nick_name").as_deref(), Some("丙"));
        assert_eq!(
            value("create_time: '1762338600' * 1,", "create_time").as_deref(),
            Some("1762338600")
        );
        assert_eq!(
            value("d.title = xml ? getXmlValue('title.DATA') : '丁';", "title").as_deref(),
            Some("丁")
        );
        assert_eq!(value("var biz = \"\" || \"MzI=\";", "biz").as_deref(), Some("MzI="));
        assert_eq!(value("var ct = \"1\"\nvar x = 2", "ct").as_deref(), Some("1"));
    }

    #[test]
    fn strings_inside_expressions_are_no_values() {
        let page =
            r#"s = '<a data-miniprogram-nickname="' + (getAttr(str[i], 'data-miniprogram-nickname') || '') + '">';"#;
        assert_eq!(value(page, "nickname"), None);
        assert_eq!(value("var nickname = '甲' + x;", "nickname"), None);
        assert_eq!(value("var nickname = f('甲');", "nickname"), None);
        assert_eq!(value("var nickname = \"unterminated\nmore\";", "nickname"), None);
    }

    #[test]
    fn a_later_null_does_not_undo_an_earlier_value() {
        let page = "var biz = \"MzI=\" || \"\";\nvar biz = null;";
        assert_eq!(value(page, "biz").as_deref(), Some("MzI="));
        assert_eq!(
            value("var biz = null; var biz = '' || 'MzI=';", "biz").as_deref(),
            Some("MzI=")
        );
    }
}
