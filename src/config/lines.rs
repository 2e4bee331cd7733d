//! Where each value of config.yaml stands: the YAML parser's own positions, by path
//! (`series.0.metrics.3.key`), so an error points at the line of the very value that is wrong
//! (a duplicate at the duplicate), never at the first text that happens to look the same.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// Line numbers (1-based) of the values of a YAML document, by path.
#[derive(Debug, Default, Clone)]
pub struct Lines {
    by_path: HashMap<String, usize>,
}

impl Lines {
    /// Indexes `text`. Text the parser refuses gives an empty index (serde reports that error).
    pub fn of(text: &str) -> Lines {
        let mut walker = Walker::default();
        let mut parser = Parser::new_from_str(text);
        if parser.load(&mut walker, false).is_err() {
            return Lines::default();
        }
        Lines { by_path: walker.lines }
    }

    /// The line of the value at `path`, else of its nearest enclosing value (0 when unknown).
    pub fn line(&self, path: &str) -> usize {
        let mut p = path;
        loop {
            if let Some(l) = self.by_path.get(p) {
                return *l;
            }
            match p.rfind('.') {
                Some(i) => p = &p[..i],
                None => return 0,
            }
        }
    }
}

/// One open container while walking the events.
enum Frame {
    /// A mapping: its path, and the key whose value comes next (None: a key comes next).
    Map { path: String, key: Option<String> },
    /// A sequence: its path and the index of the next item.
    Seq { path: String, next: usize },
}

#[derive(Default)]
struct Walker {
    stack: Vec<Frame>,
    lines: HashMap<String, usize>,
}

fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

impl Walker {
    /// The path of the value that starts now, or None when a mapping key starts now.
    fn value_path(&mut self) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Map { path, key }) => key.take().map(|k| join(path, &k)),
            Some(Frame::Seq { path, next }) => {
                let p = join(path, &next.to_string());
                *next += 1;
                Some(p)
            }
        }
    }
}

impl MarkedEventReceiver for Walker {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let line = mark.line();
        match ev {
            Event::Scalar(value, ..) => match self.value_path() {
                Some(p) => {
                    self.lines.insert(p, line);
                }
                None => {
                    if let Some(Frame::Map { path, key }) = self.stack.last_mut() {
                        let p = join(path, &value);
                        // The entry's line, until its value says where it stands.
                        self.lines.insert(p, line);
                        *key = Some(value);
                    }
                }
            },
            Event::Alias(_) => {
                if let Some(p) = self.value_path() {
                    self.lines.insert(p, line);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_map = matches!(ev, Event::MappingStart(..));
                // A container as a key is not something config.yaml has: index it under "?".
                let path = self.value_path().unwrap_or_else(|| "?".to_string());
                self.lines.entry(path.clone()).or_insert(line);
                self.stack.push(if is_map {
                    Frame::Map { path, key: None }
                } else {
                    Frame::Seq { path, next: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_found_by_path_at_their_own_line() {
        let text = "# key: incidents_handled in a comment\nseries:\n  - id: a\n    metrics:\n      - key: incidents_handled\n        patterns: ['x{N}']\n      - key: incidents_handled\n        patterns:\n          - 'y{N}'\n          - 'z{N}'\n";
        let l = Lines::of(text);
        assert_eq!(l.line("series.0.id"), 3);
        assert_eq!(l.line("series.0.metrics.0.key"), 5);
        assert_eq!(l.line("series.0.metrics.1.key"), 7, "the duplicate's own line");
        assert_eq!(l.line("series.0.metrics.1.patterns.1"), 10);
        assert_eq!(l.line("series.0.metrics.1.patterns.7"), 8, "nearest enclosing value");
        assert_eq!(l.line("nothing"), 0);
    }
}
