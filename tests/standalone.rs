//! The binary stands alone (issue 22.1): run from an empty directory, with no `--config` and no
//! `./config.yaml`, it uses the shipped config.yaml compiled in and says so once; `init` writes
//! that config (and the publish workflow) to start from, and never overwrites without `--force`.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::server::FixtureServer;

const NEWEST: &str =
    "https://mp.weixin.qq.com/s?__biz=MzIwNDk0MDgxMw==&mid=2247499621&idx=1&sn=c2f01a610aa4c94e22f5246ea639f219";

/// Runs the binary in `dir` with `args` (no `--config`).
fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cncert-feed"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("binary runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// How many times stderr says the built-in config is used.
fn built_in_notes(out: &Output) -> usize {
    stderr(out).matches("using the built-in config.yaml").count()
}

#[test]
fn extract_in_an_empty_directory_uses_the_built_in_config_and_says_so_once() {
    let dir = common::temp_dir("standalone-extract");
    let page = common::site_dir().join("pages/2017-20.html");
    let out = run_in(&dir, &["extract", page.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let record: serde_json::Value = serde_json::from_str(stdout(&out).trim()).expect("one JSON record");
    assert_eq!(record["kind"], "report", "{record}");
    assert_eq!(record["year"], 2017);
    assert_eq!(record["issue"], 20);
    assert_eq!(built_in_notes(&out), 1, "{}", stderr(&out));
}

#[test]
fn check_names_the_config_it_used() {
    let dir = common::temp_dir("standalone-check");
    let out = run_in(&dir, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("built-in config.yaml: OK"), "{}", stdout(&out));
    assert_eq!(built_in_notes(&out), 1, "{}", stderr(&out));
    // -q: no note, and the check still passes.
    let quiet = run_in(&dir, &["-q", "check"]);
    assert_eq!(quiet.status.code(), Some(0));
    assert_eq!(built_in_notes(&quiet), 0, "{}", stderr(&quiet));
}

#[test]
fn render_of_an_empty_archive_works_with_the_built_in_config() {
    let dir = common::temp_dir("standalone-render");
    let out = run_in(&dir, &["render"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(dir.join("public/feeds.opml").exists(), "{}", stderr(&out));
}

#[test]
fn build_against_a_local_server_works_with_the_built_in_config() {
    let server = FixtureServer::start(&common::site_dir());
    let dir = common::temp_dir("standalone-build");
    let out = run_in(
        &dir,
        &[
            "build",
            "--sources",
            "wechat",
            "--base-url",
            &server.origin,
            "--start",
            NEWEST,
            "--max-issues",
            "1",
            "--delay-ms",
            "0",
            "--no-ocr",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(built_in_notes(&out), 1, "{}", stderr(&out));
    let archived = std::fs::read_dir(dir.join("data/cncert-weekly"))
        .expect("archive written")
        .count();
    assert!(archived > 1, "an issue and the state: {}", stderr(&out));
    assert!(dir.join("public/feeds.opml").exists());
}

#[test]
fn an_explicit_config_that_is_missing_stays_an_error() {
    let dir = common::temp_dir("standalone-missing");
    let out = run_in(&dir, &["--config", "nope.yaml", "check"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("nope.yaml"), "{}", stderr(&out));
    assert_eq!(built_in_notes(&out), 0);
}

#[test]
fn init_writes_a_config_that_check_accepts_and_refuses_to_overwrite() {
    let dir = common::temp_dir("standalone-init");
    let out = run_in(&dir, &["init"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let written = std::fs::read_to_string(dir.join("config.yaml")).expect("config.yaml written");
    assert_eq!(
        written,
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.yaml")).expect("shipped config")
    );
    assert!(!dir.join(".github").exists(), "no workflow without --workflow");

    let check = run_in(&dir, &["check"]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    assert!(stdout(&check).starts_with("config.yaml: OK"), "{}", stdout(&check));
    assert_eq!(built_in_notes(&check), 0, "the written file is used");

    std::fs::write(dir.join("config.yaml"), "# mine\n").expect("edit");
    let again = run_in(&dir, &["init", "--workflow"]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
    assert_eq!(
        std::fs::read_to_string(dir.join("config.yaml")).expect("kept"),
        "# mine\n"
    );
    assert!(
        !dir.join(".github").exists(),
        "nothing written when one file is refused"
    );

    let forced = run_in(&dir, &["init", "--workflow", "--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    let workflow = std::fs::read_to_string(dir.join(".github/workflows/publish.yml")).expect("workflow written");
    assert_eq!(
        workflow,
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.github/workflows/publish.yml"))
            .expect("shipped workflow")
    );
    assert_ne!(
        std::fs::read_to_string(dir.join("config.yaml")).expect("config"),
        "# mine\n"
    );
}

#[test]
fn the_offline_demo_builds_feeds_from_the_repository_fixtures() {
    let dir = common::temp_dir("standalone-demo");
    let out = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/demo.sh"))
        .args(["--out", dir.to_str().expect("utf-8 path")])
        .env("CNCERT_FEED", env!("CARGO_BIN_EXE_cncert-feed"))
        .output()
        .expect("bash runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said = stdout(&out);
    let page = dir.join("public/index.html");
    assert!(said.contains(page.to_str().expect("utf-8 path")), "{said}");
    let rss = std::fs::read_to_string(dir.join("public/cncert-weekly/rss.xml")).expect("rss written");
    assert!(
        rss.matches("<item>").count() >= 20,
        "the fixtures' issues are in the feed"
    );
    assert!(said.contains("rss.xml") && said.contains("atom.xml"), "{said}");
}

#[test]
fn check_compiles_every_pattern_and_names_one_too_big_to_compile() {
    // It parses, so the config loads (a run compiles a regex when it first needs it); `check`
    // compiles them all and names the one past the regex engine's size limit.
    let dir = common::temp_dir("standalone-check-big");
    let shipped = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.yaml")).expect("config");
    let big = shipped.replacen(
        "'共处理(?:了)?网络安全事件{N}起'",
        r"'\w{600}共处理(?:了)?网络安全事件{N}起'",
        1,
    );
    assert_ne!(big, shipped, "the shipped pattern was found");
    std::fs::write(dir.join("config.yaml"), big).expect("write");
    let out = run_in(&dir, &["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("incidents_handled's pattern"), "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot be compiled"), "{}", stderr(&out));
    assert!(stderr(&out).contains(r"\w{600}"), "{}", stderr(&out));
    // The shipped config compiles whole.
    std::fs::write(dir.join("config.yaml"), shipped).expect("write");
    let out = run_in(&dir, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
