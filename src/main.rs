//! The `chipwatch` binary: parse the command line, run it, exit with its documented code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = chipwatch::cli::Cli::parse();
    let code = chipwatch::cli::run(cli);
    std::process::ExitCode::from(code as u8)
}
