//! Live refresh: the workspace tells its change listener after every commit; the notice
//! goes to every open page as a server-sent event, and the page script reloads what it
//! shows (keeping scroll and focus) when nothing is being edited.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use kith_core::Workspace;
use tokio::sync::broadcast;

use super::AppState;

/// "Something changed in the workspace" (the current listener carries no details).
#[derive(Debug, Clone)]
pub(crate) struct ChangeNotice;

/// Registers the listener that turns commits into notices.
pub(crate) fn listen(ws: &mut Workspace, changes: broadcast::Sender<ChangeNotice>) {
    ws.set_change_listener(Some(Box::new(move || {
        // No receiver (no open page) is fine.
        let _ = changes.send(ChangeNotice);
    })));
}

/// GET /events: `change` events until the page goes away or the server stops.
pub(crate) async fn stream(State(state): State<Arc<AppState>>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let mut notices = state.changes.subscribe();
    let mut stopping = state.stopping.clone();
    let stream = async_stream(move |tx| async move {
        loop {
            tokio::select! {
                notice = notices.recv() => match notice {
                    Ok(ChangeNotice) | Err(broadcast::error::RecvError::Lagged(_)) => {
                        if tx.send(Ok(Event::default().event("change").data("workspace"))).await.is_err() {
                            break;
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                _ = stopped(&mut stopping) => break,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

async fn stopped(stopping: &mut tokio::sync::watch::Receiver<bool>) {
    loop {
        let now = *stopping.borrow_and_update();
        if now || stopping.changed().await.is_err() {
            return;
        }
    }
}

/// A stream fed by a task through a channel (keeps the dependency tree free of
/// `async-stream`).
fn async_stream<T, F, Fut>(f: F) -> impl Stream<Item = T>
where
    T: Send + 'static,
    F: FnOnce(tokio::sync::mpsc::Sender<T>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(f(tx));
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) })
}
