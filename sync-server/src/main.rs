//! `kith-relay`: run and administer a Kith relay. A thin binary over the library; one
//! file per subcommand in `cli/`.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

mod cli;

/// The log filter: `RUST_LOG` (or the default level), with Automerge's target off
/// unless it is named.
fn log_directives(asked: Option<&str>, default_level: &str) -> String {
    match asked.map(str::trim) {
        Some(asked) if asked.contains("automerge") => asked.to_string(),
        Some(asked) if !asked.is_empty() => format!("{asked},automerge=off"),
        _ => format!("{default_level},automerge=off"),
    }
}

/// Logs to stderr: text (coloured only on a terminal) or one JSON object a line.
///
/// Serving logs what it does; the admin commands print their results and only warn.
/// Automerge logs every chunk that arrives before its dependencies as an ERROR (its
/// `load_incremental` is instrumented with `err`), which is normal in sync: its
/// target is off unless `RUST_LOG` names it (`RUST_LOG=info` alone would otherwise log
/// an ERROR for every chunk a flood pushes).
fn init_logging(cli: &cli::Cli) {
    use std::io::IsTerminal;
    let default_level = if cli.is_serve() { "info" } else { "warn" };
    let directives = log_directives(std::env::var("RUST_LOG").ok().as_deref(), default_level);
    let filter = EnvFilter::try_new(&directives).unwrap_or_else(|e| {
        eprintln!("warning: RUST_LOG={directives:?} is not a log filter ({e}); logging at {default_level}");
        EnvFilter::new(format!("{default_level},automerge=off"))
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format() {
        cli::LogFormat::Json => builder.json().with_current_span(false).init(),
        cli::LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_logging(&cli);
    match cli.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::log_directives;

    #[test]
    fn automerge_is_silenced_unless_rust_log_names_it() {
        assert_eq!(log_directives(None, "info"), "info,automerge=off");
        assert_eq!(log_directives(Some(" "), "warn"), "warn,automerge=off");
        assert_eq!(log_directives(Some("debug"), "info"), "debug,automerge=off");
        assert_eq!(
            log_directives(Some("info,automerge=debug"), "info"),
            "info,automerge=debug"
        );
    }
}
