//! Discovery of WeChat issues: feeds (RSS, Atom, JSON Feed, e.g. a wechat2rss or RSSHub feed of
//! the account, whose item bodies stand in for a blocked page) and the account's albums.

use url::Url;

use super::album;
use super::crawl::{Seed, push_link};
use super::read::ArticleMeta;
use super::url::{ArticleLink, article_link};
use crate::crawl::SeriesRun;
use crate::extract::{normalize_title, parse_title};
use crate::fetch::{Fetched, redact};
use crate::report::beijing;

/// Reads a discovery feed (RSS, Atom or JSON Feed) and seeds the series' issues it lists.
pub(super) async fn discover_feed(feed: &str, run: &mut SeriesRun<'_>, seeds: &mut Vec<Seed>) {
    let (series, fetcher, progress) = (run.series, run.fetcher.clone(), run.progress);
    let state = &mut run.state;
    let summary = &mut *run.summary;
    // The feed's URL may hold a secret (an RSSHub `?key=`): it is never written or printed.
    let raw = feed;
    let feed = &redact(raw, raw);
    let Ok(url) = Url::parse(raw) else {
        summary.unreachable.push((feed.to_string(), "not a URL".into()));
        return;
    };
    progress.fetching(feed);
    let validators = state.discovery.get(feed.as_str()).cloned();
    let host = url.host_str().map(str::to_string);
    let fetched = fetcher.get_allowing(&url, validators.as_ref(), host.as_deref()).await;
    summary.tally(&fetched);
    match fetched {
        Fetched::Page { body, validators, .. } => {
            if validators.etag.is_some() || validators.last_modified.is_some() {
                state.discovery.insert(feed.to_string(), validators);
            } else {
                state.discovery.remove(feed.as_str());
            }
            match feed_rs::parser::parse(body.as_slice()) {
                Ok(parsed) => {
                    for item in parsed.entries {
                        let title = item.title.map(|t| t.content).unwrap_or_default();
                        if parse_title(&normalize_title(&title), series).is_none() {
                            continue;
                        }
                        let Some(link) = item.links.first().map(|l| l.href.clone()) else {
                            continue;
                        };
                        let body = item
                            .content
                            .and_then(|c| c.body)
                            .or(item.summary.map(|s| s.content))
                            .filter(|b| b.len() > 200);
                        let meta = ArticleMeta {
                            title: Some(title),
                            url: article_link(&link).and_then(|l| match l {
                                ArticleLink::Canonical(c) => Some(c),
                                ArticleLink::Short(_) => None,
                            }),
                            published: item.published.or(item.updated).map(|d| d.with_timezone(&beijing())),
                            author: None,
                        };
                        push_link(seeds, &link, body.map(|b| (b, meta)));
                    }
                }
                Err(e) => summary
                    .unreachable
                    .push((feed.to_string(), format!("not a readable RSS, Atom or JSON feed: {e}"))),
            }
        }
        Fetched::NotModified => progress.note(&format!("{feed}: not modified")),
        Fetched::Blocked(r) | Fetched::Refused(r) | Fetched::Failed(r) => {
            summary.unreachable.push((feed.to_string(), redact(&r, raw)))
        }
        Fetched::Status(c) => summary.unreachable.push((feed.to_string(), format!("HTTP {c}"))),
        Fetched::TooLarge(m) => summary
            .unreachable
            .push((feed.to_string(), format!("larger than {m} bytes"))),
    }
}

/// Pages through a WeChat album and seeds the series' issues it lists.
pub(super) async fn discover_album(album_url: &str, run: &mut SeriesRun<'_>, seeds: &mut Vec<Seed>) {
    let (series, fetcher, progress) = (run.series, run.fetcher.clone(), run.progress);
    let summary = &mut *run.summary;
    let Ok(base) = Url::parse(album_url) else {
        summary.unreachable.push((album_url.to_string(), "not a URL".into()));
        return;
    };
    let mut url = base.clone();
    for _page in 0..100 {
        progress.fetching(url.as_str());
        let fetched = fetcher.get(&url, None).await;
        summary.tally(&fetched);
        let body = match fetched {
            Fetched::Page { body, .. } => body,
            Fetched::Status(c) => {
                summary.unreachable.push((url.to_string(), format!("HTTP {c}")));
                return;
            }
            Fetched::Blocked(r) | Fetched::Refused(r) | Fetched::Failed(r) => {
                summary.unreachable.push((url.to_string(), r));
                return;
            }
            Fetched::TooLarge(m) => {
                summary
                    .unreachable
                    .push((url.to_string(), format!("larger than {m} bytes")));
                return;
            }
            Fetched::NotModified => return,
        };
        let page = match album::parse(&body) {
            Ok(p) => p,
            Err(e) => {
                summary.unreachable.push((url.to_string(), e));
                return;
            }
        };
        for item in &page.items {
            if parse_title(&normalize_title(&item.title), series).is_some() {
                push_link(seeds, &crate::read::html::decode_entities(&item.url), None);
            }
        }
        let Some(last) = page.items.last().filter(|_| page.more) else {
            return;
        };
        let mut next = base.clone();
        let pairs: Vec<(String, String)> = base
            .query_pairs()
            .filter(|(k, _)| k != "begin_msgid" && k != "begin_itemidx")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        next.query_pairs_mut()
            .clear()
            .extend_pairs(pairs)
            .append_pair("begin_msgid", &last.msgid)
            .append_pair("begin_itemidx", &last.itemidx);
        url = next;
    }
}
