//! The workspace's own thread. A [`Workspace`] is one redb file with an edit cache, used
//! by one thread at a time; the web server's handlers are async tasks. So the workspace
//! lives on a dedicated std thread and handlers send it jobs over a channel: a slow job
//! (an import) never blocks the async runtime that serves pages, scripts and events.

use std::sync::mpsc;
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
    /// Moves `ws` onto its own thread. The thread ends when every handle is dropped and
    /// gives the workspace back through the join handle.
    pub(crate) fn spawn(mut ws: Workspace) -> (Self, thread::JoinHandle<Workspace>) {
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread = thread::Builder::new()
            .name("kith-workspace".into())
            .spawn(move || {
                for job in queue {
                    job(&mut ws);
                }
                ws
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
