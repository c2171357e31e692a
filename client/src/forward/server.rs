//! The holder's side: a listener on `run/kith.sock` in the workspace directory, one
//! thread per forwarded command (commands lock the workspace one at a time; a thread
//! each keeps a slow one from holding up the accept loop, and plain threads, not async
//! tasks, let commands that talk to a relay start their own runtime).

use std::io::{self, BufReader, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};

use clap::Parser;
use kith_core::Workspace;

use super::protocol::{Chunk, Request, Response, read_bytes, read_header, write_header};
use super::{Forwarding, forwarding, owner_name, socket_path};
use crate::commands::remote::{RemoteArgs, RemoteCommand};
use crate::commands::{Captured, Cli, Command, Context, Forwarded, Spill, dispatch};
use crate::error_line;

/// Stack of a thread running a forwarded command: as much as a main thread gets, since
/// that is where commands normally run.
const COMMAND_STACK: usize = 8 << 20;

/// A listening socket; [`SocketServer::stop`] (or dropping it) waits for forwarded
/// commands still running, then removes the socket file.
pub(crate) struct SocketServer {
    path: PathBuf,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Starts listening for the workspace `shared` holds, as `what` (`kith serve`), if it
/// lives on disk. A failure is a warning, not fatal: the holder still works, other
/// commands just cannot reach it.
/// `relay_set` is told when a forwarded `kith remote set` succeeds, so a connector running
/// in the holder (`kith serve`'s) restarts with the new relay.
pub(crate) fn listen(
    shared: &Arc<Mutex<Workspace>>,
    what: &str,
    relay_set: Option<Arc<tokio::sync::Notify>>,
) -> Option<SocketServer> {
    let dir = shared
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .path()
        .map(Path::to_path_buf)?;
    let holder = Holder {
        shared: Arc::clone(shared),
        owner: owner_name(what),
        relay_set,
    };
    match SocketServer::start(&dir, holder) {
        Ok(server) => Some(server),
        Err(e) => {
            eprintln!(
                "warning: other kith commands cannot reach this workspace while {what} runs: cannot listen on {}: {e}",
                socket_path(&dir).display()
            );
            None
        }
    }
}

impl SocketServer {
    /// Listens on the socket of the workspace in `dir`, replacing a stale one (the
    /// caller holds the workspace, so no other live process can be listening there).
    pub(crate) fn start(dir: &Path, holder: Holder) -> io::Result<Self> {
        let path = socket_path(dir);
        let run_dir = path.parent().unwrap_or(dir);
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(run_dir)?;
        // An existing directory keeps its mode through create: make sure of it.
        std::fs::set_permissions(run_dir, std::fs::Permissions::from_mode(0o700))?;
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let listener = UnixListener::bind(&path)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        let stopping = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&stopping);
        let thread = thread::Builder::new()
            .name("kith-socket".into())
            .spawn(move || accept(&listener, &Arc::new(holder), &stop))?;
        Ok(SocketServer {
            path,
            stopping,
            thread: Some(thread),
        })
    }

    /// Stops accepting, waits for the commands under way, removes the socket.
    pub(crate) fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        self.stopping.store(true, Ordering::SeqCst);
        // Wake the accept loop, which then sees `stopping`.
        let _ = UnixStream::connect(&self.path);
        let _ = thread.join();
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Drop for SocketServer {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// The process that holds the workspace, as forwarded commands see it.
pub(crate) struct Holder {
    shared: Arc<Mutex<Workspace>>,
    /// `kith serve (pid 42)`.
    owner: String,
    relay_set: Option<Arc<tokio::sync::Notify>>,
}

/// The accept loop; returns when `stopping` is set, after the commands under way end.
fn accept(listener: &UnixListener, holder: &Arc<Holder>, stopping: &AtomicBool) {
    let mut running: Vec<JoinHandle<()>> = Vec::new();
    for stream in listener.incoming() {
        if stopping.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        running.retain(|t| !t.is_finished());
        let holder = Arc::clone(holder);
        let spawned = thread::Builder::new()
            .name("kith-forwarded".into())
            .stack_size(COMMAND_STACK)
            .spawn(move || {
                // A caller that went away is no concern of the holder.
                let _ = answer(stream, &holder);
            });
        if let Ok(t) = spawned {
            running.push(t);
        }
    }
    for t in running {
        let _ = t.join();
    }
}

/// Reads one request and answers it.
fn answer(stream: UnixStream, holder: &Holder) -> io::Result<()> {
    let mut input = BufReader::new(stream.try_clone()?);
    let mut output = stream;
    let (code, out, err) = match read_header(&mut input)? {
        Request::Who => (0, Vec::new(), Vec::new()),
        Request::Run {
            argv,
            cwd,
            workspace,
            stdin,
            stream,
        } => {
            let stdin = read_bytes(&mut input, stdin)?;
            if stream {
                return answer_in_chunks(output, argv, cwd, workspace, stdin, holder);
            }
            run(argv, cwd, workspace, stdin, holder, None)
        }
    };
    let response = Response {
        owner: holder.owner.clone(),
        code,
        stdout: out.len() as u64,
        stderr: err.len() as u64,
        streamed: false,
    };
    write_header(&mut output, &response)?;
    output.write_all(&out)?;
    output.write_all(&err)?;
    output.flush()
}

/// Runs a command whose caller reads its answer in chunks: standard output goes to the
/// caller as it is printed, then the end.
fn answer_in_chunks(
    mut output: UnixStream,
    argv: Vec<String>,
    cwd: PathBuf,
    workspace: PathBuf,
    stdin: Vec<u8>,
    holder: &Holder,
) -> io::Result<()> {
    let response = Response {
        owner: holder.owner.clone(),
        code: 0,
        stdout: 0,
        stderr: 0,
        streamed: true,
    };
    write_header(&mut output, &response)?;
    let mut sink = output.try_clone()?;
    let spill: Spill = Box::new(move |bytes: &[u8]| write_stdout(&mut sink, bytes));
    let (code, rest, err) = run(argv, cwd, workspace, stdin, holder, Some(spill));
    if !rest.is_empty() {
        write_stdout(&mut output, &rest)?;
    }
    write_header(
        &mut output,
        &Chunk::End {
            code,
            stderr: err.len() as u64,
        },
    )?;
    output.write_all(&err)?;
    output.flush()
}

/// One chunk of standard output, to the caller.
fn write_stdout(out: &mut UnixStream, bytes: &[u8]) -> io::Result<()> {
    write_header(
        out,
        &Chunk::Stdout {
            len: bytes.len() as u64,
        },
    )?;
    out.write_all(bytes)
}

/// Runs a forwarded command line; returns its exit status, stdout (what `spill` was not
/// given) and stderr.
fn run(
    argv: Vec<String>,
    cwd: PathBuf,
    workspace: PathBuf,
    stdin: Vec<u8>,
    holder: &Holder,
    spill: Option<Spill>,
) -> (u8, Vec<u8>, Vec<u8>) {
    let owner = &holder.owner;
    let cli = match Cli::try_parse_from(std::iter::once("kith".to_string()).chain(argv)) {
        Ok(cli) => cli,
        // The caller parsed it already; only a different kith version gets here.
        Err(e) => {
            let first = e.to_string().lines().next().unwrap_or("invalid arguments").to_string();
            return (2, Vec::new(), format!("{first} (given to {owner})\n").into_bytes());
        }
    };
    if let Forwarding::Refuse(name, why) = forwarding(&cli.command) {
        let e = crate::CliError::HeldElsewhere {
            command: name,
            workspace,
            owner: owner.to_string(),
            why,
        };
        return (1, Vec::new(), format!("{}\n", error_line(&e)).into_bytes());
    }
    let sets_relay = matches!(
        &cli.command,
        Command::Remote(RemoteArgs {
            command: RemoteCommand::Set { .. }
        })
    );
    let stdout = Arc::new(Mutex::new(Captured {
        bytes: Vec::new(),
        spill,
    }));
    let stderr = Arc::new(Mutex::new(Captured::default()));
    let ctx = Context::forwarded(
        workspace,
        cli.json,
        Forwarded {
            shared: Arc::clone(&holder.shared),
            owner: owner.to_string(),
            cwd,
            stdin,
            stdout: Arc::clone(&stdout),
            stderr: Arc::clone(&stderr),
        },
    );
    let result = dispatch(cli.command, ctx);
    let take = |b: &Mutex<Captured>| std::mem::take(&mut b.lock().unwrap_or_else(PoisonError::into_inner).bytes);
    let (out, mut err) = (take(&stdout), take(&stderr));
    let code = match result {
        Ok(()) => {
            if let Some(relay_set) = holder.relay_set.as_ref().filter(|_| sets_relay) {
                relay_set.notify_one();
            }
            0
        }
        Err(e) => {
            err.extend_from_slice(format!("{}\n", error_line(&e)).as_bytes());
            1
        }
    };
    (code, out, err)
}
