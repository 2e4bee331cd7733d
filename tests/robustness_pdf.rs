//! The PDF reader and the website page reader never panic or hang: truncated, bit-flipped and
//! random PDFs, and the fixtures' PDFs cut at every KB, give an error or a record. (The reader
//! runs with a time limit per file: `cncert_feed::read::pdf::PDF_TIME_LIMIT`.)

mod common;

use cncert_feed::sources::read_document;
use cncert_feed::sources::website::read::read_pdf;
use proptest::prelude::*;

fn pdf(name: &str) -> Vec<u8> {
    std::fs::read(common::cert_dir().join("files/pdf").join(name)).expect("fixture readable")
}

/// One PDF of each make: embedded subset fonts, a non-embedded CJK font (UniGB-UCS2-H), encrypted.
const KINDS: [&str; 3] = ["2024-43.pdf", "2024-40.pdf", "2024-38.pdf"];

#[test]
fn fixture_pdfs_cut_at_every_kilobyte_give_an_error_or_a_record() {
    let config = common::repo_config();
    for name in KINDS {
        let bytes = pdf(name);
        for cut in (0..bytes.len()).step_by(1024) {
            match read_pdf(&bytes[..cut], name, &config) {
                Ok(ex) => {
                    // Whatever a cut PDF gives, it is never a figure the whole file does not state.
                    let whole = read_pdf(&bytes, name, &config).expect("the whole file reads");
                    for (k, v) in &ex.report.metrics {
                        assert_eq!(whole.report.metrics.get(k), Some(v), "{name} cut at {cut}: {k}");
                    }
                }
                Err(e) => assert!(e.to_string().contains(name), "{e}"),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn bit_flipped_pdfs_never_panic(kind in 0usize..3, flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..16)) {
        let config = common::repo_config();
        let mut bytes = pdf(KINDS[kind]);
        let len = bytes.len();
        for (at, mask) in flips {
            bytes[at % len] ^= mask | 1;
        }
        let _ = read_pdf(&bytes, "flipped.pdf", &config);
    }

    #[test]
    fn random_bytes_after_a_pdf_header_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let config = common::repo_config();
        let mut bytes = b"%PDF-1.7\n".to_vec();
        bytes.extend(tail);
        let _ = read_document(&bytes, None, "random.pdf", &config);
    }

    #[test]
    fn website_page_soup_never_panics(parts in proptest::collection::vec(
        prop_oneof![
            Just("<h2 class=\"artil_tit\">".to_string()),
            Just("网络安全信息与动态周报(2014.02.03至2014.02.09)".to_string()),
            Just("<div class=\"artil_content\">".to_string()),
            Just("<a href=\"/publish/main/upload/File/周报 1.pdf\">".to_string()),
            Just("<meta charset=gbk>".to_string()),
            Just("共处理网络安全事件".to_string()),
            "[0-9]{1,12}".prop_map(|s| s),
            "\\PC{0,20}".prop_map(|s| s),
        ], 0..40)) {
        let config = common::repo_config();
        let page = parts.concat();
        let _ = read_document(page.as_bytes(), None, "page.html", &config);
    }
}
