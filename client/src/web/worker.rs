//! The workspace's own thread. A [`Workspace`] is one redb file with an edit cache, used
//! by one thread at a time; the web server's handlers are async tasks. So handlers send
//! jobs over a channel to a dedicated std thread: a slow job (an import) never blocks the
//! async runtime that serves pages, scripts and events. The workspace sits in a mutex the
//! thread locks per job, so the sync connector (which takes `&Mutex<Workspace>`) can
//! apply what arrives between two jobs. A long job (an import) calls
//! [`WorkspaceHandle::run_queued`] between its batches, so the page requests that queued
//! up meanwhile are answered before it goes on.

use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread;

use kith_core::Workspace;

use super::error::WebError;

type Job = Box<dyn FnOnce(&mut Workspace) + Send>;

/// A cheap, cloneable way to run code on the workspace thread.
#[derive(Clone)]
pub(crate) struct WorkspaceHandle {
    jobs: mpsc::Sender<Job>,
    /// The thread's queue, shared so a running job can run the jobs waiting behind it.
    queue: Arc<Mutex<mpsc::Receiver<Job>>>,
}

impl WorkspaceHandle {
    /// Starts the thread that runs jobs on `ws`. It ends when every handle is dropped.
    pub(crate) fn spawn(ws: Arc<Mutex<Workspace>>) -> (Self, thread::JoinHandle<()>) {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let waiting = Arc::clone(&queue);
        let thread = thread::Builder::new()
            .name("kith-workspace".into())
            .spawn(move || {
                loop {
                    // The queue's lock is only ever wanted by this thread (here, or in
                    // `run_queued` inside a job), so waiting while holding it is fine.
                    let next = waiting.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok(job) = next else { break };
                    // Every write is one redb transaction: a panic in another job leaves
                    // the workspace as its last commit left it.
                    let mut guard = ws.lock().unwrap_or_else(PoisonError::into_inner);
                    job(&mut guard);
                }
            })
            .expect("the OS starts a thread");
        (WorkspaceHandle { jobs, queue }, thread)
    }

    /// Runs, on `ws`, the jobs waiting in the queue now. Called by a long job between two
    /// of its transactions (on the workspace thread, which is the only caller).
    pub(crate) fn run_queued(&self, ws: &mut Workspace) {
        loop {
            let next = self.queue.lock().unwrap_or_else(PoisonError::into_inner).try_recv();
            let Ok(job) = next else { return };
            job(ws);
        }
    }

    /// Queues `f` to run on the workspace thread, without waiting for it.
    pub(crate) fn submit(&self, f: impl FnOnce(&mut Workspace) + Send + 'static) -> Result<(), WebError> {
        self.jobs.send(Box::new(f)).map_err(|_| WebError::WorkspaceGone)
    }

    /// Runs `f` on the workspace thread and waits (asynchronously) for its result.
    pub(crate) async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Workspace) -> T + Send + 'static,
    ) -> Result<T, WebError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit(move |ws| {
            let _ = tx.send(f(ws));
        })?;
        rx.await.map_err(|_| WebError::WorkspaceGone)
    }
}
