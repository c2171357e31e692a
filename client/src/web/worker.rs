//! The workspace's own thread. A [`Workspace`] is one redb file with an edit cache, used
//! by one thread at a time; the web server's handlers are async tasks. So handlers send
//! jobs over a channel to a dedicated std thread: a slow job (an import) never blocks the
//! async runtime that serves pages, scripts and events. The workspace sits in a mutex the
//! thread locks per job, so the sync connector (which takes `&Mutex<Workspace>`) can
//! apply what arrives between two jobs.

use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread;

use kith_core::Workspace;

use super::error::WebError;

type Job = Box<dyn FnOnce(&mut Workspace) + Send>;

/// A cheap, cloneable way to run code on the workspace thread.
#[derive(Clone)]
pub(crate) struct WorkspaceHandle {
    jobs: mpsc::Sender<Job>,
}

impl WorkspaceHandle {
    /// Starts the thread that runs jobs on `ws`. It ends when every handle is dropped.
    pub(crate) fn spawn(ws: Arc<Mutex<Workspace>>) -> (Self, thread::JoinHandle<()>) {
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread = thread::Builder::new()
            .name("kith-workspace".into())
            .spawn(move || {
                for job in queue {
                    // Every write is one redb transaction: a panic in another job leaves
                    // the workspace as its last commit left it.
                    let mut guard = ws.lock().unwrap_or_else(PoisonError::into_inner);
                    job(&mut guard);
                }
            })
            .expect("the OS starts a thread");
        (WorkspaceHandle { jobs }, thread)
    }

    /// Runs `f` on the workspace thread and waits (asynchronously) for its result.
    pub(crate) async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Workspace) -> T + Send + 'static,
    ) -> Result<T, WebError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |ws| {
                let _ = tx.send(f(ws));
            }))
            .map_err(|_| WebError::WorkspaceGone)?;
        rx.await.map_err(|_| WebError::WorkspaceGone)
    }
}
