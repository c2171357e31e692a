//! `kith-relay serve`: run the relay until SIGTERM or Ctrl-C, then drain connections.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use tokio::net::TcpListener;

use kith_relay::{Config, DB_FILE, Relay};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The address to listen on (overrides the configuration and KITH_RELAY_LISTEN).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Initialise the data directory first if it was never initialised (without this, a
    /// directory with no relay database is refused: a mistyped --data would otherwise
    /// serve an empty relay)
    #[arg(long)]
    init: bool,
}

pub(crate) async fn run(args: Args, mut config: Config) -> anyhow::Result<()> {
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    let dir = config.data_dir.clone();
    let listen = config.listen;
    if !args.init && !dir.join(DB_FILE).exists() {
        bail!(
            "no relay database in {} (it was never initialised); run `kith-relay init --data {}` first, give --data the directory you initialised, or pass --init",
            dir.display(),
            dir.display()
        );
    }
    let shown = std::path::absolute(&dir).unwrap_or_else(|_| dir.clone());
    // Through the log, so `--log-format json` stays one JSON object per line.
    tracing::info!(data_dir = %shown.display(), "serving the data directory {}", shown.display());
    let relay = match Relay::open(config) {
        Ok(relay) => relay,
        Err(e) if e.is_locked() => bail!("another kith-relay is already serving {}", dir.display()),
        Err(e) => return Err(e).with_context(|| format!("opening the relay in {}", dir.display())),
    };
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    kith_relay::serve(listener, relay, stop_signal()).await?;
    Ok(())
}

/// Completes on Ctrl-C or (on Unix) SIGTERM.
async fn stop_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
