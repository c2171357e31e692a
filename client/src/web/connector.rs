//! The sync connector inside `kith serve`: runs `sync_watch` on the shared workspace
//! whenever a relay is set, restarts it when the Sync page sets another one, and keeps
//! what it last said for the sidebar and the Sync page.

use std::sync::{Arc, Mutex, PoisonError};

use kith_core::Workspace;
use tokio::sync::{Notify, watch};

use super::events::stopped;
use super::layout::SyncStatus;
use crate::sync::{Remote, SyncEvent, sync_watch};

/// Runs until the server stops.
pub(crate) async fn run(
    shared: Arc<Mutex<Workspace>>,
    status: Arc<Mutex<SyncStatus>>,
    relay_set: Arc<Notify>,
    stopping: watch::Receiver<bool>,
) {
    loop {
        let remote = {
            let ws = shared.lock().unwrap_or_else(PoisonError::into_inner);
            Remote::load(&ws).ok().flatten()
        };
        set(&status, |s| {
            s.running = remote.is_some();
            s.online = false;
            s.last.clear();
        });
        let mut stop = stopping.clone();
        let Some(remote) = remote else {
            tokio::select! {
                () = relay_set.notified() => continue,
                () = stopped(&mut stop) => return,
            }
        };
        let reporter = Arc::clone(&status);
        let watch = sync_watch(&*shared, &remote, stopped(&mut stop), move |event| {
            set(&reporter, |s| match event {
                SyncEvent::Online(_) => (s.online, s.last) = (true, "online".into()),
                SyncEvent::Offline { reason, .. } => (s.online, s.last) = (false, format!("offline: {reason}")),
                SyncEvent::CaughtUp { head } => s.last = format!("online, caught up at {head}"),
                _ => {}
            });
        });
        tokio::select! {
            result = watch => {
                if let Err(e) = result {
                    set(&status, |s| (s.online, s.last) = (false, format!("stopped: {e}")));
                    // A refused token stays refused: wait for another relay or the end.
                    let mut stop = stopping.clone();
                    tokio::select! {
                        () = relay_set.notified() => continue,
                        () = stopped(&mut stop) => return,
                    }
                }
                return;
            }
            () = relay_set.notified() => continue,
        }
    }
}

fn set(status: &Mutex<SyncStatus>, f: impl FnOnce(&mut SyncStatus)) {
    f(&mut status.lock().unwrap_or_else(PoisonError::into_inner));
}
