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
    let href = href.trim();
    match plain_article_query(href) {
        Some(query) => {
            let [biz, mid, idx, sn] = first_values(query, ["__biz", "mid", "idx", "sn"]);
            canonical(&biz, &mid, &idx, &sn).map(ArticleLink::Canonical)
        }
        None => parsed_article_link(href),
    }
}

/// The query of a link written the way WeChat writes its own (`https://mp.weixin.qq.com/s?…`,
/// lowercase, only letters, digits, `-._~=&` and `%XX` in the query and the fragment): such a
/// link reads the same parsed by the URL parser or not, and a page's recap links are all of
/// this form (parsing each took a microsecond). `None` for anything else.
fn plain_article_query(href: &str) -> Option<&str> {
    let rest = href
        .strip_prefix("https://")
        .or_else(|| href.strip_prefix("http://"))?
        .strip_prefix(WECHAT_HOST)?
        .strip_prefix("/s?")?;
    let plain = |s: &str| {
        let b = s.as_bytes();
        b.iter().enumerate().all(|(i, c)| match c {
            b'%' => b.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)),
            c => c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'=' | b'&'),
        })
    };
    let (query, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    (plain(query) && plain(fragment)).then_some(query)
}

/// The first value of each of `keys` in a query (`application/x-www-form-urlencoded`, as the
/// URL parser's `query_pairs` reads it), empty when absent.
fn first_values(query: &str, keys: [&str; 4]) -> [String; 4] {
    let mut found: [Option<String>; 4] = Default::default();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if let Some(i) = keys.iter().position(|key| *key == k)
            && found[i].is_none()
        {
            found[i] = Some(v.into_owned());
        }
    }
    found.map(Option::unwrap_or_default)
}

/// [`article_link`] through the URL parser: any form of link.
fn parsed_article_link(href: &str) -> Option<ArticleLink> {
    static BASE: std::sync::OnceLock<Option<Url>> = std::sync::OnceLock::new();
    let base = BASE
        .get_or_init(|| Url::parse(&format!("https://{WECHAT_HOST}/")).ok())
        .as_ref()?;
    let url = base.join(href).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str()? != WECHAT_HOST || url.port().is_some() {
        return None;
    }
    // The first value of each parameter, read in one pass over the query.
    let params = |keys: [&str; 4]| first_values(url.query().unwrap_or(""), keys);
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

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        /// Links of WeChat's own form read the same without the URL parser as with it, and every
        /// other link still goes through it.
        #[test]
        fn a_plain_link_reads_as_the_url_parser_reads_it(
            scheme in "(https?|HTTPS|ftp)://",
            host in "(mp\\.weixin\\.qq\\.com|MP\\.weixin\\.qq\\.com|mp\\.weixin\\.qq\\.com\\.evil\\.example|mp\\.weixin\\.qq\\.com:443|mp\\.weixin\\.qq\\.com:8443)",
            path in "(/s\\?|/s/\\?|/S\\?|/s/\\.\\./s\\?|/mp/appmsg/show\\?|/s\\?\\?)",
            pairs in proptest::collection::vec(
                "(__biz|mid|idx|sn|_%5Fbiz|%5F%5Fbiz|MID|appmsgid|itemidx|sign|scene|)(=|==|)([A-Za-z0-9]{0,6}(%3D|%3d|%2B|%2b|%2F|%41|%E5%91%A8|%FF|%zz|%4|\\+| |\\.|-|_|~|;|/|\\t|\\n|\\x00|\\u{5468}|){0,3})",
                0..7,
            ),
            fragment in "(|#|#wechat_redirect|#a b|#%41|#x\\u{5468})",
            whole in proptest::bool::ANY,
        ) {
            // Half of them carry the four parameters of an article (then the extra pairs).
            let four = if whole { "__biz=MzIwNDk0MDgxMw==&mid=2247499428&idx=1&sn=6e0ab9d5&" } else { "" };
            let href = format!("{scheme}{host}{path}{four}{}{fragment}", pairs.join("&"));
            proptest::prop_assert_eq!(article_link(&href), parsed_article_link(href.trim()), "{}", href);
        }
    }

    #[test]
    fn a_plain_link_takes_the_short_way_only_in_its_plain_form() {
        let plain = "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499428&idx=1&sn=6e0ab9d5&chksm=286d&scene=21#wechat_redirect";
        assert!(plain_article_query(plain).is_some());
        for other in [
            "https://MP.weixin.qq.com/s?__biz=MzI=&mid=1&idx=1&sn=a",
            "https://mp.weixin.qq.com:443/s?__biz=MzI=&mid=1&idx=1&sn=a",
            "https://mp.weixin.qq.com/s?__biz=MzI=&mid=1&idx=1&sn=a+b",
            "https://mp.weixin.qq.com/s?__biz=MzI=&mid=1&idx=1&sn=a%4",
            "https://mp.weixin.qq.com/s?__biz=MzI=&mid=1&idx=1&sn=a#x y",
            "//mp.weixin.qq.com/s?__biz=MzI=&mid=1&idx=1&sn=a",
        ] {
            assert!(plain_article_query(other).is_none(), "{other}");
            assert_eq!(article_link(other), parsed_article_link(other), "{other}");
        }
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
