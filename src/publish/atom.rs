//! Atom 1.0: rel=self and rel=alternate links, RFC 3339 dates, tag ids, HTML content, the figures
//! under the `cncert:` namespace (the same elements as in RSS).

use std::collections::BTreeMap;

use atom_syndication::extension::Extension;
use atom_syndication::{Category, Content, Entry, Feed, Generator, Link, Person, Text, TextType, WriteConfig};

use super::{FeedModel, NS_PREFIX, NS_URI, xml_safe};
use crate::error::{Error, Result};

/// Escapes an attribute value. atom_syndication 0.12 writes extension attributes as raw bytes
/// (quick-xml's byte-tuple attributes are not escaped), so a value with a quote would end the
/// attribute: escape here. (The rss crate escapes its own.)
fn attr_escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn convert(e: rss::extension::Extension) -> Extension {
    Extension {
        name: e.name,
        value: e.value,
        attrs: e.attrs.into_iter().map(|(k, v)| (k, attr_escape(&v))).collect(),
        children: e
            .children
            .into_iter()
            .map(|(k, v)| (k, v.into_iter().map(convert).collect()))
            .collect(),
    }
}

fn link(href: String, rel: &str, mime: &str) -> Link {
    Link {
        href,
        rel: rel.to_string(),
        mime_type: Some(mime.to_string()),
        ..Default::default()
    }
}

/// Renders the Atom file.
pub fn render(model: &FeedModel) -> Result<String> {
    let author = Person {
        name: model.series.author.clone().unwrap_or_else(|| "CNCERT".to_string()),
        ..Default::default()
    };
    let entries = model
        .items
        .iter()
        .map(|it| {
            let mut inner = BTreeMap::new();
            inner.insert(
                "report".to_string(),
                vec![convert(super::rss::report_extension(&it.data, model))],
            );
            let mut ext = BTreeMap::new();
            ext.insert(NS_PREFIX.to_string(), inner);
            Entry {
                title: Text::plain(it.title.clone()),
                id: it.id.clone(),
                updated: it.updated,
                published: Some(it.published),
                authors: vec![author.clone()],
                categories: model
                    .categories(it)
                    .into_iter()
                    .map(|c| Category {
                        term: c,
                        ..Default::default()
                    })
                    .collect(),
                links: {
                    let mut links = Vec::new();
                    if !it.link.is_empty() {
                        links.push(link(it.link.clone(), "alternate", "text/html"));
                    }
                    if let Some((url, size)) = &it.pdf {
                        let mut l = link(url.clone(), "enclosure", "application/pdf");
                        l.length = Some(size.to_string());
                        links.push(l);
                    }
                    links
                },
                summary: Some(Text::plain(xml_safe(&it.summary))),
                content: Some(Content {
                    value: Some(it.content_html.clone()),
                    content_type: Some("html".to_string()),
                    ..Default::default()
                }),
                extensions: ext,
                ..Default::default()
            }
        })
        .collect();
    let mut namespaces = BTreeMap::new();
    namespaces.insert(NS_PREFIX.to_string(), NS_URI.to_string());
    let feed = Feed {
        title: Text::plain(xml_safe(model.title())),
        id: model.lang.feed_id(&model.series.id),
        updated: model.updated,
        authors: vec![author],
        generator: Some(Generator {
            value: "cncert-feed".to_string(),
            ..Default::default()
        }),
        links: [
            link(model.url_of("atom.xml"), "self", "application/atom+xml"),
            link(model.url_of("index.html"), "alternate", "text/html"),
        ]
        .into_iter()
        .chain(model.site.websub_hub.iter().map(|hub| Link {
            href: hub.to_string(),
            rel: "hub".to_string(),
            ..Default::default()
        }))
        .collect(),
        subtitle: Some(Text {
            value: model.lang.description(model.series),
            r#type: TextType::Text,
            ..Default::default()
        }),
        entries,
        namespaces,
        lang: Some(model.lang.code().to_string()),
        ..Default::default()
    };
    let buf = feed
        .write_with_config(
            Vec::new(),
            WriteConfig {
                write_document_declaration: true,
                indent_size: Some(2),
            },
        )
        .map_err(|e| Error::Serialize {
            what: format!("the Atom feed of {}", model.series.id),
            message: e.to_string(),
        })?;
    String::from_utf8(buf).map_err(|e| Error::Serialize {
        what: format!("the Atom feed of {}", model.series.id),
        message: e.to_string(),
    })
}
