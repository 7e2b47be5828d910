//! The command line: argument definitions, the documented exit codes, and dispatch to one
//! file per command. This is the only place that uses `anyhow`: stages return their own
//! error types and commands add the context a user needs.

mod alerts;
mod articles;
mod db;
mod demo;
mod eval;
mod events;
mod extract;
mod feeds;
mod opml;
pub mod output;
mod report;
mod reprocess;
mod rules;
mod run;
mod stories;
mod story_output;
mod watch;

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::{Config, ConfigError, LogFormat, DEFAULT_CONFIG_PATH};
use crate::rules::{RuleError, RuleSet};
use crate::store::{RunLock, Store, StoreError};

/// Process exit codes; the README's table mirrors this enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitCode {
    /// Success (a pass may have recorded failed feeds).
    Success = 0,
    /// Fatal runtime error: database not writable, disk full, …
    Fatal = 1,
    /// Usage or configuration error.
    Usage = 2,
    /// Another run holds the lock.
    Locked = 3,
    /// The pass completed but some feeds failed (only when asked for).
    FeedsFailed = 4,
}

/// An error that is the user's to fix (bad flag value, unknown feed name): exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

#[derive(Debug, Parser)]
#[command(
    name = "chipwatch",
    version,
    about = "Watches news feeds for chip orders and export controls and keeps them in SQLite"
)]
pub struct Cli {
    /// Config file [default: $CHIPWATCH_CONFIG, else ./config/chipwatch.toml]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Log format on stderr [default: from the config, else text]
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// More log output (-v debug, -vv trace)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Less log output (-q warnings only, -qq errors only)
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "verbose")]
    pub quiet: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// One pass over the feeds that are due, then exit (for cron and systemd timers)
    Run(run::RunArgs),
    /// Stay up and run passes on schedule; SIGTERM/SIGINT finish in-flight work and exit
    Watch(watch::WatchArgs),
    /// Offline demo: serve the bundled fixture feed on 127.0.0.1, run one pass, print the events
    Demo(demo::DemoArgs),
    /// Run text extraction and the rules on one document (HTML; plain text with --text)
    Extract(extract::ExtractArgs),
    /// List stored events
    Events(events::EventsArgs),
    /// List stories: one real-world order or control as reported across articles
    Stories(stories::StoriesArgs),
    /// Write the stories as one HTML file: a timeline, a table per kind, a summary
    Report(report::ReportArgs),
    /// Alert deliveries waiting or failing; send a sample to one alert
    #[command(subcommand)]
    Alerts(alerts::AlertsCommand),
    /// Feeds and their health; add, remove, import OPML
    #[command(subcommand)]
    Feeds(feeds::FeedsCommand),
    /// Stored articles
    #[command(subcommand)]
    Articles(articles::ArticlesCommand),
    /// Re-run the current rules over stored articles (after a rules change); idempotent
    Reprocess(reprocess::ReprocessArgs),
    /// Rule packs
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Score the rules on a directory of labelled cases
    Eval(eval::EvalArgs),
    /// Database integrity checks; drop old article text, keeping events
    #[command(subcommand)]
    Db(db::DbCommand),
}

/// Where the config comes from, and whether the user asked for that file explicitly.
pub(crate) struct ConfigSource {
    path: PathBuf,
    explicit: bool,
}

impl ConfigSource {
    fn resolve(flag: Option<&Path>) -> ConfigSource {
        if let Some(path) = flag {
            return ConfigSource {
                path: path.to_path_buf(),
                explicit: true,
            };
        }
        match std::env::var_os("CHIPWATCH_CONFIG").filter(|v| !v.is_empty()) {
            Some(path) => ConfigSource {
                path: PathBuf::from(path),
                explicit: true,
            },
            None => ConfigSource {
                path: PathBuf::from(DEFAULT_CONFIG_PATH),
                explicit: false,
            },
        }
    }

    /// The config, required to exist (commands that run feeds need one).
    pub(crate) fn required(&self) -> Result<Config, ConfigError> {
        Config::load(&self.path)
    }

    /// The config when there is one; built-in defaults when no file was asked for and the
    /// default file does not exist.
    pub(crate) fn optional(&self) -> Result<Config, ConfigError> {
        if !self.explicit && !self.path.exists() {
            return Ok(Config::default());
        }
        Config::load(&self.path)
    }
}

/// The configured rule packs, or the embedded ones when none are configured.
pub(crate) fn load_rules(config: &Config) -> Result<RuleSet, RuleError> {
    if config.rules_paths.is_empty() {
        RuleSet::embedded()
    } else {
        RuleSet::load(&config.rules_paths)
    }
}

/// Opens the configured database, naming it in the error.
pub(crate) fn open_store(config: &Config) -> anyhow::Result<Store> {
    Store::open(&config.database_path).with_context(|| {
        format!(
            "cannot open the database {}",
            config.database_path.display()
        )
    })
}

/// Opens the configured database for a command that only reads or tidies what passes
/// stored: a missing file is an error, not a new empty database (which would make
/// `events` run from the wrong directory print nothing, silently).
pub(crate) fn open_existing_store(config: &Config) -> anyhow::Result<Store> {
    if !config.database_path.exists() {
        anyhow::bail!(
            "no database at {}: nothing has been stored there yet (run `chipwatch run` first, or pass --config)",
            config.database_path.display()
        );
    }
    open_store(config)
}

/// Takes the run lock of the configured database (exit code 3 when another holds it).
pub(crate) fn lock_database(config: &Config) -> anyhow::Result<RunLock> {
    Ok(RunLock::acquire(&config.database_path)?)
}

/// Parses nothing, prints nothing: runs the command and says which exit code it earned.
pub fn run(cli: Cli) -> ExitCode {
    let source = ConfigSource::resolve(cli.config.as_deref());
    let verbosity = cli.verbose as i8 - cli.quiet as i8;
    // The log format and level live in the config, so read it (when there is one) before
    // logging starts; a broken config is reported on stderr directly.
    let config = match source.optional() {
        Ok(c) => c,
        Err(e) => return report(&anyhow::Error::new(e)),
    };
    crate::logging::init(
        cli.log_format.unwrap_or(config.log.format),
        &config.log.level,
        verbosity,
    );
    let result = match cli.command {
        Command::Run(args) => source
            .required()
            .map_err(anyhow::Error::new)
            .and_then(|c| run::run(c, &args)),
        Command::Watch(args) => source
            .required()
            .map_err(anyhow::Error::new)
            .and_then(|c| watch::run(c, &args)),
        Command::Demo(args) => demo::run(&args),
        Command::Extract(args) => extract::run(&config, &args),
        Command::Events(args) => events::run(&config, &args),
        Command::Stories(args) => stories::run(&config, &args),
        Command::Report(args) => report::run(&config, &args),
        Command::Alerts(cmd) => alerts::run(&config, &cmd),
        Command::Feeds(cmd) => feeds::run(&config, &cmd),
        Command::Articles(cmd) => articles::run(&config, &cmd),
        Command::Reprocess(args) => reprocess::run(&config, &args),
        Command::Rules(cmd) => rules::run(&config, &cmd),
        Command::Eval(args) => eval::run(&config, &args),
        Command::Db(cmd) => db::run(&config, &cmd),
    };
    match result {
        Ok(code) => code,
        Err(e) => report(&e),
    }
}

/// Prints a one-line error and picks its exit code.
fn report(error: &anyhow::Error) -> ExitCode {
    let line = one_line(error).replace('\n', " ");
    eprintln!("chipwatch: error: {}", output::strip_controls(&line));
    exit_code_for(error)
}

/// The error and its causes joined by ": ", each said once: our messages often quote
/// their cause already ("cannot read config file x: No such file…"), and a context may
/// be the start of the message it wraps.
fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if text.starts_with(&line) {
            line = text;
        } else {
            line.push_str(": ");
            line.push_str(&text);
        }
    }
    line
}

fn exit_code_for(error: &anyhow::Error) -> ExitCode {
    for cause in error.chain() {
        match cause.downcast_ref() {
            Some(StoreError::LockHeld { .. }) => return ExitCode::Locked,
            Some(StoreError::FeedExists { .. } | StoreError::ConfigFeedNotRemovable { .. }) => {
                return ExitCode::Usage
            }
            _ => {}
        }
        if cause.is::<ConfigError>() || cause.is::<RuleError>() || cause.is::<UsageError>() {
            return ExitCode::Usage;
        }
        if let Some(crate::pipeline::PassError::UnknownFeed(_)) = cause.downcast_ref() {
            return ExitCode::Usage;
        }
    }
    ExitCode::Fatal
}

/// The runtime for the commands that fetch, sized by their HTTP settings.
pub(crate) fn runtime(http: &crate::config::HttpConfig) -> anyhow::Result<tokio::runtime::Runtime> {
    crate::pipeline::runtime(http).context("cannot start the async runtime")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// See: issue 10 — "cannot read config file …: No such file or directory (os error
    /// 2): No such file or directory (os error 2)".
    #[test]
    fn an_error_line_says_each_cause_once() {
        let missing = Config::load(Path::new("/nonexistent/chipwatch.toml"))
            .map_err(anyhow::Error::new)
            .err();
        let Some(missing) = missing else {
            panic!("a missing file must not load");
        };
        let line = one_line(&missing);
        assert_eq!(line.matches("os error 2").count(), 1, "{line}");
        assert!(line.starts_with("cannot read config file /nonexistent/chipwatch.toml"));

        let wrapped = anyhow::Error::new(std::io::Error::other("disk full"))
            .context("cannot write x: disk full")
            .context("cannot write x");
        assert_eq!(one_line(&wrapped), "cannot write x: disk full");
        let chained = anyhow::Error::new(std::io::Error::other("denied")).context("opening y");
        assert_eq!(one_line(&chained), "opening y: denied");
    }
}
