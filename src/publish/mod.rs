//! Rendering the archive into the files people subscribe to: RSS 2.0, Atom 1.0, JSON Feed 1.1,
//! CSV/JSON data, an HTML page per series with charts, a front page and an OPML list.
//!
//! One function, [`FeedModel::build`], decides which issues go into the feeds, in which order, and
//! the feed's `updated`; each writer only maps fields. Nothing here reads the clock or the network,
//! so an unchanged archive renders to byte-identical files.

pub mod atom;
mod charts;
pub mod content;
pub mod data;
pub mod html;
pub mod jsonfeed;
pub mod lang;
pub mod links;
pub mod opml;
pub mod rss;
mod summary;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;

use crate::archive::{Archive, Entry, to_sorted_json, write_atomic};
use crate::config::{Config, MetricKind, Series, Site};
use crate::error::Result;
use crate::report::MetricValue;

pub use self::lang::Lang;
pub use self::summary::{figure_cell, figure_cell_in, short_count, summary_line, summary_line_in};

/// The XML namespace of the figures in RSS and Atom (contract).
pub const NS_URI: &str = "https://github.com/cncert-feed/cncert-feed/ns/report/1.0";
/// The prefix bound to [`NS_URI`].
pub const NS_PREFIX: &str = "cncert";

/// How many files `render` wrote.
#[derive(Debug, Default, Clone)]
pub struct Written {
    /// Files produced.
    pub total: usize,
    /// Files whose content changed on disk.
    pub changed: usize,
    /// What could not be published and was skipped (a health report that cannot be read).
    pub notes: Vec<String>,
}

impl Written {
    fn file(&mut self, path: &Path, content: &[u8]) -> Result<()> {
        self.total += 1;
        if write_atomic(path, content)? {
            self.changed += 1;
        }
        Ok(())
    }
}

/// The change of one figure against the previous issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Change {
    /// Difference of two counts.
    Delta(i64),
    /// A rating that changed from the previous one (or stayed).
    Level {
        /// The previous issue's rating.
        from: String,
    },
}

/// The figures of one issue as the feeds carry them (`_report` in JSON Feed).
#[derive(Debug, Clone, Serialize)]
pub struct ReportData {
    /// Series id.
    pub series: String,
    /// Year.
    pub year: i32,
    /// Issue number.
    pub issue: u32,
    /// First day of the week.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_start: Option<NaiveDate>,
    /// Last day of the week.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_end: Option<NaiveDate>,
    /// Overall assessment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assessment: Option<String>,
    /// Figures by key.
    pub metrics: BTreeMap<String, MetricValue>,
    /// Change of each figure against the previous issue, where both are known.
    pub changes: BTreeMap<String, Change>,
}

/// One feed entry, format-neutral.
#[derive(Debug, Clone)]
pub struct Item<'a> {
    /// The archived entry.
    pub entry: &'a Entry,
    /// Stable tag URI.
    pub id: String,
    /// Title.
    pub title: String,
    /// The article's URL; for a record without a web URL (a saved page or PDF imported from
    /// disk), its row on the series page ([`links::row_link`]); empty when neither exists.
    pub link: String,
    /// Publication time (falls back to the end of the week, then to first archiving).
    pub published: DateTime<FixedOffset>,
    /// When the figures last changed.
    pub updated: DateTime<FixedOffset>,
    /// One line of figures.
    pub summary: String,
    /// Figures table plus the sanitized article body.
    pub content_html: String,
    /// Machine-readable figures.
    pub data: ReportData,
    /// The report's PDF and its size in bytes, when it was downloaded (feeds enclose it).
    pub pdf: Option<(String, u64)>,
}

/// The PDF of an archived issue with its size, when the website's copy was downloaded: its URL
/// resolved against the page that links it ([`links::enclosure`]).
pub fn pdf_of(e: &Entry) -> Option<(String, u64)> {
    links::enclosure(e).map(|(u, size)| (xml_safe(&u), size))
}

/// A series ready to render.
#[derive(Debug)]
pub struct FeedModel<'a> {
    /// The series.
    pub series: &'a Series,
    /// Site settings.
    pub site: &'a Site,
    /// Every archived issue, oldest first.
    pub all: Vec<&'a Entry>,
    /// Figures per issue in `all` order.
    pub data: Vec<ReportData>,
    /// Feed entries, newest first, at most `feed_limit`.
    pub items: Vec<Item<'a>>,
    /// The feed's `updated`: the newest entry's.
    pub updated: DateTime<FixedOffset>,
    /// The last run's data status line (the health report), for the series page.
    pub status: Option<String>,
    /// The edition: its titles, labels, ids and where its files go.
    pub lang: Lang,
}

/// The stable id of an issue: it never changes when its URL does.
pub fn tag_uri(series: &str, year: i32, issue: u32) -> String {
    format!("tag:cncert-feed,2024:{series}/{year}/{issue}")
}

/// An absolute URL of a published file, or a relative one when `site.base_url` is unset.
pub fn public_url(site: &Site, rel: &str) -> String {
    match &site.base_url {
        Some(b) => b.join(rel).map(|u| u.to_string()).unwrap_or_else(|_| rel.to_string()),
        None => rel.to_string(),
    }
}

/// Strips characters XML 1.0 forbids (C0 controls but tab, CR, LF; U+FFFE, U+FFFF; lone
/// surrogates cannot occur in Rust strings) and those feed validators flag: C1 controls,
/// noncharacters and U+FFFD left by undecodable bytes.
pub fn xml_safe(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            let n = c as u32;
            matches!(c, '\t' | '\n' | '\r')
                || (c >= ' '
                    && !(0x7f..=0x9f).contains(&n)
                    && !(0xfdd0..=0xfdef).contains(&n)
                    && (n & 0xfffe) != 0xfffe
                    && c != '\u{fffd}')
        })
        .collect()
}

/// Time used for an entry: the article's publication, else the end of its week, else first archiving.
fn published_of(e: &Entry) -> DateTime<FixedOffset> {
    e.report
        .published
        .or_else(|| {
            e.report
                .period_end
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .and_then(|n| n.and_local_timezone(crate::report::beijing()).single())
        })
        .unwrap_or(e.first_seen)
}

/// Change of each figure of `cur` against `prev`.
fn changes(series: &Series, cur: &Entry, prev: Option<&Entry>) -> BTreeMap<String, Change> {
    let mut out = BTreeMap::new();
    let Some(prev) = prev else { return out };
    for m in &series.metrics {
        match (cur.report.metrics.get(&m.key), prev.report.metrics.get(&m.key)) {
            (Some(MetricValue::Count(a)), Some(MetricValue::Count(b))) => {
                out.insert(m.key.clone(), Change::Delta(a - b));
            }
            (Some(MetricValue::Level(_)), Some(MetricValue::Level(b))) if m.kind == MetricKind::Level => {
                out.insert(m.key.clone(), Change::Level { from: xml_safe(b) });
            }
            _ => {}
        }
    }
    out
}

/// The issue of the week right before `cur` among `all`: the one whose week ends the day
/// before `cur`'s starts (up to two days apart, or sharing a day, for holiday weeks); where a
/// week is unknown, the previous issue number of the same year. A missing week gives `None`:
/// a change is only ever between consecutive weeks.
fn previous_of(
    cur: &Entry,
    all: &[&Entry],
    by_end: &HashMap<NaiveDate, usize>,
    by_number: &HashMap<(i32, u32), usize>,
) -> Option<usize> {
    let same = |i: &usize| !std::ptr::eq(all[*i], cur);
    match cur.report.period_start {
        Some(s) => [1, 2, 0]
            .into_iter()
            .map(|d| s - chrono::Duration::days(d))
            .find_map(|end| by_end.get(&end).copied().filter(same)),
        None => {
            let (y, n) = (cur.report.year?, cur.report.issue?);
            by_number
                .get(&(y, n.checked_sub(1)?))
                .copied()
                .filter(same)
                .filter(|i| all[*i].report.period_start.is_none())
        }
    }
}

/// Formats a change as the feeds show it: ▲12, ▼5, –.
pub fn change_mark(c: Option<&Change>, cur: Option<&MetricValue>) -> String {
    match (c, cur) {
        (Some(Change::Delta(d)), _) if *d > 0 => format!("▲{d}"),
        (Some(Change::Delta(d)), _) if *d < 0 => format!("▼{}", -d),
        (Some(Change::Delta(_)), _) => "–".to_string(),
        (Some(Change::Level { from }), Some(MetricValue::Level(now))) if from != now => format!("{from}→{now}"),
        (Some(Change::Level { .. }), _) => "–".to_string(),
        (None, _) => String::new(),
    }
}

/// Escapes text where it enters HTML, as element content or a (quoted) attribute value:
/// `& < > " '` become `&amp; &lt; &gt; &quot; &#39;`; everything else is kept. The one rule of the
/// crate: text (from the archive or the config) is escaped exactly once, by this function, at the
/// point where it is put into HTML (feed content, pages, Telegram, the e-mail's HTML part), and
/// never where a field is plain text (titles, summaries, chat markdown). Sanitized HTML (the
/// article body) is not text and does not go through it. Borrows when nothing needs escaping.
pub fn escape_html(s: &str) -> Cow<'_, str> {
    let special = |c: char| matches!(c, '&' | '<' | '>' | '"' | '\'');
    let Some(first) = s.find(special) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 16);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A URL from the archive as an `href` value: escaped like any text ([`esc`]), and only when it
/// is an http(s) URL ([`links::resolve`] without a page: a protocol-relative one is taken as
/// https); `None` for anything else (`javascript:`, `data:`, a relative path, no URL at all),
/// which then gets no link. An absolute URL is not rewritten, so ordinary links stay as archived.
pub fn escape_href(u: &str) -> Option<String> {
    links::resolve(u, None).map(|u| esc(&u))
}

/// Text for a feed or page: what XML refuses dropped ([`xml_safe`]), then [`escape_html`].
pub fn esc(s: &str) -> String {
    escape_html(&xml_safe(s)).into_owned()
}

impl<'a> FeedModel<'a> {
    /// Decides the feed: every issue's figures and changes, then the newest `feed_limit` as items
    /// (newest first by publication time, ties broken by year and issue), and the feed's `updated`.
    pub fn build(series: &'a Series, site: &'a Site, entries: &'a [Entry]) -> FeedModel<'a> {
        FeedModel::build_in(series, site, entries, Lang::Zh)
    }

    /// [`FeedModel::build`] for an edition: the same issues in the same order, with the edition's
    /// ids, titles, summaries and content.
    pub fn build_in(series: &'a Series, site: &'a Site, entries: &'a [Entry], lang: Lang) -> FeedModel<'a> {
        let mut all: Vec<&Entry> = entries.iter().filter(|e| e.id().is_some()).collect();
        all.sort_by_key(|e| (e.report.period_start, e.report.year, e.report.issue));
        let mut by_end: HashMap<NaiveDate, usize> = HashMap::new();
        let mut by_number: HashMap<(i32, u32), usize> = HashMap::new();
        for (i, e) in all.iter().enumerate() {
            if let Some(end) = e.report.period_end {
                by_end.insert(end, i);
            }
            if let (Some(y), Some(n)) = (e.report.year, e.report.issue) {
                by_number.insert((y, n), i);
            }
        }
        let data: Vec<ReportData> = all
            .iter()
            .map(|e| {
                let prev = previous_of(e, &all, &by_end, &by_number).map(|p| all[p]);
                ReportData {
                    series: series.id.clone(),
                    year: e.report.year.unwrap_or_default(),
                    issue: e.report.issue.unwrap_or_default(),
                    period_start: e.report.period_start,
                    period_end: e.report.period_end,
                    assessment: e.report.assessment.as_deref().map(xml_safe),
                    metrics: e
                        .report
                        .metrics
                        .iter()
                        .map(|(k, v)| {
                            let v = match v {
                                MetricValue::Level(l) => MetricValue::Level(xml_safe(l)),
                                other => other.clone(),
                            };
                            (k.clone(), v)
                        })
                        .collect(),
                    changes: changes(series, e, prev),
                }
            })
            .collect();
        let mut order: Vec<usize> = (0..all.len()).collect();
        order.sort_by(|&a, &b| {
            let ka = (published_of(all[a]), all[a].report.year, all[a].report.issue);
            let kb = (published_of(all[b]), all[b].report.year, all[b].report.issue);
            kb.cmp(&ka)
        });
        order.truncate(site.feed_limit);
        let items: Vec<Item> = order
            .into_iter()
            .map(|i| {
                let e = all[i];
                let d = &data[i];
                let title = match lang {
                    Lang::Zh => xml_safe(e.report.title.as_deref().unwrap_or_default()),
                    Lang::En => xml_safe(&lang::title_en(series, d)),
                };
                Item {
                    entry: e,
                    id: lang.tag_uri(&series.id, d.year, d.issue),
                    title,
                    link: links::article_url(e)
                        .or_else(|| links::row_link(site, &format!("{}{}", series.id, lang.folder()), d.year, d.issue))
                        .unwrap_or_default(),
                    published: published_of(e),
                    updated: e.updated.max(published_of(e)),
                    summary: summary_line_in(series, d, lang),
                    content_html: content::item_content_in(series, site, e, d, lang),
                    data: d.clone(),
                    pdf: pdf_of(e),
                }
            })
            .collect();
        let mut items = items;
        distinct_updated(&mut items);
        let updated = items
            .iter()
            .map(|i| i.updated)
            .max()
            .unwrap_or_else(|| DateTime::from_timestamp(0, 0).unwrap_or_default().fixed_offset());
        FeedModel {
            series,
            site,
            all,
            data,
            items,
            updated,
            status: None,
            lang,
        }
    }

    /// Categories of an item: the series and the assessment.
    pub fn categories(&self, item: &Item) -> Vec<String> {
        let mut c = vec![self.title().to_string()];
        if let Some(a) = &item.data.assessment {
            c.push(match self.lang {
                Lang::Zh => format!("态势{a}"),
                Lang::En => format!("Rating: {}", self.lang.rating(a)),
            });
        }
        c
    }

    /// The feed's own URL for a file name (`rss.xml` …), in the edition's folder.
    pub fn url_of(&self, file: &str) -> String {
        public_url(self.site, &format!("{}/{}{file}", self.series.id, self.lang.dir()))
    }

    /// The series' name in this edition.
    pub fn title(&self) -> &str {
        self.lang.series_title(self.series)
    }
}

/// Makes every item's `updated` distinct (Atom readers and validators treat equal times as one
/// change): equal times, e.g. after `crawl --reextract` changed many issues at once, are spread a
/// second apart, oldest issue first. Deterministic.
fn distinct_updated(items: &mut [Item]) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| (items[i].updated, items[i].data.year, items[i].data.issue));
    let mut last: Option<DateTime<FixedOffset>> = None;
    for i in order {
        if let Some(prev) = last
            && items[i].updated <= prev
        {
            items[i].updated = prev + chrono::Duration::seconds(1);
        }
        last = Some(items[i].updated);
    }
}

/// Renders every series into `out`.
pub fn render(config: &Config, archive: &Archive, out: &Path) -> Result<Written> {
    let mut written = Written::default();
    let mut models_meta = Vec::new();
    for series in &config.series {
        let entries = archive.load_series(&series.id)?;
        let mut model = FeedModel::build(series, &config.site, &entries);
        // The last run's health report: its status line on the series page, the report beside
        // the feeds (one that cannot be read is skipped with a note: it never stops the feeds).
        let health = match crate::health::load(archive, &series.id) {
            Ok(h) => h,
            Err(e) => {
                written.notes.push(format!(
                    "{e}; the health report was not published (the next crawl writes a new one)"
                ));
                None
            }
        };
        model.status = health.as_ref().map(crate::health::status_line);
        let dir = out.join(&series.id);
        written.file(&dir.join("rss.xml"), rss::render(&model)?.as_bytes())?;
        written.file(&dir.join("atom.xml"), atom::render(&model)?.as_bytes())?;
        written.file(&dir.join("feed.json"), jsonfeed::render(&model)?.as_bytes())?;
        written.file(&dir.join("metrics.csv"), data::csv(&model).as_bytes())?;
        written.file(&dir.join("metrics.json"), data::json(&model)?.as_bytes())?;
        written.file(&dir.join("index.html"), html::series_page(&model).as_bytes())?;
        if let Some(h) = &health {
            written.file(&dir.join(crate::health::FILE), to_sorted_json(h)?.as_bytes())?;
            written.file(&dir.join("health.md"), crate::health::markdown(h).as_bytes())?;
        }
        // The English edition: the same issues, its own ids, in en/.
        let mut en = FeedModel::build_in(series, &config.site, &entries, Lang::En);
        en.status = health.as_ref().map(crate::health::status_line_en);
        let en_dir = dir.join("en");
        written.file(&en_dir.join("rss.xml"), rss::render(&en)?.as_bytes())?;
        written.file(&en_dir.join("atom.xml"), atom::render(&en)?.as_bytes())?;
        written.file(&en_dir.join("feed.json"), jsonfeed::render(&en)?.as_bytes())?;
        written.file(&en_dir.join("index.html"), html::series_page(&en).as_bytes())?;
        models_meta.push(html::SeriesCard::of(&model, &en));
    }
    written.file(
        &out.join("index.html"),
        html::front_page(&config.site, &models_meta).as_bytes(),
    )?;
    written.file(
        &out.join("feeds.opml"),
        opml::render(&config.site, &models_meta).as_bytes(),
    )?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_safe_keeps_text_and_drops_what_xml_and_validators_refuse() {
        assert_eq!(
            xml_safe("a\u{0}b\u{1}c\td\u{85}e\u{fffe}f\u{fffd}g\u{fdd0}h中"),
            "abc\tdefgh中"
        );
    }
}
