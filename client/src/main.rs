//! The `kith` binary: parse the command line, run it, and on failure print one sentence
//! to stderr and exit non-zero. Everything else lives in the `kith` library.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

/// Many threads allocate at once while a device applies a sync backlog; glibc's allocator
/// spends a third of that time on locks (docs/adr/0001-mimalloc.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
            // clap's message up to the usage block: the sentence, and for missing
            // arguments the indented list of what is missing. The usage is left to --help.
            let rendered = e.to_string();
            let message: Vec<&str> = rendered
                .lines()
                .take_while(|l| !l.starts_with("Usage:"))
                .map(str::trim)
                // clap's own pointer to --help: the sentence below ends with one.
                .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
                .collect();
            let sentence = if message.is_empty() {
                "error: invalid arguments".to_string()
            } else {
                message.join(" ")
            };
            let _ = writeln!(std::io::stderr(), "{sentence} (see --help)");
            return ExitCode::from(2);
        }
    };
    match kith::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => match e.already_reported() {
            Some(code) => ExitCode::from(code),
            None => {
                let _ = writeln!(std::io::stderr(), "{}", kith::error_line(&e));
                ExitCode::FAILURE
            }
        },
    }
}
