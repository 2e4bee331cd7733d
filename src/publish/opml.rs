//! `feeds.opml`: every series' feeds, for importing into a reader in one step.

use super::html::SeriesCard;
use super::{esc, public_url};
use crate::config::Site;

/// Renders the OPML file.
pub fn render(site: &Site, cards: &[SeriesCard]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head>\n");
    out.push_str(&format!(
        "    <title>{}</title>\n  </head>\n  <body>\n",
        esc(&site.title)
    ));
    for c in cards {
        out.push_str(&format!(
            "    <outline text=\"{t}\" title=\"{t}\" type=\"rss\" xmlUrl=\"{x}\" htmlUrl=\"{h}\"/>\n",
            t = esc(&c.title),
            x = esc(&public_url(site, &format!("{}/rss.xml", c.id))),
            h = esc(&public_url(site, &format!("{}/index.html", c.id))),
        ));
        out.push_str(&format!(
            "    <outline text=\"{t}\" title=\"{t}\" type=\"rss\" language=\"en\" xmlUrl=\"{x}\" htmlUrl=\"{h}\"/>\n",
            t = esc(&format!("{} (English)", c.title_en)),
            x = esc(&public_url(site, &format!("{}/en/rss.xml", c.id))),
            h = esc(&public_url(site, &format!("{}/en/index.html", c.id))),
        ));
    }
    out.push_str("  </body>\n</opml>\n");
    out
}
