//! [`Context`]: what every subcommand's `run` gets. A command runs either here, in this
//! process (it opens the workspace, prints to stdout and stderr), or *forwarded*: inside
//! the long-running process that holds the workspace (`kith serve`, `kith sync --watch`),
//! which hands it the workspace it already has open and captures what it prints to send
//! back to the caller (see `crate::forward`). The command's code is the same either way:
//! it goes through `ctx.open()`, `ctx.out()`, `ctx.err()`, `ctx.path()` and `ctx.stdin()`.

use std::io::{self, IsTerminal, Read, Write};
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use kith_core::{WORKSPACE_FILE, Workspace};

use crate::CliError;

/// The global options, resolved; every subcommand's `run` gets one.
#[derive(Clone)]
pub struct Context {
    /// The workspace directory (as the caller named it).
    pub workspace: PathBuf,
    /// Print JSON on stdout instead of text.
    pub json: bool,
    host: Host,
}

/// Where the command runs.
#[derive(Clone)]
enum Host {
    /// In this process, on the terminal (or pipes) it was started with.
    Local,
    /// Inside the process that holds the workspace, for a caller elsewhere.
    Forwarded(Arc<Forwarded>),
}

/// What a forwarded command runs with: the owner's workspace and the caller's
/// directory and input, and buffers for what it prints.
pub(crate) struct Forwarded {
    pub(crate) shared: Arc<Mutex<Workspace>>,
    /// The process that holds the workspace, for messages ("kith serve (pid 42)").
    pub(crate) owner: String,
    /// The caller's working directory: relative paths are the caller's.
    pub(crate) cwd: PathBuf,
    /// The caller's standard input, when the command reads it.
    pub(crate) stdin: Vec<u8>,
    pub(crate) stdout: Arc<Mutex<Captured>>,
    pub(crate) stderr: Arc<Mutex<Captured>>,
}

/// Hands a full chunk of a forwarded command's output to the caller.
pub(crate) type Spill = Box<dyn FnMut(&[u8]) -> io::Result<()> + Send>;

/// What a forwarded command printed and not yet passed on. With a `spill`, every
/// [`Captured::CHUNK`] bytes go to the caller as they are printed, so a long output (an
/// export of every record) is never held whole in the holder's memory.
#[derive(Default)]
pub struct Captured {
    pub(crate) bytes: Vec<u8>,
    pub(crate) spill: Option<Spill>,
}

impl Captured {
    /// Output passed on in chunks of this size.
    pub(crate) const CHUNK: usize = 64 * 1024;

    fn write(&mut self, buf: &[u8]) -> io::Result<()> {
        self.bytes.extend_from_slice(buf);
        if self.bytes.len() >= Self::CHUNK
            && let Some(spill) = &mut self.spill
        {
            spill(&self.bytes)?;
            self.bytes.clear();
        }
        Ok(())
    }
}

impl Context {
    /// A command running in this process.
    pub fn local(workspace: PathBuf, json: bool) -> Self {
        Context {
            workspace,
            json,
            host: Host::Local,
        }
    }

    /// A command forwarded to the process that holds the workspace.
    pub(crate) fn forwarded(workspace: PathBuf, json: bool, forwarded: Forwarded) -> Self {
        Context {
            workspace,
            json,
            host: Host::Forwarded(Arc::new(forwarded)),
        }
    }

    /// Opens the workspace (or, forwarded, takes the owner's for the command's length);
    /// a clear error when there is none at `self.workspace`.
    pub fn open(&self) -> Result<OpenWorkspace<'_>, CliError> {
        match &self.host {
            Host::Local => {
                if !self.workspace.join(WORKSPACE_FILE).exists() {
                    return Err(CliError::NoWorkspace(self.workspace.clone()));
                }
                Ok(OpenWorkspace::Owned(Box::new(Workspace::open(&self.workspace)?)))
            }
            Host::Forwarded(f) => {
                // The lock is not reentrant: a command that opened the workspace twice
                // would wait for itself forever, and stall the holder with it.
                if LENT.get() {
                    return Err(CliError::InvalidArgument(
                        "this command opens the workspace while it has it open; it cannot run forwarded".into(),
                    ));
                }
                let guard = f.shared.lock().unwrap_or_else(PoisonError::into_inner);
                LENT.set(true);
                Ok(OpenWorkspace::Shared(Lent(guard)))
            }
        }
    }

    /// Opens the workspace for a command that keeps it for itself (serve, sync); such
    /// commands are never forwarded.
    pub(crate) fn open_owned(&self) -> Result<Workspace, CliError> {
        match self.open()? {
            OpenWorkspace::Owned(ws) => Ok(*ws),
            OpenWorkspace::Shared(_) => Err(CliError::InvalidArgument(
                "this command needs the workspace to itself and cannot be forwarded".into(),
            )),
        }
    }

    /// Standard output (the caller's, when forwarded). Write with `writeln!(out, ..)?`.
    pub fn out(&self) -> Output {
        match &self.host {
            Host::Local => Output::Stdout(io::stdout().lock()),
            Host::Forwarded(f) => Output::Buffer(Arc::clone(&f.stdout)),
        }
    }

    /// Standard error (the caller's, when forwarded): messages for people.
    pub fn err(&self) -> Output {
        match &self.host {
            Host::Local => Output::Stderr(io::stderr()),
            Host::Forwarded(f) => Output::Buffer(Arc::clone(&f.stderr)),
        }
    }

    /// Standard input (the caller's, when forwarded).
    pub fn stdin(&self) -> Box<dyn Read + '_> {
        match &self.host {
            Host::Local => Box::new(io::stdin().lock()),
            Host::Forwarded(f) => Box::new(f.stdin.as_slice()),
        }
    }

    /// A path from the command line, relative to the caller's working directory.
    pub fn path(&self, given: &Path) -> PathBuf {
        match &self.host {
            Host::Forwarded(f) if given.is_relative() => f.cwd.join(given),
            _ => given.to_path_buf(),
        }
    }

    /// Whether progress bars may be drawn: stderr is this process's terminal.
    pub fn shows_progress(&self) -> bool {
        matches!(self.host, Host::Local) && io::stderr().is_terminal()
    }

    /// Why the command cannot ask the user a question, if it cannot.
    pub fn cannot_ask(&self) -> Option<String> {
        match &self.host {
            Host::Forwarded(f) => Some(format!(
                "the command ran in {}, which holds the workspace and cannot ask",
                f.owner
            )),
            Host::Local if !io::stdin().is_terminal() => {
                Some("standard input is not a terminal, so kith cannot ask".into())
            }
            Host::Local => None,
        }
    }
}

thread_local! {
    /// This thread has the holder's workspace lent to it (see [`Context::open`]).
    static LENT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The workspace a command works on: opened by it, or lent by the process that holds it.
/// Derefs to [`Workspace`].
pub enum OpenWorkspace<'a> {
    /// Boxed: a workspace is large, a guard is small.
    Owned(Box<Workspace>),
    Shared(Lent<'a>),
}

/// The holder's workspace, locked for a forwarded command until dropped.
pub struct Lent<'a>(MutexGuard<'a, Workspace>);

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        LENT.set(false);
    }
}

impl Deref for OpenWorkspace<'_> {
    type Target = Workspace;
    fn deref(&self) -> &Workspace {
        match self {
            OpenWorkspace::Owned(ws) => ws,
            OpenWorkspace::Shared(ws) => &ws.0,
        }
    }
}

impl DerefMut for OpenWorkspace<'_> {
    fn deref_mut(&mut self) -> &mut Workspace {
        match self {
            OpenWorkspace::Owned(ws) => ws,
            OpenWorkspace::Shared(ws) => &mut ws.0,
        }
    }
}

/// Where a command's output goes: this process's stdout or stderr, or a buffer sent back
/// to the caller of a forwarded command.
pub enum Output {
    Stdout(io::StdoutLock<'static>),
    Stderr(io::Stderr),
    Buffer(Arc<Mutex<Captured>>),
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout(out) => out.write(buf),
            Output::Stderr(err) => err.write(buf),
            Output::Buffer(b) => {
                b.lock().unwrap_or_else(PoisonError::into_inner).write(buf)?;
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout(out) => out.flush(),
            Output::Stderr(err) => err.flush(),
            Output::Buffer(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(dir: &Path) -> (Context, Arc<Mutex<Captured>>) {
        let ws = Workspace::create(&dir.join("ws"), kith_core::CreateOptions::new("t")).expect("a workspace");
        let stdout = Arc::new(Mutex::new(Captured::default()));
        let ctx = Context::forwarded(
            "ws".into(),
            false,
            Forwarded {
                shared: Arc::new(Mutex::new(ws)),
                owner: "kith serve (pid 1)".into(),
                cwd: dir.to_path_buf(),
                stdin: b"piped".to_vec(),
                stdout: Arc::clone(&stdout),
                stderr: Arc::new(Mutex::new(Captured::default())),
            },
        );
        (ctx, stdout)
    }

    #[test]
    fn a_forwarded_command_gets_the_callers_directory_input_and_output() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (ctx, stdout) = forwarded(dir.path());
        assert_eq!(ctx.path(Path::new("a.csv")), dir.path().join("a.csv"));
        assert_eq!(ctx.path(Path::new("/x/a.csv")), Path::new("/x/a.csv"));
        let mut input = String::new();
        ctx.stdin().read_to_string(&mut input).expect("read");
        assert_eq!(input, "piped");
        writeln!(ctx.out(), "hello").expect("write");
        assert_eq!(stdout.lock().expect("lock").bytes.as_slice(), b"hello\n");
        assert!(!ctx.shows_progress());
        assert!(ctx.cannot_ask().is_some_and(|why| why.contains("kith serve (pid 1)")));
    }

    #[test]
    fn a_long_output_is_passed_on_in_chunks_as_it_is_printed() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (ctx, stdout) = forwarded(dir.path());
        let passed = Arc::new(Mutex::new(Vec::<usize>::new()));
        let seen = Arc::clone(&passed);
        stdout.lock().expect("lock").spill = Some(Box::new(move |chunk| {
            seen.lock().expect("lock").push(chunk.len());
            Ok(())
        }));
        let line = [b'x'; 1000];
        for _ in 0..200 {
            ctx.out().write_all(&line).expect("write");
        }
        let chunks = passed.lock().expect("lock").clone();
        assert_eq!(chunks.len(), 200_000 / Captured::CHUNK);
        assert!(
            chunks
                .iter()
                .all(|&n| n >= Captured::CHUNK && n < Captured::CHUNK + line.len())
        );
        let left = stdout.lock().expect("lock").bytes.len();
        assert_eq!(chunks.iter().sum::<usize>() + left, 200_000);
    }

    #[test]
    fn opening_the_lent_workspace_twice_is_an_error_not_a_deadlock() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (ctx, _) = forwarded(dir.path());
        let first = ctx.open().expect("lent");
        assert!(ctx.open().is_err());
        drop(first);
        assert!(ctx.open().is_ok(), "lent again once given back");
    }
}
