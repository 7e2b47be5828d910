//! One integration binary. What goes where:
//! - `pipeline`: whole passes against a real HTTP server on 127.0.0.1 into a real SQLite file
//! - `cli`: the `chipwatch` binary as users run it (exit codes, output contracts)
//! - `extract`: the extract stage on the benchmark subset and on golden page → text pairs
//! - `docs`: the README and the shipped config stay true to the program
//! - `fetch`: the fetch stage against misbehaving local servers
//! - `feed_corpus`: the parse stage over the whole feedparser test corpus
//! - `ops`: running unattended (lock, signals, logs, systemd and cron files)
//! - `rules_eval`: the rules' accuracy on tests/fixtures/eval and their normalisers
//! - `queries`: the commands that ask the database (events, feeds, reprocess, search, db)
//! - `robots`: robots.txt read as the reference parser and RFC 9309 read it
//! - `retries`: Retry-After scoped to its response, and article pages retried by later passes
//! - `stories`: one deal reported by several sites becomes one story, in any arrival order
//! - `alerts`: stories delivered to webhook receivers and commands, at least once
//! - `datasette`: the database as Datasette sees it: search index, config/datasette.yml

// Unwrapping is how a test says "this must hold".
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod alerts;
mod cli;
mod datasette;
mod docs;
mod extract;
mod feed_corpus;
mod fetch;
mod ops;
mod pipeline;
mod queries;
mod retries;
mod robots;
mod rules_eval;
mod stories;
