//! WebSub: the feeds name the hub (RSS and Atom `rel="hub"`, JSON Feed `hubs`) and still parse;
//! `ping` posts exactly the three feed URLs of a changed series to the hub, nothing when nothing
//! changed, and retries what the hub refused.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cncert_feed::archive::Archive;
use common::server::{FixtureServer, Logged};
use serde_json::{Value, json};

const SITE: &str = "https://reader.example.io/cncert/";

fn pages(names: &[&str]) -> Vec<PathBuf> {
    names.iter().map(|n| common::site_dir().join("pages").join(n)).collect()
}

fn archive_with(names: &[&str]) -> PathBuf {
    let data = common::temp_dir("websub-data");
    let s = cncert_feed::crawl::import(
        &common::repo_config(),
        &Archive::new(&data),
        &cncert_feed::sources::all(),
        &pages(names),
    )
    .expect("import");
    assert_eq!(s.new.len(), names.len());
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
    cncert_feed::crawl::import(
        &common::repo_config(),
        &Archive::new(&data),
        &cncert_feed::sources::all(),
        &pages(&["2024-43.html"]),
    )
    .expect("import");
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
