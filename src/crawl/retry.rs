//! `--retry-failed`: which recorded failures a run asks again, and failed URLs as people read them.
//!
//! A failure recorded for good (a 404, a deleted article, an oversized body) is never asked again
//! by later runs. When the cause was on our side (a misconfigured mirror answering 404), the
//! selected failures are asked again for one run: they stay in the state until they are asked
//! (an answer removes them, another failure records them again), so nothing is lost when the
//! run does not reach them.

use std::collections::BTreeSet;

use super::Known;
use crate::archive::{Failure, State};
use crate::report::IssueId;

/// What `--retry-failed` selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetrySelector {
    /// Every recorded failure but deleted articles and issues passed over as older than `since`.
    All,
    /// The failure recorded for this URL (as recorded, or percent-decoded).
    Url(String),
    /// The failures known to belong to this issue (its page, its PDF).
    Issue {
        /// The year in the issue's title.
        year: i32,
        /// The issue number.
        issue: u32,
    },
}

impl RetrySelector {
    /// Parses one value of `--retry-failed`: `all` (the bare flag), a URL or `YEAR/ISSUE`.
    pub fn parse(value: &str) -> Result<RetrySelector, String> {
        let v = value.trim();
        if v.is_empty() || v == "all" {
            return Ok(RetrySelector::All);
        }
        if let Some((y, i)) = v.split_once('/')
            && !y.is_empty()
            && !i.is_empty()
            && y.len() <= 4
            && y.bytes().chain(i.bytes()).all(|b| b.is_ascii_digit())
        {
            return match (y.parse(), i.parse()) {
                (Ok(year), Ok(issue)) if (1990..=2200).contains(&year) && (1..=60).contains(&issue) => {
                    Ok(RetrySelector::Issue { year, issue })
                }
                _ => Err("is not an issue (write YEAR/ISSUE, e.g. 2024/43)".into()),
            };
        }
        match url::Url::parse(v) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(RetrySelector::Url(v.to_string())),
            _ => Err(
                "is neither a URL as recorded in state.json (\"failed\") nor YEAR/ISSUE (e.g. 2024/43); \
                 give --retry-failed alone to ask every recorded failure again"
                    .into(),
            ),
        }
    }

    /// Whether this selector picks the failure recorded for `url`.
    fn picks(&self, url: &str, f: &Failure, known: &Known) -> bool {
        match self {
            RetrySelector::All => !matches!(f.kind.as_str(), "deleted" | "before_since"),
            RetrySelector::Url(u) => u == url || decode_all(u) == decode_all(url),
            RetrySelector::Issue { year, issue } => {
                f.issue.as_deref() == Some(format!("{year}/{issue}").as_str())
                    || known
                        .by_url
                        .get(url)
                        .is_some_and(|id| id.year == *year && id.issue == *issue)
                    || known.entries.iter().any(|(id, e)| {
                        id.year == *year
                            && id.issue == *issue
                            && e.observations
                                .values()
                                .map(|o| &o.report)
                                .chain([&e.report])
                                .any(|r| r.pdf.as_deref() == Some(url))
                    })
            }
        }
    }
}

impl std::fmt::Display for RetrySelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RetrySelector::All => write!(f, "all"),
            RetrySelector::Url(u) => write!(f, "{u}"),
            RetrySelector::Issue { year, issue } => write!(f, "{year}/{issue}"),
        }
    }
}

/// What a selection picks in one series.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// The failed URLs (as recorded) to ask again.
    pub urls: BTreeSet<String>,
    /// The selectors that picked nothing here.
    pub unmatched: Vec<RetrySelector>,
}

/// The recorded failures of a series that `selectors` pick.
pub fn select(state: &State, known: &Known, selectors: &[RetrySelector]) -> Selection {
    let mut selection = Selection::default();
    for s in selectors {
        let mut hit = false;
        for (url, f) in &state.failed {
            if s.picks(url, f, known) {
                hit = true;
                selection.urls.insert(url.clone());
            }
        }
        if !hit && *s != RetrySelector::All {
            selection.unmatched.push(s.clone());
        }
    }
    selection
}

/// Why `selector` picks no failure of a series, for the usage error.
pub fn why_unmatched(selector: &RetrySelector, known: &Known) -> String {
    let archived = |id: &IssueId| {
        known.entries.get(id).map(|e| match e.deleted_at {
            Some(at) => format!(
                "{}年第{}期, which is archived (deleted by its publisher on {}: the archived copy is kept)",
                id.year,
                id.issue,
                at.date_naive()
            ),
            None => format!("{}年第{}期, which is archived", id.year, id.issue),
        })
    };
    match selector {
        RetrySelector::All => "there is no recorded failure".into(),
        RetrySelector::Url(u) => {
            let id = known
                .by_url
                .iter()
                .find(|(k, _)| *k == u || decode_all(k) == decode_all(u))
                .map(|(_, id)| id.clone());
            match id.as_ref().and_then(archived) {
                Some(what) => format!(
                    "is the URL of {what}; it is not a recorded failure (an archived issue is not fetched again)"
                ),
                None => "is not among the recorded failures (give the URL as recorded, or percent-decoded)".into(),
            }
        }
        RetrySelector::Issue { year, issue } => {
            let id = known.entries.keys().find(|id| id.year == *year && id.issue == *issue);
            match id.and_then(archived) {
                Some(what) => format!("is {what}, and none of its links (page, PDF) is among the recorded failures"),
                None => "is not archived, and no recorded failure is known to belong to it (a failed page \
                         is known to belong to an issue when the website's listing named it)"
                    .into(),
            }
        }
    }
}

/// A failure for people: `URL (kind: reason)`, the URL percent-decoded.
pub fn describe_failure(url: &str, f: &Failure) -> String {
    format!(
        "{} ({}: {}, {})",
        readable_url(url),
        f.kind,
        f.reason,
        f.at.date_naive()
    )
}

/// `%XX` escapes decoded wherever they are, lossily (to compare URLs, not to show them).
fn decode_all(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match escaped(b, i) {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The byte a `%XX` escape at `i` stands for.
fn escaped(b: &[u8], i: usize) -> Option<u8> {
    if b.get(i) != Some(&b'%') {
        return None;
    }
    let hex = b.get(i + 1..i + 3)?;
    if !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
}

/// Whether a decoded character may be shown as itself (not a control, space or invisible mark
/// that would make the URL read as another).
fn shown(c: char) -> bool {
    !c.is_control()
        && !c.is_whitespace()
        && !matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
}

/// A URL as people read it: escapes of non-ASCII characters shown as the characters
/// (`%E5%91%A8%E6%8A%A5` → `周报`); ASCII escapes (`%2F`, `%20`), invalid UTF-8 and invisible or
/// control characters stay escaped. For display only: the state keeps the URL as recorded.
pub fn readable_url(url: &str) -> String {
    let b = url.as_bytes();
    let mut out = String::with_capacity(url.len());
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let mut run = Vec::new();
        while let Some(byte) = escaped(b, i).filter(|x| *x >= 0x80) {
            run.push(byte);
            i += 3;
        }
        if run.is_empty() {
            let here = url[i..].chars().next().map_or(1, char::len_utf8);
            let next = url[i + here..].find('%').map_or(b.len(), |n| i + here + n);
            out.push_str(&url[i..next]);
            i = next;
            continue;
        }
        match String::from_utf8(run) {
            Ok(s) if s.chars().all(shown) => out.push_str(&s),
            _ => out.push_str(&url[start..i]),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_read_with_their_characters_and_keep_ascii_escapes() {
        let raw = "https://www.cert.org.cn/upload/File/%E5%91%A8%E6%8A%A52024%E5%B9%B4.pdf?a=%2F%20b";
        assert_eq!(
            readable_url(raw),
            "https://www.cert.org.cn/upload/File/周报2024年.pdf?a=%2F%20b"
        );
        // Invalid UTF-8, invisible marks and controls stay escaped; a lone % is kept.
        for keep in [
            "x/%E5%91",
            "x/%E2%80%AEgpj.exe",
            "x/%C2%85",
            "100%",
            "%zz%",
            "%E3%80%80",
        ] {
            assert_eq!(readable_url(keep), keep);
        }
        assert_eq!(readable_url("a/周报%E5%91%A8"), "a/周报周");
    }

    /// A series' view with 2024年第39期 archived from `url`, deleted by its publisher, and one
    /// failure recorded: a 404 of another article.
    fn deleted_39(url: &str) -> (State, Known) {
        use crate::archive::Entry;
        use crate::assemble::{Observation, ReadVia, SourceKind};
        let now = crate::crawl::now();
        let report = crate::report::Report {
            series: Some("s".into()),
            year: Some(2024),
            issue: Some(39),
            url: Some(url.into()),
            ..Default::default()
        };
        let mut e = Entry::new(SourceKind::Wechat, Observation::new(report, ReadVia::Feed, now), now);
        e.deleted_at = Some(now);
        let mut known = Known {
            entries: Default::default(),
            by_url: Default::default(),
            touched: Default::default(),
            documents: Default::default(),
            retry: Default::default(),
        };
        let id = e.id().expect("an issue");
        known.index(&id, &e);
        known.entries.insert(id, e);
        let mut state = State::default();
        let failure = Failure {
            kind: "not_found".into(),
            reason: "HTTP 404".into(),
            at: now,
            permanent: true,
            since: None,
            issue: None,
        };
        state.failed.insert("https://x.cn/gone".into(), failure);
        (state, known)
    }

    #[test]
    fn an_archived_deleted_article_is_no_failure_and_says_so() {
        let url = "https://mp.weixin.qq.com/s/deleted";
        let (state, known) = deleted_39(url);
        let sel = [
            RetrySelector::Url(url.into()),
            RetrySelector::Issue { year: 2024, issue: 39 },
            RetrySelector::All,
        ];
        let picked = select(&state, &known, &sel);
        // Only the bare flag picks something: the 404.
        assert_eq!(picked.urls.iter().collect::<Vec<_>>(), ["https://x.cn/gone"]);
        assert_eq!(picked.unmatched, sel[..2]);
        for s in &sel[..2] {
            let why = why_unmatched(s, &known);
            assert!(
                why.contains("2024年第39期") && why.contains("deleted by its publisher"),
                "{why}"
            );
        }
    }

    #[test]
    fn selectors_parse() {
        assert_eq!(RetrySelector::parse("all"), Ok(RetrySelector::All));
        assert_eq!(
            RetrySelector::parse("2024/43"),
            Ok(RetrySelector::Issue { year: 2024, issue: 43 })
        );
        assert!(RetrySelector::parse("2024/99").is_err());
        assert!(RetrySelector::parse("+2024/4").is_err());
        assert!(RetrySelector::parse("not a url").is_err());
        assert!(RetrySelector::parse("ftp://x/y").is_err());
        assert_eq!(
            RetrySelector::parse("https://x.cn/周报.pdf"),
            Ok(RetrySelector::Url("https://x.cn/周报.pdf".into()))
        );
        assert_eq!(decode_all("https://x.cn/%E5%91%A8.pdf"), "https://x.cn/周.pdf");
    }
}
