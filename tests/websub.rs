//! WebSub: the feeds name the hub (RSS and Atom `rel="hub"`, JSON Feed `hubs`) and still parse;
//! `ping` posts exactly the three feed URLs of a changed series to the hub, nothing when nothing
//! changed, and retries what the hub refused.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::server::{FixtureServer, Logged};
use serde_json::{Value, json};

const SITE: &str = "https://reader.example.io/cncert/";

fn archive_with(names: &[&str]) -> PathBuf {
    let data = common::temp_dir("websub-data");
    assert_eq!(common::import_pages(&data, names), names.len());
    data
}

fn hub(responses: Vec<Value>) -> FixtureServer {
    FixtureServer::start_with(
        &common::site_dir(),
        vec![json!({"path": "/hub", "responses": responses})],
        0,
    )
}

fn ok_hub() -> FixtureServer {
    hub(vec![json!({"status": 204, "body": ""})])
}

fn cli(args: &[&str], data: &Path, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .arg("--data")
        .arg(data)
        .arg("--out")
        .arg(out)
        .output()
        .expect("binary runs")
}

fn render(data: &Path, out: &Path, hub_url: &str) {
    let o = cli(&["render", "--site-url", SITE, "--websub-hub", hub_url], data, out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn ping(data: &Path, out: &Path, hub_url: &str) -> Output {
    cli(&["ping", "--site-url", SITE, "--websub-hub", hub_url], data, out)
}

fn pings(server: &FixtureServer) -> Vec<Logged> {
    server.requests().into_iter().filter(|r| r.method == "POST").collect()
}

/// The `hub.url` of each ping, after checking the form is what a hub expects.
fn pinged_urls(reqs: &[Logged]) -> Vec<String> {
    reqs.iter()
        .map(|r| {
            assert_eq!(
                r.headers.get("content-type").map(String::as_str),
                Some("application/x-www-form-urlencoded")
            );
            let form: Vec<(String, String)> = url::form_urlencoded::parse(&r.body).into_owned().collect();
            assert_eq!(form.len(), 2, "{form:?}");
            assert_eq!(form[0], ("hub.mode".to_string(), "publish".to_string()));
            assert_eq!(form[1].0, "hub.url");
            form[1].1.clone()
        })
        .collect()
}

fn three_feeds() -> Vec<String> {
    ["rss.xml", "atom.xml", "feed.json"]
        .iter()
        .map(|f| format!("{SITE}cncert-weekly/{f}"))
        .collect()
}

#[test]
fn the_feeds_name_the_hub_and_still_parse() {
    let data = archive_with(&["2024-42.html", "2024-43.html"]);
    let out = common::temp_dir("websub-out");
    let hub_url = "https://hub.example.net/websub?x=1&y=2";
    render(&data, &out, hub_url);
    let dir = out.join("cncert-weekly");
    let rss = std::fs::read_to_string(dir.join("rss.xml")).expect("rss");
    assert!(
        rss.contains("<atom:link href=\"https://hub.example.net/websub?x=1&amp;y=2\" rel=\"hub\"/>"),
        "{rss}"
    );
    assert!(rss.contains(&format!("<atom:link href=\"{SITE}cncert-weekly/rss.xml\" rel=\"self\"")));
    let atom = std::fs::read_to_string(dir.join("atom.xml")).expect("atom");
    assert!(
        atom.contains("<link href=\"https://hub.example.net/websub?x=1&amp;y=2\" rel=\"hub\"/>"),
        "{atom}"
    );
    let jf: Value = serde_json::from_slice(&std::fs::read(dir.join("feed.json")).expect("json")).expect("JSON");
    assert_eq!(jf["hubs"], json!([{"type": "WebSub", "url": hub_url}]));
    for f in ["rss.xml", "atom.xml", "feed.json"] {
        let bytes = std::fs::read(dir.join(f)).expect("feed");
        let feed = feed_rs::parser::parse(bytes.as_slice()).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(feed.entries.len(), 2, "{f}");
    }
    // The rss and atom crates read them back, hub link included.
    let channel = rss::Channel::read_from(rss.as_bytes()).expect("RSS reads back");
    let links = channel.atom_ext().map(|a| a.links().to_vec()).unwrap_or_default();
    assert!(links.iter().any(|l| l.rel() == "hub" && l.href() == hub_url));
    let feed = atom_syndication::Feed::read_from(atom.as_bytes()).expect("Atom reads back");
    assert!(feed.links().iter().any(|l| l.rel() == "hub" && l.href() == hub_url));
}

#[test]
fn ping_posts_the_three_feeds_once_per_change() {
    let data = archive_with(&["2024-42.html"]);
    let out = common::temp_dir("websub-out");
    let server = ok_hub();
    let hub_url = format!("{}/hub", server.origin);
    render(&data, &out, &hub_url);

    let o = ping(&data, &out, &hub_url);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(pinged_urls(&pings(&server)), three_feeds());

    // Nothing changed: no ping.
    let o = ping(&data, &out, &hub_url);
    assert!(o.status.success());
    assert_eq!(pings(&server).len(), 3, "an unchanged feed is not pinged again");
    assert!(String::from_utf8_lossy(&o.stderr).contains("3 feed(s) unchanged"));

    // A rendered-again, unchanged archive gives the same files: still no ping.
    render(&data, &out, &hub_url);
    assert!(ping(&data, &out, &hub_url).status.success());
    assert_eq!(pings(&server).len(), 3);

    // A new issue changes every feed: three more pings.
    common::import_pages(&data, &["2024-43.html"]);
    render(&data, &out, &hub_url);
    assert!(ping(&data, &out, &hub_url).status.success());
    let all = pings(&server);
    assert_eq!(all.len(), 6);
    assert_eq!(pinged_urls(&all[3..]), three_feeds());
}

#[test]
fn a_refused_ping_fails_the_run_and_is_retried() {
    let data = archive_with(&["2024-42.html"]);
    let out = common::temp_dir("websub-out");
    let server = hub(vec![
        json!({"status": 500, "body": "hub is down"}),
        json!({"status": 204, "body": ""}),
    ]);
    let hub_url = format!("{}/hub", server.origin);
    render(&data, &out, &hub_url);
    let o = ping(&data, &out, &hub_url);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("HTTP 500") && err.contains("hub is down"), "{err}");
    assert!(err.contains("will be retried next run"), "{err}");
    // rss.xml was refused; atom.xml and feed.json went through (the mock answers 204 after).
    assert_eq!(pings(&server).len(), 3);
    assert!(ping(&data, &out, &hub_url).status.success());
    let all = pings(&server);
    assert_eq!(all.len(), 4, "only the refused feed is pinged again");
    assert_eq!(pinged_urls(&all[3..]), vec![format!("{SITE}cncert-weekly/rss.xml")]);
}

#[test]
fn ping_says_what_is_missing() {
    let data = archive_with(&["2024-42.html"]);
    let server = ok_hub();
    let hub_url = format!("{}/hub", server.origin);
    // Nothing rendered yet.
    let empty = common::temp_dir("websub-empty");
    let o = ping(&data, &empty, &hub_url);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("rss.xml") && err.contains("render"), "{err}");
    // A feed that does not name this hub: pinged, with a warning saying why it matters.
    let out = common::temp_dir("websub-out");
    render(&data, &out, "https://other-hub.example.net/");
    let o = ping(&data, &out, &hub_url);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("does not name the hub"));
    // A hub that is not a URL.
    let o = ping(&data, &out, "hub.example.net");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--websub-hub"));
    assert_eq!(pings(&server).len(), 3);
}

#[test]
fn a_missing_feed_fails_the_run_after_the_others_are_pinged_and_recorded() {
    // Issue 19.5.3: one feed file missing (not the whole output) is no usage error: the others are
    // pinged and recorded, the run exits 1, and the missing one is pinged once it is there.
    let data = archive_with(&["2024-42.html"]);
    let out = common::temp_dir("websub-out");
    let server = ok_hub();
    let hub_url = format!("{}/hub", server.origin);
    render(&data, &out, &hub_url);
    let atom = out.join("cncert-weekly/atom.xml");
    std::fs::remove_file(&atom).expect("remove atom.xml");
    let o = ping(&data, &out, &hub_url);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("atom.xml") && err.contains("render"), "{err}");
    let feeds = three_feeds();
    assert_eq!(
        pinged_urls(&pings(&server)),
        vec![feeds[0].clone(), feeds[2].clone()],
        "the feeds after the missing one are pinged too"
    );
    // Both were recorded: after rendering again, only atom.xml is pinged.
    render(&data, &out, &hub_url);
    let o = ping(&data, &out, &hub_url);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let all = pings(&server);
    assert_eq!(all.len(), 3, "only the missing feed is pinged again");
    assert_eq!(pinged_urls(&all[2..]), vec![feeds[1].clone()]);
}

/// `ping` with only these site arguments (none: the URL the feeds name, or config.yaml's).
fn ping_with(data: &Path, out: &Path, hub_url: &str, site: &[&str]) -> Output {
    let mut args = vec!["ping", "--websub-hub", hub_url];
    args.extend_from_slice(site);
    cli(&args, data, out)
}

/// The example site.base_url of the shipped config.yaml.
const EXAMPLE: &str = "https://example.github.io/cncert-feed/";

#[test]
fn the_shipped_example_site_is_never_pinged() {
    assert_eq!(
        common::repo_config().site.base_url.map(|u| u.to_string()).as_deref(),
        Some(EXAMPLE),
        "the example this test is about"
    );
    let data = archive_with(&["2024-42.html"]);
    let server = ok_hub();
    let hub_url = format!("{}/hub", server.origin);
    // Rendered with config.yaml as shipped: the feeds name the example site.
    let out = common::temp_dir("websub-out");
    let o = cli(&["render", "--websub-hub", &hub_url], &data, &out);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    // render says so, and what to do (rendering for another site does not).
    assert!(
        err.contains("note: the feeds name https://example.github.io/cncert-feed/") && err.contains("site.base_url"),
        "{err}"
    );
    let elsewhere = common::temp_dir("websub-out-elsewhere");
    let o = cli(&["render", "--site-url", SITE], &data, &elsewhere);
    assert!(!String::from_utf8_lossy(&o.stderr).contains("example site"));
    let o = ping_with(&data, &out, &hub_url, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("example.github.io")
            && err.contains("set site.base_url in config.yaml")
            && err.contains("--site-url"),
        "{err}"
    );
    // --site-url naming the example is refused too.
    let o = ping_with(&data, &out, &hub_url, &["--site-url", EXAMPLE]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("--site-url {EXAMPLE}")), "{err}");
    assert!(pings(&server).is_empty(), "nothing was pinged");
    let state: Value = std::fs::read(data.join("cncert-weekly/state.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    assert!(
        state["pinged"].as_object().is_none_or(|p| p.is_empty()),
        "nothing was recorded: {state}"
    );
}

#[test]
fn ping_tells_the_url_the_feeds_were_rendered_for() {
    // Issue 22.6: `render --site-url X`, then `ping` (config.yaml still the example) pinged the
    // example's URLs. The feeds name their own URL; ping tells the hub that one.
    let data = archive_with(&["2024-42.html"]);
    let out = common::temp_dir("websub-out");
    let server = ok_hub();
    let hub_url = format!("{}/hub", server.origin);
    render(&data, &out, &hub_url);
    let o = ping_with(&data, &out, &hub_url, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("warning"), "{err}");
    assert_eq!(pinged_urls(&pings(&server)), three_feeds());
    // The same feeds with the same --site-url: unchanged, nothing pinged.
    let o = ping(&data, &out, &hub_url);
    assert!(o.status.success());
    assert_eq!(pings(&server).len(), 3);

    // --site-url still wins, with a warning that the feeds name another URL.
    let other = "https://mirror.example.net/feeds/";
    let o = ping_with(&data, &out, &hub_url, &["--site-url", other]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let all = pings(&server);
    assert_eq!(
        pinged_urls(&all[3..]),
        vec![
            format!("{other}cncert-weekly/rss.xml"),
            format!("{other}cncert-weekly/atom.xml"),
            format!("{other}cncert-weekly/feed.json"),
        ]
    );
    assert!(
        err.contains(&format!(
            "names itself {SITE}cncert-weekly/rss.xml, not {other}cncert-weekly/rss.xml"
        )),
        "{err}"
    );
}

#[test]
fn a_missing_feed_is_named_under_the_rendered_site() {
    let data = archive_with(&["2024-42.html"]);
    let out = common::temp_dir("websub-out");
    let server = ok_hub();
    let hub_url = format!("{}/hub", server.origin);
    render(&data, &out, &hub_url);
    std::fs::remove_file(out.join("cncert-weekly/feed.json")).expect("remove feed.json");
    let o = ping_with(&data, &out, &hub_url, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("error: {SITE}cncert-weekly/feed.json: cannot read")),
        "{err}"
    );
    assert_eq!(pings(&server).len(), 2);
}

#[test]
fn hub_urls_are_printed_as_they_are_unless_they_hold_a_secret() {
    let data = archive_with(&["2024-42.html"]);
    // A hub nobody listens at: the error names it as configured (it was `…//***`).
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://127.0.0.1:{}/", l.local_addr().expect("addr").port())
    };
    let out = common::temp_dir("websub-out");
    render(&data, &out, &closed);
    let o = ping(&data, &out, &closed);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("cannot reach the hub {closed}: connection failed")),
        "{err}"
    );
    assert!(!err.contains("***"), "{err}");

    // A hub with a token in its URL: the token is masked everywhere, the rest shown.
    let server = hub(vec![
        json!({"status": 403, "body": "bad token hub-t0ken-123"}),
        json!({"status": 204, "body": ""}),
    ]);
    let secret_hub = format!("{}/hub?token=hub-t0ken-123", server.origin);
    let out = common::temp_dir("websub-out");
    render(&data, &out, &secret_hub);
    let o = ping(&data, &out, &secret_hub);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(!err.contains("hub-t0ken-123"), "{err}");
    assert!(
        err.contains(&format!("the hub {}/hub?token=*** answered HTTP 403", server.origin)),
        "{err}"
    );
    assert!(
        err.contains(&format!("pinged {}/hub?token=***: ", server.origin)),
        "{err}"
    );
}
