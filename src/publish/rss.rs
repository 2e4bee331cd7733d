//! RSS 2.0: `atom:link rel="self"`, `guid isPermaLink="false"` tag ids, RFC 822 dates, zh-cn,
//! the summary line (escaped: `description` is HTML) and the article as `content:encoded`, the
//! figures under the `cncert:` namespace.

use std::collections::BTreeMap;

use rss::extension::Extension;
use rss::extension::atom::{AtomExtension, Link};

use super::{FeedModel, Item, NS_PREFIX, NS_URI, ReportData, esc, xml_safe};
use crate::error::{Error, Result};

/// The figures of one item as extension elements: `<cncert:report …><cncert:metric …/></cncert:report>`.
pub fn report_extension(d: &ReportData, model: &FeedModel) -> Extension {
    let mut attrs = BTreeMap::new();
    attrs.insert("series".to_string(), d.series.clone());
    attrs.insert("year".to_string(), d.year.to_string());
    attrs.insert("issue".to_string(), d.issue.to_string());
    if let Some(s) = d.period_start {
        attrs.insert("period_start".to_string(), s.to_string());
    }
    if let Some(e) = d.period_end {
        attrs.insert("period_end".to_string(), e.to_string());
    }
    if let Some(a) = &d.assessment {
        attrs.insert("assessment".to_string(), a.clone());
    }
    let metrics = model
        .series
        .metrics
        .iter()
        .filter_map(|m| {
            let v = d.metrics.get(&m.key)?;
            let mut a = BTreeMap::new();
            a.insert("key".to_string(), m.key.clone());
            a.insert("value".to_string(), v.to_string());
            a.insert("label".to_string(), xml_safe(model.lang.label(m)));
            let unit = model.lang.unit(m);
            if !unit.is_empty() {
                a.insert("unit".to_string(), unit.to_string());
            }
            match d.changes.get(&m.key) {
                Some(super::Change::Delta(n)) => {
                    a.insert("change".to_string(), n.to_string());
                }
                Some(super::Change::Level { from }) => {
                    a.insert("previous".to_string(), from.clone());
                }
                None => {}
            }
            Some(Extension {
                name: format!("{NS_PREFIX}:metric"),
                value: None,
                attrs: a,
                children: BTreeMap::new(),
            })
        })
        .collect();
    let mut children = BTreeMap::new();
    children.insert("metric".to_string(), metrics);
    Extension {
        name: format!("{NS_PREFIX}:report"),
        value: None,
        attrs,
        children,
    }
}

fn item(model: &FeedModel, it: &Item) -> rss::Item {
    let mut ext = BTreeMap::new();
    let mut inner = BTreeMap::new();
    inner.insert("report".to_string(), vec![report_extension(&it.data, model)]);
    ext.insert(NS_PREFIX.to_string(), inner);
    rss::Item {
        title: Some(it.title.clone()),
        link: (!it.link.is_empty()).then(|| it.link.clone()),
        // RSS `description` is HTML (readers render it): the summary line is text, so escaped.
        description: Some(esc(&it.summary)),
        author: None,
        categories: model
            .categories(it)
            .into_iter()
            .map(|c| rss::Category { name: c, domain: None })
            .collect(),
        guid: Some(rss::Guid {
            value: it.id.clone(),
            permalink: false,
        }),
        pub_date: Some(it.published.to_rfc2822()),
        content: Some(it.content_html.clone()),
        enclosure: it.pdf.as_ref().map(|(url, size)| rss::Enclosure {
            url: url.clone(),
            length: size.to_string(),
            mime_type: "application/pdf".to_string(),
        }),
        dublin_core_ext: Some(rss::extension::dublincore::DublinCoreExtension {
            creators: model.series.author.iter().cloned().collect(),
            ..Default::default()
        }),
        extensions: ext,
        ..Default::default()
    }
}

/// Renders the RSS file.
pub fn render(model: &FeedModel) -> Result<String> {
    let mut namespaces = BTreeMap::new();
    namespaces.insert(NS_PREFIX.to_string(), NS_URI.to_string());
    let channel = rss::Channel {
        title: xml_safe(model.title()),
        link: model.url_of("index.html"),
        description: model.lang.description(model.series),
        language: Some(model.lang.rss_code().to_string()),
        generator: Some("cncert-feed".to_string()),
        // No entries, no dates (the Atom feed has to say something and says 1970).
        last_build_date: (!model.items.is_empty()).then(|| model.updated.to_rfc2822()),
        pub_date: (!model.items.is_empty()).then(|| model.updated.to_rfc2822()),
        ttl: Some("720".to_string()),
        namespaces,
        atom_ext: Some(AtomExtension {
            links: std::iter::once(Link {
                href: model.url_of("rss.xml"),
                rel: "self".to_string(),
                mime_type: Some("application/rss+xml".to_string()),
                ..Default::default()
            })
            .chain(model.site.websub_hub.iter().map(|hub| Link {
                href: hub.to_string(),
                rel: "hub".to_string(),
                ..Default::default()
            }))
            .collect(),
        }),
        items: model.items.iter().map(|i| item(model, i)).collect(),
        ..Default::default()
    };
    let buf = channel
        .pretty_write_to(Vec::new(), b' ', 2)
        .map_err(|e| Error::Serialize {
            what: format!("the RSS feed of {}", model.series.id),
            message: e.to_string(),
        })?;
    String::from_utf8(buf).map_err(|e| Error::Serialize {
        what: format!("the RSS feed of {}", model.series.id),
        message: e.to_string(),
    })
}
