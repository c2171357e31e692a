//! `kith-relay`: run and administer a Kith relay. A thin binary over the library; one
//! file per subcommand in `cli/`.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

mod cli;

/// Logs to stderr: text (coloured only on a terminal) or one JSON object a line.
///
/// Serving logs what it does; the admin commands print their results and only warn.
/// Automerge logs every chunk that arrives before its dependencies as an ERROR (its
/// `load_incremental` is instrumented with `err`), which is normal in sync: its
/// target is off unless `RUST_LOG` asks for it.
fn init_logging(cli: &cli::Cli) {
    use std::io::IsTerminal;
    let default_level = if cli.is_serve() { "info" } else { "warn" };
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(format!("{default_level},automerge=off")));
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
