//! The `kith` binary: parse the command line, run it, and on failure print one sentence
//! to stderr and exit non-zero. Everything else lives in the `kith` library.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match kith::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // `kith` or `kith record` alone: show what there is to run.
            let _ = e.print();
            return ExitCode::from(2);
        }
        Err(e) => {
            // clap's first line is the sentence ("error: unexpected argument ..."); the
            // usage lines after it are left to `--help`.
            let rendered = e.to_string();
            let first = rendered
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("error: invalid arguments");
            let _ = writeln!(std::io::stderr(), "{} (see --help)", first.trim_end());
            return ExitCode::from(2);
        }
    };
    match kith::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            let message = e.to_string();
            let one_line: String = message.split_whitespace().collect::<Vec<_>>().join(" ");
            let _ = writeln!(std::io::stderr(), "error: {one_line}");
            ExitCode::FAILURE
        }
    }
}
