//! chipwatch: news feeds in, chip orders and export controls out, in SQLite.
//!
//! The modules follow the data flow, one stage each:
//!
//! ```text
//! config ─► fetch (feed) ─► feed ─► fetch (article page) ─► extract ─► text ─► rules ─► store
//!                                   └───────────── pipeline drives every stage ─────────────┘
//! ```
//!
//! `stories` decides, for `store`, which stored events report the same real-world order
//! or control, and merges them into one story record.
//!
//! `report` renders stored stories and feed health as one self-contained HTML page.
//!
//! `model` holds the plain data the stages pass along; only `fetch` touches the network
//! and only `store` speaks SQL. `cli` is the command line on top.

pub mod cli;
pub mod config;
pub mod extract;
pub mod feed;
pub mod fetch;
pub mod logging;
pub mod model;
pub mod notify;
pub mod pipeline;
mod quick_hash;
pub mod report;
pub mod rules;
pub mod store;
pub mod stories;
pub mod text;
