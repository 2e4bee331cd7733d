//! The library's error type: each variant names the bad input and says what to do about it, and
//! belongs to one kind ([`ErrorKind`]) that the command line maps to its exit code. Messages hold
//! their cause, so printing an error prints it once.

use std::path::PathBuf;

/// What kind of failure an error is; `main.rs` maps kinds to exit codes (DESIGN.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A bad argument or configuration, found before any work started (exit 2).
    Usage,
    /// A local problem: a file that cannot be read or written, corrupt stored data (exit 1).
    Local,
}

/// Everything that can go wrong in the library, with the input that caused it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration file could not be read from disk.
    #[error("cannot read config file {path}: {cause}; pass an existing file with --config")]
    ConfigRead {
        /// The config file.
        path: PathBuf,
        /// What the OS said.
        cause: std::io::Error,
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
    /// A command-line argument that cannot work (an unknown series, a start URL of no allowed
    /// host, an output path that is a file …), found before any work started.
    #[error("{argument}: {message}")]
    Usage {
        /// The argument as given (`--series foo`).
        argument: String,
        /// What is wrong and what to give instead.
        message: String,
    },
    /// A file given on the command line (or in the archive) could not be read.
    #[error("cannot read {path}: {cause}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        cause: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {cause}; check that the directory exists and is writable")]
    WriteFile {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        cause: std::io::Error,
    },
    /// A stored JSON file could not be parsed.
    #[error("{path} is not valid JSON ({cause}); fix or remove that file by hand, nothing was overwritten")]
    BadJson {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        cause: serde_json::Error,
    },
    /// An archive file whose record names another issue than its place in the archive.
    #[error(
        "{path} holds the record of {says}, not of the issue its place names; move or fix that file by hand, nothing was overwritten"
    )]
    Misplaced {
        /// The file.
        path: PathBuf,
        /// The issue the record says it is.
        says: String,
    },
    /// A value could not be serialized for writing (a feed, a data file, an archive entry).
    #[error("cannot serialize {what}: {message}")]
    Serialize {
        /// What was being written.
        what: String,
        /// What the serializer said.
        message: String,
    },
    /// A record that is not an issue (no series, year or issue) was to be archived.
    #[error("{what} is not an issue of a series (no series, year or issue); only issues are archived")]
    NotAnIssue {
        /// The record's URL or title.
        what: String,
    },
    /// The HTTP client could not be set up (TLS roots, proxy settings).
    #[error("cannot set up the HTTP client: {message}; check HTTP(S)_PROXY and the system's TLS setup")]
    HttpClient {
        /// What reqwest said.
        message: String,
    },
    /// An input that is neither a web page nor a PDF.
    #[error(
        "{input}: not a web page or PDF ({looks_like}); give a saved WeChat article page, a detail page of the website or a report PDF (extract also takes their URLs)"
    )]
    NotADocument {
        /// The file or URL.
        input: String,
        /// What it looks like instead.
        looks_like: String,
    },
    /// A PDF that cannot be read (corrupt, truncated, encrypted with a user password).
    #[error("{input}: cannot read the PDF: {message}; the file may be truncated or corrupt (download it again)")]
    Pdf {
        /// The file or URL.
        input: String,
        /// What the PDF reader said.
        message: String,
    },
}

impl Error {
    /// The kind of failure, for the exit code.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::ConfigRead { .. } | Error::Config { .. } | Error::Usage { .. } => ErrorKind::Usage,
            _ => ErrorKind::Local,
        }
    }

    /// A usage error for `argument`.
    pub fn usage(argument: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Usage {
            argument: argument.into(),
            message: message.into(),
        }
    }
}

/// Shorthand for results of this library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
