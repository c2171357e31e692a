//! Live refresh: the workspace tells its change observers what every commit changed
//! (local, or applied from the relay); the notice goes to every open page as a
//! server-sent event, and the page script refreshes what it shows in place when the
//! change concerns it and nothing is being edited.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use kith_core::{Changes, Workspace};
use tokio::sync::broadcast;

use super::AppState;

/// What a commit changed, as the workspace told it.
#[derive(Debug, Clone)]
pub(crate) struct ChangeNotice(Changes);

impl ChangeNotice {
    /// The event's data: `{"records": [ids], "objects": [ids], "config": [ids], "schema": bool,
    /// "local": bool}` (`config`: configuration documents such as saved views).
    fn json(&self) -> String {
        let c = &self.0;
        serde_json::json!({
            "records": c.records.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "objects": c.objects.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "config": c.config.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "schema": c.schema,
            "local": c.local,
        })
        .to_string()
    }
}

/// Registers the observer that turns commits (local or from sync) into notices.
pub(crate) fn listen(ws: &mut Workspace, changes: broadcast::Sender<ChangeNotice>) {
    ws.add_change_observer(Box::new(move |c: &Changes| {
        // No receiver (no open page) is fine.
        let _ = changes.send(ChangeNotice(c.clone()));
    }));
}

/// GET /events: `change` events until the page goes away or the server stops.
pub(crate) async fn stream(State(state): State<Arc<AppState>>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let mut notices = state.changes.subscribe();
    let mut stopping = state.stopping.clone();
    let stream = async_stream(move |tx| async move {
        loop {
            tokio::select! {
                notice = notices.recv() => match notice {
                    Ok(notice) => {
                        if tx.send(Ok(Event::default().event("change").data(notice.json()))).await.is_err() {
                            break;
                        }
                    }
                    // Missed some: "something changed" makes the page refresh.
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let all = ChangeNotice(Changes::default());
                        if tx.send(Ok(Event::default().event("change").data(all.json()))).await.is_err() {
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

/// Resolves once the server is stopping.
pub(crate) async fn stopped(stopping: &mut tokio::sync::watch::Receiver<bool>) {
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
