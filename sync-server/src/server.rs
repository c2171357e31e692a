//! HTTP: the router ([`app`]) and the server loop ([`serve`]).
//!
//! * `GET /v1/sync`: the device WebSocket. The bearer token is checked before the
//!   upgrade (HTTP 401 otherwise); the session then runs in `session.rs`.
//! * `GET /healthz`, `GET /metrics` (Prometheus text).
//!
//! The admin API (`/v1/admin/...`, authorized by the admin secret, `admin_api.rs`) is
//! served on a listener of its own, `admin_listen` (loopback by default), never on the
//! device port.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::{SinkExt, StreamExt, future};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::admin_api;
use crate::auth::{bearer, digests_equal, hash_secret};
use crate::compaction;
use crate::error::{RelayError, ServeError};
use crate::listener::GuardedListener;
use crate::metrics::add;
use crate::relay::{ADDR_FILE, Relay};
use crate::session::{self, InError, InFrame, OutFrame};
use crate::store::{StoreError, TokenRecord};

/// How long a stopping relay waits for its connections to say goodbye.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The device port's HTTP routes.
pub fn app(relay: Relay) -> Router {
    Router::new()
        .route("/v1/sync", get(sync))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(relay)
}

/// The admin port's routes.
fn admin_app(relay: Relay) -> Router {
    Router::new()
        .nest("/v1/admin", admin_api::routes())
        .route("/healthz", get(healthz))
        .with_state(relay)
}

/// Serves `relay` on `listener` until `shutdown` completes, then stops gracefully:
/// no new connections, every session gets `error{shutting_down}` after the acks of
/// its pushes in flight, writers and compaction finish their transactions, and the
/// function returns.
///
/// With a data directory (and so an admin secret), the admin API listens on
/// `admin_listen`; its address is written to `relay.addr` there (for the admin CLI)
/// and removed on exit.
pub async fn serve<F>(listener: TcpListener, relay: Relay, shutdown: F) -> Result<(), ServeError>
where
    F: Future<Output = ()> + Send + 'static,
{
    let local = listener.local_addr()?;
    let hub = relay.inner.hub.clone();
    hub.reopen();
    let (admin_stop, admin_stopped) = watch::channel(false);
    let (addr_file, admin) = match relay.data_dir() {
        Some(dir) => {
            let (address, task) = serve_admin(&relay, admin_stopped).await?;
            let path = dir.join(ADDR_FILE);
            std::fs::write(&path, format!("{address}\n")).map_err(|source| ServeError::AddrFile {
                path: path.clone(),
                source,
            })?;
            tracing::info!(admin = %address, "admin API listening");
            (Some(path), Some(task))
        }
        None => (None, None),
    };
    let (stop, stopped) = watch::channel(false);
    let compactor = relay
        .config()
        .compaction
        .enabled
        .then(|| tokio::spawn(compaction::run_periodically(relay.clone(), stopped)));
    tracing::info!(%local, "kith-relay listening");

    let signal = {
        let hub = hub.clone();
        async move {
            shutdown.await;
            tracing::info!("shutting down: closing connections");
            hub.begin_shutdown();
        }
    };
    let listener = GuardedListener::new(listener, &relay.config().limits, relay.inner.metrics.clone());
    let served = axum::serve(listener, app(relay.clone()))
        .with_graceful_shutdown(signal)
        .await;
    hub.begin_shutdown();
    if !hub.wait_idle(DRAIN_TIMEOUT).await {
        tracing::warn!("some connections did not close in time");
    }
    hub.stop_writers(DRAIN_TIMEOUT).await;
    let _ = stop.send(true);
    if let Some(compactor) = compactor {
        let _ = compactor.await;
    }
    let _ = admin_stop.send(true);
    if let Some(admin) = admin
        && let Ok(Err(e)) = admin.await
    {
        tracing::warn!("the admin API stopped with an error: {e}");
    }
    remove_addr_file(addr_file);
    #[cfg(unix)]
    if let Some(socket) = &relay.config().admin_socket {
        let _ = std::fs::remove_file(socket);
    }
    tracing::info!("kith-relay stopped");
    Ok(served?)
}

/// Starts the admin API on `admin_socket` or `admin_listen`; returns what the CLI
/// connects to (`unix:PATH` or `HOST:PORT`, the content of `relay.addr`).
async fn serve_admin(
    relay: &Relay,
    mut stopped: watch::Receiver<bool>,
) -> Result<(String, tokio::task::JoinHandle<std::io::Result<()>>), ServeError> {
    let stop = async move {
        let _ = stopped.wait_for(|s| *s).await;
    };
    #[cfg(unix)]
    if let Some(socket) = relay.config().admin_socket.clone() {
        use std::os::unix::fs::PermissionsExt;
        // A socket left by a relay that was killed.
        let _ = std::fs::remove_file(&socket);
        let listener = tokio::net::UnixListener::bind(&socket)?;
        std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o600))?;
        let server = axum::serve(listener, admin_app(relay.clone())).with_graceful_shutdown(stop);
        let task = tokio::spawn(async move { server.await });
        return Ok((format!("unix:{}", socket.display()), task));
    }
    let listener = TcpListener::bind(relay.config().admin_listen).await?;
    let local = admin_address(listener.local_addr()?);
    let server = axum::serve(listener, admin_app(relay.clone())).with_graceful_shutdown(stop);
    Ok((local.to_string(), tokio::spawn(async move { server.await })))
}

fn remove_addr_file(path: Option<PathBuf>) {
    if let Some(path) = path
        && let Err(e) = std::fs::remove_file(&path)
    {
        tracing::warn!("cannot remove {}: {e}", path.display());
    }
}

/// The address a local client uses to reach a listener (loopback for a wildcard).
fn admin_address(local: SocketAddr) -> SocketAddr {
    let mut addr = local;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    addr
}

/// An authenticated device: its bearer token is valid and not revoked.
struct DeviceToken(TokenRecord);

impl FromRequestParts<Relay> for DeviceToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, relay: &Relay) -> Result<Self, Self::Rejection> {
        let secret = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer);
        let token = match secret {
            Some(secret) => relay.authenticate(secret).await?,
            None => None,
        };
        token.map(DeviceToken).ok_or_else(|| {
            add(&relay.inner.metrics.unauthorized_total, 1);
            ApiError::Unauthorized
        })
    }
}

async fn sync(DeviceToken(token): DeviceToken, State(relay): State<Relay>, upgrade: WebSocketUpgrade) -> Response {
    // The transport lets frames up to twice the limit through so that a slightly
    // oversized one is read whole and answered with `frame_too_large`.
    let limit = relay.config().limits.max_frame_bytes.saturating_mul(2);
    upgrade
        .max_message_size(limit)
        .max_frame_size(limit)
        // tungstenite's default 128 KiB read buffer stays resident per connection; idle
        // devices are the common case, and 4 KiB takes 5,000 of them from ~730 to ~130 MiB.
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| connection(socket, relay, token))
}

/// Adapts the WebSocket to the session's frames.
async fn connection(socket: WebSocket, relay: Relay, token: TokenRecord) {
    let (sink, stream) = socket.split();
    let sink = sink.with(|frame: OutFrame| {
        future::ready(Ok::<_, axum::Error>(match frame {
            OutFrame::Binary(bytes) => Message::Binary(bytes.into()),
            OutFrame::Ping => Message::Ping(axum::body::Bytes::new()),
            OutFrame::Close(code) => Message::Close(Some(CloseFrame {
                code,
                reason: "".into(),
            })),
        }))
    });
    let stream = stream.map(|item| match item {
        Ok(Message::Binary(bytes)) => Ok(InFrame::Binary(bytes)),
        Ok(Message::Text(_)) => Ok(InFrame::Text),
        Ok(Message::Ping(_)) => Ok(InFrame::Ping),
        Ok(Message::Pong(_)) => Ok(InFrame::Pong),
        Ok(Message::Close(_)) => Ok(InFrame::Close),
        Err(e) => Err(transport_error(e)),
    });
    session::run(sink, stream, relay, token).await;
}

fn transport_error(e: axum::Error) -> InError {
    use tokio_tungstenite::tungstenite::Error as WsError;
    match e.into_inner().downcast::<WsError>() {
        Ok(e) if matches!(*e, WsError::Capacity(_)) => InError::TooLarge,
        _ => InError::Broken,
    }
}

async fn healthz(State(relay): State<Relay>) -> Response {
    let store = relay.inner.store.clone();
    match tokio::task::spawn_blocking(move || store.stats()).await {
        Ok(Ok(_)) => "ok\n".into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n").into_response(),
    }
}

/// Prometheus text. Off with `metrics.enabled = false` (404); with `metrics.token`
/// set, only for `Authorization: Bearer <token>`.
async fn metrics(State(relay): State<Relay>, headers: axum::http::HeaderMap) -> Response {
    let settings = &relay.config().metrics;
    if !settings.enabled {
        return StatusCode::NOT_FOUND.into_response();
    }
    if let Some(expected) = &settings.token {
        let given = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let allowed = given.is_some_and(|g| digests_equal(&hash_secret(g), &hash_secret(expected)));
        if !allowed {
            return ApiError::Unauthorized.into_response();
        }
    }
    let store = relay.inner.store.clone();
    let stats = tokio::task::spawn_blocking(move || store.stats())
        .await
        .ok()
        .and_then(Result::ok);
    let text = relay.inner.metrics.render(relay.inner.hub.depths(), stats);
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

/// An HTTP error answer: a status and `{"error": message}`.
#[derive(Debug)]
pub(crate) enum ApiError {
    Unauthorized,
    BadRequest(String),
    NotFound(String),
    Conflict(String),
    Internal(String),
}

impl From<RelayError> for ApiError {
    fn from(e: RelayError) -> Self {
        match e {
            RelayError::UnknownWorkspace(_) => ApiError::NotFound(e.to_string()),
            RelayError::InvalidName => ApiError::BadRequest(e.to_string()),
            RelayError::Store(StoreError::BackupExists(_)) => ApiError::Conflict(e.to_string()),
            other => {
                tracing::error!("{other}");
                ApiError::Internal(other.to_string())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::Unauthorized => {
                let body = Json(serde_json::json!({ "error": "missing, unknown or revoked token" }));
                return (
                    StatusCode::UNAUTHORIZED,
                    [(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))],
                    body,
                )
                    .into_response();
            }
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m),
            ApiError::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, m),
        };
        (status, Json(serde_json::json!({ "error": message }))).into_response()
    }
}
