//! The anchored form of a pattern's tolerant regex (`\A(?:…)`), tried at the starts its anchor
//! allows: built from the syntax tree parsed at load, with only what an anchored search needs.
//!
//! `regex::Regex::new` parses its source again and builds, besides the forward automaton, a
//! reverse one (to find where a match starts, which an anchored search knows) and tries a
//! one-pass automaton: for the figure patterns, 4 ms a run of the 5 it spent compiling the
//! twenty regexes an issue needs. This builds the forward automaton once, a lazy DFA over it that
//! finds where a match ends, and the bounded backtracker that reads the groups inside that span:
//! what the regex crate itself does for an anchored search. Should either give up (a lazy DFA
//! whose cache keeps filling, a match longer than the backtracker's budget), the regex crate's
//! regex of the same source answers instead.

use std::sync::{Arc, OnceLock};

use regex_automata::hybrid::dfa::{self, DFA};
use regex_automata::nfa::thompson::backtrack::{self, BoundedBacktracker};
use regex_automata::nfa::thompson::{self, NFA};
use regex_automata::util::captures::Captures;
use regex_automata::util::pool::Pool;
use regex_automata::{Anchored, Input};
use regex_syntax::hir::{Hir, Look};

use super::Lazy;

/// The size limits of the regex crate's defaults (`RegexBuilder::size_limit`,
/// `dfa_size_limit`), so that a pattern compiles here exactly when it compiles there.
const NFA_SIZE_LIMIT: usize = 10 * (1 << 20);
const DFA_CACHE_CAPACITY: usize = 2 * (1 << 20);

/// A thread's scratch space for one regex.
struct Caches {
    dfa: dfa::Cache,
    backtrack: backtrack::Cache,
    captures: Captures,
}

type MakeCaches = Box<dyn Fn() -> Caches + Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>;

/// A compiled anchored regex.
struct Engines {
    dfa: DFA,
    backtrack: BoundedBacktracker,
    caches: Pool<Caches, MakeCaches>,
}

impl std::fmt::Debug for Engines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Engines")
    }
}

/// One match: its end, and the span of the group asked for (if it took part).
pub(crate) type AnchoredMatch = (usize, Option<(usize, usize)>);

/// `\A(?:hir)`, compiled the first time it is needed; `source` is its text, for the fallback.
#[derive(Debug, Clone)]
pub(crate) struct AnchoredRegex {
    hir: Arc<Hir>,
    source: String,
    /// `Ok(None)`: the regex compiles, but only the regex crate's engines run it.
    engines: OnceLock<Result<Option<Arc<Engines>>, String>>,
    /// The regex crate's regex of `source`, compiled only if the engines give up.
    fallback: Lazy,
}

impl AnchoredRegex {
    /// The regex `\A(?:…)` of `hir`, whose text is `source`.
    pub(crate) fn new(hir: Hir, source: String) -> AnchoredRegex {
        AnchoredRegex {
            hir: Arc::new(Hir::concat(vec![Hir::look(Look::Start), hir])),
            source,
            engines: OnceLock::new(),
            fallback: Lazy::default(),
        }
    }

    fn engines(&self) -> Result<Option<&Engines>, &str> {
        self.engines
            .get_or_init(|| build(&self.hir).map(|e| e.map(Arc::new)))
            .as_ref()
            .map(|e| e.as_deref())
            .map_err(String::as_str)
    }

    /// Why it did not compile, once it was needed and did not.
    pub(crate) fn problem(&self) -> Option<&str> {
        match self.engines.get() {
            Some(Err(e)) => Some(e),
            _ => self.fallback.problem(),
        }
    }

    /// Compiles it now; the error if it does not compile.
    pub(crate) fn compile_now(&self) -> Result<(), String> {
        self.engines().map(|_| ()).map_err(str::to_string)
    }

    /// The leftmost-first match at the start of `hay` (as `captures_read` of the regex gives
    /// it): its end and the span of group `group`. `None`: no match, or no regex (see
    /// [`AnchoredRegex::problem`]).
    pub(crate) fn find(&self, hay: &str, group: Option<usize>) -> Option<AnchoredMatch> {
        let Some(engines) = self.engines().ok()? else {
            return self.find_by_regex(hay, group);
        };
        let mut caches = engines.caches.get();
        let caches = &mut *caches;
        let input = Input::new(hay).anchored(Anchored::Yes);
        let end = match engines.dfa.try_search_fwd(&mut caches.dfa, &input) {
            Ok(Some(half)) => half.offset(),
            Ok(None) => return None,
            Err(_) => return self.find_by_regex(hay, group),
        };
        let within = input.clone().span(0..end);
        match engines
            .backtrack
            .try_search(&mut caches.backtrack, &within, &mut caches.captures)
        {
            Ok(()) if caches.captures.is_match() => {
                let value = group
                    .and_then(|g| caches.captures.get_group(g))
                    .map(|s| (s.start, s.end));
                Some((end, value))
            }
            // The lazy DFA found a match that the backtracker, within it, must find too.
            Ok(()) | Err(_) => self.find_by_regex(hay, group),
        }
    }

    fn find_by_regex(&self, hay: &str, group: Option<usize>) -> Option<AnchoredMatch> {
        let re = self.fallback.get(&self.source)?;
        let mut locs = re.capture_locations();
        let m = re.captures_read(&mut locs, hay)?;
        Some((m.end(), group.and_then(|g| locs.get(g))))
    }
}

/// The forward automaton of `hir`, its lazy DFA and backtracker, with the regex crate's limits.
/// An error (the automaton past the size limit) is the regex crate's error for the same regex;
/// `None` when the lazy DFA or the backtracker cannot be built for it (the regex crate then
/// uses its other engines: so does [`AnchoredRegex::find`]).
fn build(hir: &Hir) -> Result<Option<Engines>, String> {
    thread_local! {
        // One compiler a thread, reused: compiling a class of non-ASCII characters (`[万亿]`)
        // sets up a 10,000-entry table in the compiler, which a new compiler would allocate,
        // clear and free for every pattern (a quarter of the time to compile one). A build
        // starts from an empty NFA and an emptied table: the NFA is the same either way.
        static COMPILER: thompson::Compiler = {
            let mut c = thompson::Compiler::new();
            c.configure(thompson::Config::new().nfa_size_limit(Some(NFA_SIZE_LIMIT)));
            c
        };
    }
    let nfa: NFA = COMPILER.with(|c| {
        c.build_from_hir(hir).map_err(|e| match e.size_limit() {
            Some(limit) => format!("Compiled regex exceeds size limit of {limit} bytes."),
            None => e.to_string(),
        })
    })?;
    let Ok(dfa) = DFA::builder()
        .configure(
            DFA::config()
                .cache_capacity(DFA_CACHE_CAPACITY)
                // As the regex crate's: a lazy DFA that keeps clearing its cache gives up (here, to
                // the regex crate's own engines).
                .minimum_cache_clear_count(Some(3))
                .minimum_bytes_per_state(Some(10)),
        )
        .build_from_nfa(nfa.clone())
    else {
        return Ok(None);
    };
    let Ok(backtrack) = BoundedBacktracker::new_from_nfa(nfa) else {
        return Ok(None);
    };
    let (d, b) = (dfa.clone(), backtrack.clone());
    let make: MakeCaches = Box::new(move || Caches {
        dfa: d.create_cache(),
        backtrack: b.create_cache(),
        captures: b.create_captures(),
    });
    Ok(Some(Engines {
        dfa,
        backtrack,
        caches: Pool::new(make),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn both(pattern: &str, hay: &str) -> (Option<AnchoredMatch>, Option<AnchoredMatch>) {
        let hir = regex_syntax::Parser::new().parse(pattern).expect("valid");
        let source = format!(r"\A(?:{pattern})");
        let re = regex::Regex::new(&source).expect("valid");
        let group = re.capture_names().position(|n| n == Some("value"));
        let mut locs = re.capture_locations();
        let want = re
            .captures_read(&mut locs, hay)
            .map(|m| (m.end(), group.and_then(|g| locs.get(g))));
        (AnchoredRegex::new(hir, source).find(hay, group), want)
    }

    #[test]
    fn matches_as_the_regex_crate_does() {
        for (pattern, hay) in [
            (
                r"共处理(?:了)?网络安全事件(?P<value>[0-9]+)起",
                "共处理了网络安全事件295起，其中",
            ),
            (r"(?:含|其中)跨境事件(?P<value>[0-9]+)起$", "其中跨境事件12起"),
            (r"(?:含|其中)跨境事件(?P<value>[0-9]+)起$", "其中跨境事件12起。"),
            (r"a(?P<value>b)?c|ab", "abd"),
            (r"(?P<value>x*)", "yyy"),
            (r"评价为(?P<value>[优良中差])", "评价为良"),
            (r"事件(?P<value>[0-9]+)起", "无事件"),
        ] {
            let (got, want) = both(pattern, hay);
            assert_eq!(got, want, "{pattern} over {hay}");
        }
    }

    #[test]
    fn a_match_past_the_backtrackers_budget_is_read_by_the_regex() {
        // 200,000 digits: more than the bounded backtracker takes for this automaton.
        let hay = format!("事件{}起", "7".repeat(200_000));
        let pattern = r"事件(?P<value>[0-9]+)起";
        let re = AnchoredRegex::new(
            regex_syntax::Parser::new().parse(pattern).expect("valid"),
            String::new(),
        );
        let budget = re.engines().ok().flatten().map(|e| e.backtrack.max_haystack_len());
        assert!(budget.is_some_and(|b| b < hay.len()), "{budget:?}");
        let (got, want) = both(pattern, &hay);
        assert_eq!(got, want);
        assert_eq!(got.map(|(end, _)| end), Some(hay.len()));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn any_text_is_matched_as_the_regex_crate_does(hay in "[处理了网络安全事件其中含起0-9,.万a ]{0,40}") {
            for pattern in [
                r"(?:共处理|处理)(?:了)?网络安全事件(?P<value>[0-9]+(?:,[0-9]+)*(?:\.[0-9]+)?[万亿]?)起",
                r"(?:含|其中)?(?P<value>[0-9]+)起",
                r"(?P<value>[0-9]*)",
            ] {
                let (got, want) = both(pattern, &hay);
                prop_assert_eq!(got, want, "{} over {}", pattern, hay);
            }
        }
    }
}
