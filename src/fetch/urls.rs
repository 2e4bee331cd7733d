//! URLs as the fetcher rewrites and prints them: mapped to another origin (`--base-url`) and
//! back, and with their secrets (`?key=`, tokens, passwords) masked.

use url::Url;

use crate::config::Fetch;

/// Rewrites a URL on a mapped host to the same path and query under that host's origin
/// (`--base-url HOST=URL`, `fetch.base_urls`). Other URLs are returned unchanged.
pub fn to_origin(url: &Url, cfg: &Fetch) -> Url {
    let Some(base) = url.host_str().and_then(|h| cfg.base_for(h)) else {
        return url.clone();
    };
    let mut out = base.clone();
    let prefix = base.path().trim_end_matches('/');
    out.set_path(&format!("{prefix}{}", url.path()));
    out.set_query(url.query());
    out.set_fragment(None);
    out
}

/// The inverse of [`to_origin`]: a URL under a mapped origin becomes the URL on the host it stands
/// for. A URL under no mapped origin is returned unchanged.
pub fn from_origin(url: &Url, cfg: &Fetch, known_hosts: &[&str]) -> Url {
    let mut hosts: Vec<&str> = known_hosts.to_vec();
    hosts.extend(cfg.base_urls.keys().map(String::as_str));
    for host in hosts {
        let Some(base) = cfg.base_for(host) else { continue };
        if url.origin() != base.origin() {
            continue;
        }
        let prefix = base.path().trim_end_matches('/');
        let Some(path) = url.path().strip_prefix(prefix) else {
            continue;
        };
        let Ok(mut out) = Url::parse(&format!("https://{host}/")) else {
            continue;
        };
        out.set_path(path);
        out.set_query(url.query());
        return out;
    }
    url.clone()
}

/// Query parameters whose values are secrets (RSSHub's `key`, tokens, signatures).
const SECRET_PARAMS: &[&str] = &[
    "key",
    "token",
    "access_token",
    "secret",
    "sign",
    "signature",
    "password",
    "passwd",
    "pwd",
    "auth",
    "apikey",
    "api_key",
    "code",
];

/// The secret parts of a URL: the password of its user info and the values of query
/// parameters that hold secrets (`?key=…`, `token`, `sign` …).
pub fn secrets_of(u: &str) -> Vec<String> {
    let Ok(url) = Url::parse(u) else {
        return Vec::new();
    };
    let mut out: Vec<String> = url
        .query_pairs()
        .filter(|(k, v)| SECRET_PARAMS.contains(&k.to_ascii_lowercase().as_str()) && !v.is_empty())
        .map(|(_, v)| v.into_owned())
        .collect();
    // Also as written (percent-encoded), which is how the URL appears in messages.
    if let Some(q) = url.query() {
        for pair in q.split('&') {
            if let Some((k, v)) = pair.split_once('=')
                && SECRET_PARAMS.contains(&k.to_ascii_lowercase().as_str())
                && !v.is_empty()
            {
                out.push(v.to_string());
            }
        }
    }
    if let Some(p) = url.password() {
        out.push(p.to_string());
    }
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// `text` with every secret of `url` replaced by `***`: for logs, summaries and state files.
pub fn redact(text: &str, url: &str) -> String {
    let mut out = text.to_string();
    for s in secrets_of(url) {
        out = out.replace(&s, "***");
    }
    out
}
