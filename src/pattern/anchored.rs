//! The anchored regexes of a pattern (`\A(?:…)`), tried at the starts its anchor allows: built
//! from the syntax tree with only what an anchored search needs.
//!
//! `regex::Regex::new` parses its source again and builds, besides the forward automaton, a
//! reverse one (to find where a match starts, which an anchored search knows) and tries a
//! one-pass automaton: for the figure patterns, 4 ms a run of the 5 it spent compiling the
//! twenty regexes an issue needs. This builds the forward automaton once, a lazy DFA over it that
//! finds where a match ends, and the bounded backtracker that reads the groups inside that span:
//! what the regex crate itself does for an anchored search. Should the lazy DFA give up (its
//! cache keeps filling) or a match be longer than the backtracker's budget, the PikeVM over the
//! same automaton answers: it has no limit, so every match is found (a pattern is never read in
//! part).
//!
//! A pattern compiles when its forward automaton fits the regex crate's size limit. The regex
//! crate asks the same of its reverse automaton too, which no anchored search uses, and refused a
//! few patterns this reads: one whose reverse automaton alone is too big (a long class of non-ASCII
//! characters repeated hundreds of times), one nested within two levels of the syntax's limit (the
//! `\A(?:…)` that the source form wrapped it in), a `(?x)` pattern ending in a comment (which
//! swallowed the wrapper's `)`). `check` still compiles the pattern as written with the regex crate.

use std::sync::{Arc, OnceLock};

use regex_automata::hybrid::dfa::{self, DFA};
use regex_automata::nfa::thompson::backtrack::{self, BoundedBacktracker};
use regex_automata::nfa::thompson::pikevm::{self, PikeVM};
use regex_automata::nfa::thompson::{self, NFA};
use regex_automata::util::captures::Captures;
use regex_automata::util::pool::Pool;
use regex_automata::{Anchored, Input};
use regex_syntax::hir::{Hir, Look};

/// The size limits of the regex crate's defaults (`RegexBuilder::size_limit`,
/// `dfa_size_limit`).
const NFA_SIZE_LIMIT: usize = 10 * (1 << 20);
const DFA_CACHE_CAPACITY: usize = 2 * (1 << 20);

/// A thread's scratch space for one regex.
struct Caches {
    dfa: Option<dfa::Cache>,
    backtrack: Option<backtrack::Cache>,
    pikevm: pikevm::Cache,
    captures: Captures,
}

type MakeCaches = Box<dyn Fn() -> Caches + Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>;

/// A compiled anchored regex: the lazy DFA and the backtracker where they can be built for it,
/// the PikeVM always.
struct Engines {
    dfa: Option<DFA>,
    backtrack: Option<BoundedBacktracker>,
    pikevm: PikeVM,
    caches: Pool<Caches, MakeCaches>,
}

impl std::fmt::Debug for Engines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Engines")
    }
}

/// One match: its end, and the span of the group asked for (if it took part).
pub(crate) type AnchoredMatch = (usize, Option<(usize, usize)>);

/// What the regex is made of: a syntax tree parsed at load, or a source parsed when first needed.
#[derive(Debug, Clone)]
enum Syntax {
    Tree(Arc<Hir>),
    Source(Arc<str>),
}

/// `\A(?:…)`, compiled the first time it is needed.
#[derive(Debug, Clone)]
pub(crate) struct AnchoredRegex {
    syntax: Syntax,
    engines: OnceLock<Result<Arc<Engines>, String>>,
}

impl AnchoredRegex {
    /// The regex `\A(?:…)` of a parsed pattern.
    pub(crate) fn new(hir: Hir) -> AnchoredRegex {
        AnchoredRegex {
            syntax: Syntax::Tree(Arc::new(hir)),
            engines: OnceLock::new(),
        }
    }

    /// The regex `\A(?:…)` of a pattern's source, parsed when first needed (for regexes most runs
    /// never need).
    pub(crate) fn of_source(source: &str) -> AnchoredRegex {
        AnchoredRegex {
            syntax: Syntax::Source(source.into()),
            engines: OnceLock::new(),
        }
    }

    fn engines(&self) -> Result<&Engines, &str> {
        self.engines
            .get_or_init(|| {
                let hir = match &self.syntax {
                    Syntax::Tree(hir) => (**hir).clone(),
                    Syntax::Source(source) => regex_syntax::Parser::new().parse(source).map_err(|e| e.to_string())?,
                };
                build(Hir::concat(vec![Hir::look(Look::Start), hir])).map(Arc::new)
            })
            .as_ref()
            .map(|e| &**e)
            .map_err(String::as_str)
    }

    /// Why it did not compile, once it was needed and did not.
    pub(crate) fn problem(&self) -> Option<&str> {
        match self.engines.get() {
            Some(Err(e)) => Some(e),
            _ => None,
        }
    }

    /// Compiles it now; the error if it does not compile.
    pub(crate) fn compile_now(&self) -> Result<(), String> {
        self.engines().map(|_| ()).map_err(str::to_string)
    }

    /// The leftmost-first match at the start of `hay` (as the regex crate's `captures_read` of
    /// `\A(?:…)` gives it): its end and the span of group `group`. `None`: no match, or no regex
    /// (see [`AnchoredRegex::problem`]).
    pub(crate) fn find(&self, hay: &str, group: Option<usize>) -> Option<AnchoredMatch> {
        let engines = self.engines().ok()?;
        let mut caches = engines.caches.get();
        let caches = &mut *caches;
        let input = Input::new(hay).anchored(Anchored::Yes);
        // Where the match ends (the lazy DFA), then its groups inside it (the backtracker): the
        // PikeVM wherever either cannot answer.
        let within = match (&engines.dfa, caches.dfa.as_mut()) {
            (Some(dfa), Some(cache)) => match dfa.try_search_fwd(cache, &input) {
                Ok(Some(half)) => input.clone().span(0..half.offset()),
                Ok(None) => return None,
                Err(_) => input.clone(),
            },
            _ => input.clone(),
        };
        let by_backtracker = match (&engines.backtrack, caches.backtrack.as_mut()) {
            (Some(bt), Some(cache)) if within.get_span().len() <= bt.max_haystack_len() => {
                bt.try_search(cache, &within, &mut caches.captures).is_ok()
            }
            _ => false,
        };
        if !by_backtracker {
            engines.pikevm.search(&mut caches.pikevm, &within, &mut caches.captures);
        }
        let m = caches.captures.get_match()?;
        let value = group
            .and_then(|g| caches.captures.get_group(g))
            .map(|s| (s.start, s.end));
        Some((m.end(), value))
    }
}

/// The forward automaton of `hir` under the regex crate's size limit (the error is the regex
/// crate's for a pattern too big), its PikeVM, and the lazy DFA and the backtracker where they
/// can be built for it.
fn build(hir: Hir) -> Result<Engines, String> {
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
        c.build_from_hir(&hir).map_err(|e| match e.size_limit() {
            Some(limit) => format!("Compiled regex exceeds size limit of {limit} bytes."),
            None => e.to_string(),
        })
    })?;
    let pikevm = PikeVM::new_from_nfa(nfa.clone()).map_err(|e| e.to_string())?;
    let dfa = DFA::builder()
        .configure(
            DFA::config()
                .cache_capacity(DFA_CACHE_CAPACITY)
                // As the regex crate's: a lazy DFA that keeps clearing its cache gives up (here, to
                // the PikeVM).
                .minimum_cache_clear_count(Some(3))
                .minimum_bytes_per_state(Some(10)),
        )
        .build_from_nfa(nfa.clone())
        .ok();
    let backtrack = BoundedBacktracker::new_from_nfa(nfa).ok();
    let (d, b, p) = (dfa.clone(), backtrack.clone(), pikevm.clone());
    let make: MakeCaches = Box::new(move || Caches {
        dfa: d.as_ref().map(DFA::create_cache),
        backtrack: b.as_ref().map(BoundedBacktracker::create_cache),
        pikevm: p.create_cache(),
        captures: p.create_captures(),
    });
    Ok(Engines {
        dfa,
        backtrack,
        pikevm,
        caches: Pool::new(make),
    })
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
        (AnchoredRegex::new(hir).find(hay, group), want)
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
    fn a_match_past_the_backtrackers_budget_is_read_by_the_pikevm() {
        // 200,000 digits: more than the bounded backtracker takes for this automaton.
        let hay = format!("事件{}起", "7".repeat(200_000));
        let pattern = r"事件(?P<value>[0-9]+)起";
        let re = AnchoredRegex::new(regex_syntax::Parser::new().parse(pattern).expect("valid"));
        let budget = re
            .engines()
            .ok()
            .and_then(|e| e.backtrack.as_ref())
            .map(BoundedBacktracker::max_haystack_len);
        assert!(budget.is_some_and(|b| b < hay.len()), "{budget:?}");
        let (got, want) = both(pattern, &hay);
        assert_eq!(got, want);
        assert_eq!(got.map(|(end, _)| end), Some(hay.len()));
    }

    /// The value a pattern (its source, as config.yaml writes it) reads at the start of `hay`.
    fn value_of(re: &AnchoredRegex, pattern_group: usize, hay: &str) -> Option<String> {
        let (_, value) = re.find(hay, Some(pattern_group))?;
        value.map(|(a, b)| hay[a..b].to_string())
    }

    #[test]
    fn patterns_the_source_form_refused_are_read_whole() {
        // The regex crate refuses `\A(?:…)` of these (a reverse automaton past its size limit,
        // the wrapper's nesting past the syntax's limit, a comment swallowing the wrapper's `)`),
        // though each pattern is valid and its forward automaton small. Matches are read in full,
        // the long ones (past the backtracker's budget) by the PikeVM: never in part.
        let reverse_too_big = r"(?:x\D{0,830})?共处理网络安全事件(?P<value>\d+)起";
        assert!(regex::Regex::new(&format!(r"\A(?:{reverse_too_big})")).is_err());
        let re = AnchoredRegex::new(regex_syntax::Parser::new().parse(reverse_too_big).expect("valid"));
        for hay in [
            "共处理网络安全事件5起".to_string(),
            format!("x{}共处理网络安全事件7起", "啊".repeat(30)),
            format!("x{}共处理网络安全事件8起", "啊".repeat(800)),
        ] {
            let want = hay.chars().rev().nth(1).map(String::from);
            assert_eq!(value_of(&re, 1, &hay), want, "{hay}");
        }
        assert_eq!(re.problem(), None);
        let nested = format!(
            "{}共处理网络安全事件{}(?P<value>[0-9]+)起",
            "(?:".repeat(248),
            ")".repeat(248)
        );
        assert!(regex::Regex::new(&format!(r"\A(?:{nested})")).is_err());
        let re = AnchoredRegex::of_source(&nested);
        assert_eq!(value_of(&re, 1, "共处理网络安全事件5起").as_deref(), Some("5"));
        let commented = "(?x)共处理网络安全事件(?P<value>[0-9]+)起 # the figure";
        assert!(regex::Regex::new(&format!(r"\A(?:{commented})")).is_err());
        let re = AnchoredRegex::of_source(commented);
        assert_eq!(value_of(&re, 1, "共处理网络安全事件5起。").as_deref(), Some("5"));
        // Past the forward automaton's size limit, it does not compile, and says why.
        let re = AnchoredRegex::of_source(r"\w{600}共处理网络安全事件(?P<value>[0-9]+)起");
        assert!(re.compile_now().is_err_and(|e| e.contains("size limit")));
        assert!(re.problem().is_some_and(|e| e.contains("size limit")));
        assert_eq!(re.find("共处理网络安全事件5起", Some(1)), None);
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
