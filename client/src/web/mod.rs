//! The local web UI served by `kith serve`: server-rendered pages (maud, so every value
//! is escaped), one small stylesheet and one small script compiled into the binary, and
//! a JSON API under `/api`.
//!
//! * [`worker`]: the workspace lives on its own thread; handlers send it jobs.
//! * [`security`]: Host check, session token and Origin check on every request.
//! * `layout`: the page shell (sidebar, toast); `objects`, `record`, `kanban`, `pages`:
//!   one module per page or area; `api`: the JSON routes; `events`: live refresh (SSE).
//!
//! Servers take a bound listener and a shutdown future, so tests bind `127.0.0.1:0`.

mod api;
mod assets;
mod automations;
mod columns;
mod connector;
mod dashboards;
mod error;
mod events;
mod export;
mod fields;
mod filters;
mod form;
mod import;
mod kanban;
mod layout;
mod objects;
mod pages;
mod record;
mod reports;
mod rules;
mod schema;
mod schema_edit;
mod security;
mod undo;
mod views;
mod worker;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::{get, post};
use kith_core::Workspace;
use tokio::net::TcpListener;
use tokio::sync::broadcast;

pub(crate) use error::WebError;
pub(crate) use worker::WorkspaceHandle;

/// What every handler can reach.
pub(crate) struct AppState {
    /// Runs jobs on the workspace thread.
    pub(crate) ws: WorkspaceHandle,
    /// The session token state-changing requests must carry.
    pub(crate) token: String,
    /// Host header values this server answers to (DNS rebinding guard).
    pub(crate) allowed_hosts: Vec<String>,
    /// Listening on every interface: any IP literal with our port is a fine Host too.
    pub(crate) any_ip_host: bool,
    pub(crate) port: u16,
    /// Change notices for open pages (server-sent events).
    pub(crate) changes: broadcast::Sender<events::ChangeNotice>,
    /// Becomes `true` when the server shuts down, so endless event streams end and the
    /// graceful shutdown does not wait for them forever.
    pub(crate) stopping: tokio::sync::watch::Receiver<bool>,
    /// What the sync connector last said.
    pub(crate) sync: Arc<Mutex<layout::SyncStatus>>,
    /// Told when the Sync page sets a relay, so the connector (re)starts.
    pub(crate) relay_set: Arc<tokio::sync::Notify>,
    /// Imports started from the import page: their progress and results.
    pub(crate) imports: import::Imports,
}

impl AppState {
    /// The token and sync state a page job needs.
    pub(crate) fn session(&self) -> layout::Session {
        layout::Session {
            token: self.token.clone(),
            sync: Arc::clone(&self.sync),
        }
    }
}

/// A running server's address and its session token (tests need both).
#[derive(Debug, Clone)]
pub struct ServerInfo {
    pub addr: SocketAddr,
    pub token: String,
}

/// Builds the router for `state`.
fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/static/app.css", get(assets::css))
        .route("/static/app.js", get(assets::js))
        .route("/o/{object}", get(objects::list))
        .route("/o/{object}/new", post(objects::create))
        .route("/o/{object}/bulk", post(objects::bulk_edit))
        .route("/o/{object}/export.csv", get(objects::export_csv))
        .route("/o/{object}/board", get(kanban::board))
        .route("/r/{record}", get(record::show))
        .route("/r/{record}/edit", post(record::edit))
        .route("/r/{record}/delete", post(record::delete))
        .route("/r/{record}/restore", post(record::restore))
        .route("/r/{record}/move", post(kanban::move_card))
        .route("/r/{record}/resolve", post(record::resolve))
        .route("/r/{record}/restore-at", post(record::restore_at))
        .route("/revert", post(undo::revert))
        .route("/undo", post(undo::undo))
        .route("/search", get(pages::search))
        .route("/trash", get(pages::trash))
        .route("/conflicts", get(pages::conflicts))
        .route("/schema", get(schema::show))
        .route("/schema/object", post(schema_edit::add_object))
        .route("/schema/object/change", post(schema_edit::change_object))
        .route("/schema/field", post(schema_edit::add_field))
        .route("/schema/field/change", post(schema_edit::change_field))
        .route("/schema/option", post(schema_edit::change_option))
        .route("/schema/retype", get(schema_edit::retype_preview))
        .route("/schema/computed/preview", get(schema::computed_preview))
        .route("/schema/rule", post(rules::change_rule))
        .route("/sync", get(pages::sync))
        .route("/sync/remote", post(pages::set_remote))
        .route("/import", get(import::start))
        .route("/import/preview", post(import::preview))
        .route("/import/run", post(import::run))
        .route("/import/{id}", get(import::status))
        .route("/import/{id}/progress", get(import::progress))
        .route("/views", post(views::create))
        .route("/automations", get(automations::list).post(automations::create))
        .route("/automations/runs", get(automations::runs))
        .route("/automations/runs/{run}/revert", post(automations::revert_run))
        .route("/automations/{id}", get(automations::show).post(automations::update))
        .route("/automations/{id}/toggle", post(automations::toggle))
        .route("/automations/{id}/delete", post(automations::delete))
        .route("/r/{record}/automation/{id}", post(automations::run_on_record))
        .route("/views/{id}/delete", post(views::delete))
        .route("/reports", get(reports::list).post(reports::save))
        .route("/reports/{id}", get(reports::show))
        .route("/reports/{id}/report.csv", get(reports::csv))
        .route("/reports/{id}/delete", post(reports::delete))
        .route("/dashboards", post(dashboards::create))
        .route("/dashboards/{id}", get(dashboards::show).post(dashboards::update))
        .route("/dashboards/{id}/delete", post(dashboards::delete))
        .route("/events", get(events::stream))
        .nest("/api", api::routes())
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::guard))
        .with_state(state)
}

/// Serves the UI for `ws` on `listener` until `shutdown` resolves; returns the workspace.
/// `ready` is told the address and session token once the server accepts connections.
/// When the workspace has a relay (`kith remote set`), the sync connector runs in the same
/// process meanwhile, so changes from other devices show up in open pages.
pub async fn serve(
    ws: Workspace,
    listener: TcpListener,
    ready: impl FnOnce(ServerInfo),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<Workspace> {
    let addr = listener.local_addr()?;
    let (changes, _) = broadcast::channel(256);
    let mut ws = ws;
    if let Err(e) = views::migrate(&mut ws) {
        // The old views stay in their setting; the next start tries again.
        eprintln!("could not move the saved views into view documents: {e}");
    }
    events::listen(&mut ws, changes.clone());
    let shared = Arc::new(Mutex::new(ws));
    let (handle, thread) = WorkspaceHandle::spawn(Arc::clone(&shared));
    let ticker_handle = handle.clone();
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let sync = Arc::new(Mutex::new(layout::SyncStatus::default()));
    let relay_set = Arc::new(tokio::sync::Notify::new());
    // Other kith commands on this workspace run here meanwhile (crate::forward).
    #[cfg(unix)]
    let socket = crate::forward::listen(&shared, "kith serve", Some(Arc::clone(&relay_set)));
    let state = Arc::new(AppState {
        ws: handle,
        token: security::new_token(),
        allowed_hosts: security::allowed_hosts(addr),
        any_ip_host: addr.ip().is_unspecified(),
        port: addr.port(),
        changes,
        stopping: stopping.clone(),
        sync: Arc::clone(&sync),
        relay_set: Arc::clone(&relay_set),
        imports: import::Imports::default(),
    });
    ready(ServerInfo {
        addr,
        token: state.token.clone(),
    });
    let router = app(Arc::clone(&state));
    drop(state);
    let shutdown = async move {
        shutdown.await;
        let _ = stop.send(true);
    };
    let server = async { axum::serve(listener, router).with_graceful_shutdown(shutdown).await };
    let connector = connector::run(Arc::clone(&shared), Arc::clone(&sync), relay_set, stopping.clone());
    let ticker = automation_ticker(ticker_handle, stopping);
    let (served, (), ()) = tokio::join!(server, connector, ticker);
    served?;
    #[cfg(unix)]
    if let Some(socket) = socket {
        socket.stop();
    }
    thread
        .join()
        .map_err(|_| std::io::Error::other("the workspace thread panicked"))?;
    let mut ws = Arc::try_unwrap(shared)
        .map_err(|_| std::io::Error::other("the workspace is still in use"))?
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    ws.clear_change_observers();
    Ok(ws)
}

/// Runs the date-triggered automations that are due every minute until the server stops.
async fn automation_ticker(ws: WorkspaceHandle, mut stopping: tokio::sync::watch::Receiver<bool>) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {
                // A failed run is in the run log; a failed tick is tried again next minute.
                let _ = ws.call(|w| w.automation_tick(kith_core::time_fmt::now_ms()).map(|_| ())).await;
            }
            changed = stopping.changed() => if changed.is_err() { return },
        }
        if *stopping.borrow() {
            return;
        }
    }
}
