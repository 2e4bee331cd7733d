//! The library's error type: each variant names the bad input and says what to do about it.

use std::path::PathBuf;

/// Everything that can go wrong in the library, with the input that caused it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration file could not be read from disk.
    #[error("cannot read config file {path}: {source}; pass an existing file with --config")]
    ConfigRead {
        /// The config file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The configuration file is not valid: wrong field, wrong type, bad regex, missing value.
    #[error("{path}:{line}: {message}")]
    Config {
        /// The config file (or `<inline>` for YAML given as a string).
        path: String,
        /// The 1-based line of the problem (0 when unknown).
        line: usize,
        /// What is wrong and what to write instead.
        message: String,
    },
    /// A file given on the command line could not be read.
    #[error("cannot read {path}: {source}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}; check that the directory exists and is writable")]
    WriteFile {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A stored JSON file could not be parsed.
    #[error("{path} is not valid JSON ({source}); fix or remove that file by hand, nothing was overwritten")]
    BadJson {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        source: serde_json::Error,
    },
    /// A PDF that cannot be read (corrupt, truncated, encrypted with a user password).
    #[error("{input}: cannot read the PDF: {message}; the file may be truncated or corrupt (download it again)")]
    Pdf {
        /// The file or URL.
        input: String,
        /// What the PDF reader said.
        message: String,
    },
    /// Something else with context.
    #[error("{0}")]
    Other(String),
}

/// Shorthand for results of this library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
