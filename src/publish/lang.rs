//! The two editions of the published files: Chinese (the series' own words) and English
//! (`public/<series>/en/`). One model renders both: what differs is decided here — where the
//! files go, the ids of the entries, the language codes, and the English words for what the
//! reports say in Chinese (the rating, a level, an issue's name and week).

use chrono::{Datelike, NaiveDate};

use super::ReportData;
use crate::config::Series;

/// The language of an edition (and of a chat target's messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Chinese: the series' titles, labels and summary as configured.
    #[default]
    Zh,
    /// English: `title_en`, `label_en`, `summary_en`, the rating in words, numbers in full.
    En,
}

impl Lang {
    /// Both editions, Chinese first.
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    /// The language of a chat target's `lang` (`en`; anything else, or none, is Chinese: the
    /// config accepts only `zh` and `en`).
    pub fn of_target(lang: Option<&str>) -> Lang {
        match lang {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }

    /// The edition's folder inside the series folder, with its slash: `""` or `"en/"`.
    pub fn dir(self) -> &'static str {
        match self {
            Lang::Zh => "",
            Lang::En => "en/",
        }
    }

    /// The edition's folder as a path suffix of the series folder: `""` or `"/en"`.
    pub fn folder(self) -> &'static str {
        match self {
            Lang::Zh => "",
            Lang::En => "/en",
        }
    }

    /// The BCP 47 tag of the edition (Atom `xml:lang`, JSON Feed `language`, HTML `lang`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The RSS `<language>` value.
    pub fn rss_code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-cn",
            Lang::En => "en",
        }
    }

    /// The stable id of an issue in this edition: the English entries have their own
    /// (`tag:cncert-feed,2024:cncert-weekly/en/2024/43`), so a reader subscribed to both
    /// editions keeps both.
    pub fn tag_uri(self, series: &str, year: i32, issue: u32) -> String {
        match self {
            Lang::Zh => super::tag_uri(series, year, issue),
            Lang::En => super::tag_uri(&format!("{series}/en"), year, issue),
        }
    }

    /// The Atom feed's id.
    pub fn feed_id(self, series: &str) -> String {
        match self {
            Lang::Zh => format!("tag:cncert-feed,2024:{series}"),
            Lang::En => format!("tag:cncert-feed,2024:{series}/en"),
        }
    }

    /// The series' name in this edition.
    pub fn series_title(self, series: &Series) -> &str {
        match self {
            Lang::Zh => &series.title,
            Lang::En => &series.title_en,
        }
    }

    /// The feeds' description.
    pub fn description(self, series: &Series) -> String {
        match self {
            Lang::Zh => format!("{}：每周态势评价与处置数据（非官方订阅源）", series.title),
            Lang::En => format!(
                "{}: CNCERT's weekly rating of China's network security situation and its incident figures, in English (unofficial feed; the articles are in Chinese)",
                series.title_en
            ),
        }
    }

    /// A metric's label in this edition.
    pub fn label(self, m: &crate::config::Metric) -> &str {
        match self {
            Lang::Zh => &m.label,
            Lang::En => &m.label_en,
        }
    }

    /// A metric's unit in this edition: English drops 起/个 (the numbers speak).
    pub fn unit(self, m: &crate::config::Metric) -> &str {
        match self {
            Lang::Zh => &m.unit,
            Lang::En => "",
        }
    }

    /// The overall rating as this edition writes it (优 → Excellent …; an unknown word as it is).
    pub fn rating(self, a: &str) -> String {
        match self {
            Lang::Zh => a.to_string(),
            Lang::En => rating_en(a).map(str::to_string).unwrap_or_else(|| a.to_string()),
        }
    }

    /// A level figure as this edition writes it (高 → High …; an unknown word as it is).
    pub fn level(self, l: &str) -> String {
        match self {
            Lang::Zh => l.to_string(),
            Lang::En => match l {
                "高" => "High".to_string(),
                "中" => "Medium".to_string(),
                "低" => "Low".to_string(),
                other => other.to_string(),
            },
        }
    }

    /// A count as this edition's tables and summary write it: Chinese as the reports do
    /// ([`super::short_count`]: 25万), English in full with thousands separators (250,000).
    pub fn count(self, n: i64) -> String {
        match self {
            Lang::Zh => super::short_count(n),
            Lang::En => full_count(n),
        }
    }

    /// A change as this edition's tables show it ([`super::change_mark`]; in English a count's
    /// difference in full, `▼42,000`, and a level's in words, `Low→Medium`).
    pub fn change_mark(self, c: Option<&super::Change>, cur: Option<&crate::report::MetricValue>) -> String {
        match (self, c, cur) {
            (Lang::En, Some(super::Change::Level { from }), Some(crate::report::MetricValue::Level(now)))
                if from != now =>
            {
                format!("{}→{}", self.level(from), self.level(now))
            }
            (Lang::En, Some(super::Change::Delta(d)), _) if *d > 0 => format!("▲{}", full_count(*d)),
            (Lang::En, Some(super::Change::Delta(d)), _) if *d < 0 => format!("▼{}", full_count(d.saturating_neg())),
            _ => super::change_mark(c, cur),
        }
    }

    /// An issue's short name: `2024年第43期` or `2024 No. 43`.
    pub fn issue_name(self, year: i32, issue: u32) -> String {
        match self {
            Lang::Zh => format!("{year}年第{issue}期"),
            Lang::En => format!("{year} No. {issue}"),
        }
    }
}

/// The English word of an overall rating: 优 Excellent, 良 Good, 中 Fair, 差 Poor, 危 Critical.
pub fn rating_en(a: &str) -> Option<&'static str> {
    Some(match a {
        "优" => "Excellent",
        "良" => "Good",
        "中" => "Fair",
        "差" => "Poor",
        "危" => "Critical",
        _ => return None,
    })
}

/// A number in full with thousands separators: 238000 → `238,000`, -4200 → `-4,200`.
pub fn full_count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A week in English: `Oct 21–27`, `Oct 28–Nov 3`, `Dec 30, 2024–Jan 5, 2025` across a year.
pub fn period_en(start: NaiveDate, end: NaiveDate) -> String {
    if start.year() != end.year() {
        format!("{}–{}", start.format("%b %-d, %Y"), end.format("%b %-d, %Y"))
    } else if start.month() != end.month() {
        format!("{}–{}", start.format("%b %-d"), end.format("%b %-d"))
    } else {
        format!("{}–{}", start.format("%b %-d"), end.format("%-d"))
    }
}

/// The English title of an issue, from its record: `CNCERT Weekly Report 2024 No. 43 (Oct 21–27)`;
/// without a known week, `CNCERT Weekly Report 2024 No. 43`.
pub fn title_en(series: &Series, d: &ReportData) -> String {
    let name = format!("{} {}", series.title_en, Lang::En.issue_name(d.year, d.issue));
    match (d.period_start, d.period_end) {
        (Some(s), Some(e)) => format!("{name} ({})", period_en(s, e)),
        _ => name,
    }
}

/// The week of an issue in ISO form, as the English edition shows it:
/// `2024-W43, 2024-10-21 to 2024-10-27` (the ISO week of its first day).
pub fn iso_period(d: &ReportData) -> Option<String> {
    let (s, e) = (d.period_start?, d.period_end?);
    let w = s.iso_week();
    Some(format!("{}-W{:02}, {s} to {e}", w.year(), w.week()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_in_full_with_separators() {
        assert_eq!(full_count(0), "0");
        assert_eq!(full_count(999), "999");
        assert_eq!(full_count(1000), "1,000");
        assert_eq!(full_count(238_000), "238,000");
        assert_eq!(full_count(1_234_567), "1,234,567");
        assert_eq!(full_count(-4200), "-4,200");
    }

    #[test]
    fn weeks_and_ids_read_as_intended() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
        assert_eq!(period_en(d(2024, 10, 21), d(2024, 10, 27)), "Oct 21–27");
        assert_eq!(period_en(d(2024, 10, 28), d(2024, 11, 3)), "Oct 28–Nov 3");
        assert_eq!(period_en(d(2024, 12, 30), d(2025, 1, 5)), "Dec 30, 2024–Jan 5, 2025");
        assert_eq!(Lang::Zh.tag_uri("s", 2024, 43), "tag:cncert-feed,2024:s/2024/43");
        assert_eq!(Lang::En.tag_uri("s", 2024, 43), "tag:cncert-feed,2024:s/en/2024/43");
        assert_eq!(Lang::En.rating("良"), "Good");
        assert_eq!(Lang::En.rating("危"), "Critical");
        assert_eq!(Lang::En.rating("?"), "?");
        assert_eq!(Lang::Zh.rating("良"), "良");
    }
}
