//! Where the config comes from (`--config FILE`, `./config.yaml`, or the shipped `config.yaml`
//! compiled into the binary) and `init`, which writes the built-in config (and, with
//! `--workflow`, the publish workflow) to start from.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::{Outcome, Verbosity, usage};
use crate::config::{BUILT_IN, BUILT_IN_NAME, Config};

/// The config file read when `--config` is not given.
pub const DEFAULT_CONFIG: &str = "config.yaml";

/// Where `init --workflow` writes the publish workflow.
pub const WORKFLOW_PATH: &str = ".github/workflows/publish.yml";

/// The repository's own publish workflow, compiled in for `init --workflow`.
pub const WORKFLOW: &str = include_str!("../../.github/workflows/publish.yml");

/// Options of `init`.
#[derive(clap::Args, Debug, Clone)]
pub struct InitArgs {
    /// Overwrite files that exist already.
    #[arg(long)]
    pub force: bool,
    /// Also write the GitHub Actions workflow that crawls, renders and publishes
    /// (.github/workflows/publish.yml).
    #[arg(long)]
    pub workflow: bool,
}

/// Which config a command runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigOrigin {
    /// A file: `--config FILE` or `./config.yaml`.
    File(PathBuf),
    /// The shipped `config.yaml` compiled into the binary.
    BuiltIn,
}

impl ConfigOrigin {
    /// How messages name it: the file's path, or "built-in config.yaml".
    pub fn name(&self) -> String {
        match self {
            ConfigOrigin::File(p) => p.display().to_string(),
            ConfigOrigin::BuiltIn => BUILT_IN_NAME.to_string(),
        }
    }
}

/// Loads the config: `explicit` (`--config FILE`, an error when missing), else `./config.yaml`
/// when it exists, else the built-in one, which is said once on stderr unless quiet.
pub fn load_config(explicit: Option<&Path>, quiet: bool) -> crate::Result<(Config, ConfigOrigin)> {
    if let Some(path) = explicit {
        return Ok((Config::load(path)?, ConfigOrigin::File(path.to_path_buf())));
    }
    let local = Path::new(DEFAULT_CONFIG);
    if local.exists() {
        return Ok((Config::load(local)?, ConfigOrigin::File(local.to_path_buf())));
    }
    let config = Config::built_in()?;
    if !quiet {
        eprintln!(
            "note: no ./{DEFAULT_CONFIG} and no --config: using the {BUILT_IN_NAME} (`cncert-feed init` writes it here to edit)"
        );
    }
    Ok((config, ConfigOrigin::BuiltIn))
}

/// `init`: writes the built-in config to `config` (default `./config.yaml`) and, with
/// `--workflow`, the publish workflow; refuses to overwrite either unless `--force` (nothing is
/// written when one would be refused).
pub fn run_init(config: Option<&Path>, args: &InitArgs, verbosity: Verbosity) -> anyhow::Result<Outcome> {
    let config_path = config
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG));
    let mut files: Vec<(PathBuf, &str)> = vec![(config_path.clone(), BUILT_IN)];
    if args.workflow {
        files.push((PathBuf::from(WORKFLOW_PATH), WORKFLOW));
    }
    for (path, _) in &files {
        if path.exists() && !args.force {
            return Err(usage(
                format!("init {}", path.display()),
                "exists already; nothing was written (pass --force to overwrite it)",
            ));
        }
    }
    for (path, text) in &files {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
        if !verbosity.quiet {
            eprintln!("wrote {}", path.display());
        }
    }
    if !verbosity.quiet {
        eprintln!(
            "next: edit {} (site.base_url, notify targets), then `cncert-feed check` and `cncert-feed build`",
            config_path.display()
        );
    }
    Ok(Outcome::Done)
}
