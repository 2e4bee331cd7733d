//! WeChat article URLs: the canonical form, short links, and mapping to a `--base-url` origin.

use url::Url;

use crate::config::WECHAT_HOST;

/// A link to a WeChat article, as far as it can be known without fetching it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ArticleLink {
    /// `https://mp.weixin.qq.com/s?__biz=…&mid=…&idx=…&sn=…`
    Canonical(String),
    /// `https://mp.weixin.qq.com/s/<code>`: the article is known only after fetching.
    Short(String),
}

impl ArticleLink {
    /// The URL text.
    pub fn as_str(&self) -> &str {
        match self {
            ArticleLink::Canonical(s) | ArticleLink::Short(s) => s,
        }
    }
}

/// The canonical URL from the four identifying parameters, or `None` when one is missing or malformed.
pub fn canonical(biz: &str, mid: &str, idx: &str, sn: &str) -> Option<String> {
    let biz_ok = !biz.is_empty()
        && biz.len() <= 64
        && biz
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'+' | b'/' | b'-' | b'_'));
    let num_ok = |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
    let sn_ok = !sn.is_empty() && sn.len() <= 64 && sn.bytes().all(|b| b.is_ascii_alphanumeric());
    (biz_ok && num_ok(mid) && num_ok(idx) && sn_ok)
        .then(|| format!("https://{WECHAT_HOST}/s?__biz={biz}&mid={mid}&idx={idx}&sn={sn}"))
}

/// Interprets `href` (absolute, protocol-relative or relative to the article host) as an article link.
/// Links to other hosts, other schemes and other paths give `None`.
pub fn article_link(href: &str) -> Option<ArticleLink> {
    static BASE: std::sync::OnceLock<Option<Url>> = std::sync::OnceLock::new();
    let href = href.trim();
    let base = BASE
        .get_or_init(|| Url::parse(&format!("https://{WECHAT_HOST}/")).ok())
        .as_ref()?;
    let url = base.join(href).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str()? != WECHAT_HOST || url.port().is_some() {
        return None;
    }
    // The first value of each parameter, read in one pass over the query.
    let params = |keys: [&str; 4]| {
        let mut found: [Option<String>; 4] = Default::default();
        for (k, v) in url.query_pairs() {
            if let Some(i) = keys.iter().position(|key| *key == k)
                && found[i].is_none()
            {
                found[i] = Some(v.into_owned());
            }
        }
        found.map(Option::unwrap_or_default)
    };
    match url.path() {
        "/s" => {
            let [biz, mid, idx, sn] = params(["__biz", "mid", "idx", "sn"]);
            canonical(&biz, &mid, &idx, &sn).map(ArticleLink::Canonical)
        }
        "/mp/appmsg/show" => {
            let [biz, mid, idx, sn] = params(["__biz", "appmsgid", "itemidx", "sign"]);
            canonical(&biz, &mid, &idx, &sn).map(ArticleLink::Canonical)
        }
        p => {
            let code = p.strip_prefix("/s/")?;
            (!code.is_empty()
                && code.len() <= 64
                && code
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
            .then(|| ArticleLink::Short(format!("https://{WECHAT_HOST}/s/{code}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_link_becomes_canonical() {
        let href = "http://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499428&idx=1&sn=6e0ab9d54f608b9474e6bb0153f41906&chksm=286d&scene=21#wechat_redirect";
        assert_eq!(
            article_link(href),
            Some(ArticleLink::Canonical(
                "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499428&idx=1&sn=6e0ab9d54f608b9474e6bb0153f41906".into()
            ))
        );
    }

    #[test]
    fn percent_encoded_biz_and_reordered_params() {
        let href = "https://mp.weixin.qq.com/s?sn=abc123&idx=2&mid=42&__biz=MzIwNDk0MDgxMw%3D%3D";
        assert_eq!(
            article_link(href).map(|l| l.as_str().to_string()),
            Some("https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=42&idx=2&sn=abc123".into())
        );
    }

    #[test]
    fn short_link_is_kept_as_written() {
        assert_eq!(
            article_link("https://mp.weixin.qq.com/s/Xy7Kq2mPa9LbN4cR3tUvWw"),
            Some(ArticleLink::Short(
                "https://mp.weixin.qq.com/s/Xy7Kq2mPa9LbN4cR3tUvWw".into()
            ))
        );
        assert_eq!(
            article_link("/s/Xy7Kq2mPa9LbN4cR3tUvWw").map(|l| l.as_str().to_string()),
            Some("https://mp.weixin.qq.com/s/Xy7Kq2mPa9LbN4cR3tUvWw".into())
        );
    }

    #[test]
    fn other_hosts_and_schemes_are_refused() {
        for href in [
            "https://evil.example/s?__biz=MzI=&mid=1&idx=1&sn=abc",
            "https://mp.weixin.qq.com.evil.example/s/abc",
            "javascript:alert(1)",
            "https://mp.weixin.qq.com:8443/s/abc",
            "https://mp.weixin.qq.com/s?__biz=MzI=&mid=1&idx=1",
            "https://mp.weixin.qq.com/s?__biz=MzI=&mid=1;rm&idx=1&sn=abc",
        ] {
            assert_eq!(article_link(href), None, "{href}");
        }
    }
}
