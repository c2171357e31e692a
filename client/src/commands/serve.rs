//! `kith serve [--port N] [--listen ADDR] [--open]`: the local web UI for the workspace.
//! The server owns the workspace until it stops (Ctrl+C).

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use kith_core::Workspace;

use crate::CliError;
use crate::commands::Context;

/// Serve the web UI for this workspace on 127.0.0.1.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// The port to listen on (0: any free port)
    #[arg(long, default_value_t = 7878)]
    pub port: u16,
    /// The address to listen on. Anything but a loopback address lets other machines
    /// reach your workspace: you are warned.
    #[arg(long, value_name = "ADDR", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub listen: IpAddr,
    /// Open the UI in a browser
    #[arg(long)]
    pub open: bool,
}

pub fn run(args: ServeArgs, ctx: &Context) -> Result<(), CliError> {
    let ws = ctx.open_owned()?;
    serve_workspace(ws, &args)
}

/// Serves `ws` until Ctrl+C (also used by `kith demo`).
pub(crate) fn serve_workspace(ws: Workspace, args: &ServeArgs) -> Result<(), CliError> {
    if !args.listen.is_loopback() {
        eprintln!(
            "warning: listening on {}: anyone who can reach this machine on port {} can read and change this workspace",
            args.listen, args.port
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Serve(e.to_string()))?;
    let open = args.open;
    let addr = SocketAddr::new(args.listen, args.port);
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| CliError::Serve(format!("cannot listen on {addr}: {e}")))?;
        let ready = move |info: crate::web::ServerInfo| {
            let host = if info.addr.ip().is_loopback() || info.addr.ip().is_unspecified() {
                format!("127.0.0.1:{}", info.addr.port())
            } else {
                info.addr.to_string()
            };
            let url = format!("http://{host}/");
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "Kith is running at {url}  (Ctrl+C stops it)");
            let _ = out.flush();
            if open {
                open_browser(&url);
            }
        };
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        crate::web::serve(ws, listener, ready, shutdown)
            .await
            .map_err(|e| CliError::Serve(e.to_string()))?;
        Ok(())
    })
}

/// Opens `url` with the desktop's opener, where there is one; says so when not.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(target_os = "windows") {
        "explorer"
    } else {
        "xdg-open"
    };
    if std::process::Command::new(opener).arg(url).spawn().is_err() {
        eprintln!("could not open a browser ({opener}); open {url} yourself");
    }
}
