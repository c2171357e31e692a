//! The caller's side: find the holder's socket, send the command, print the answer.

use std::io::{BufReader, Read, Write};
use std::os::unix::net::UnixStream;

use super::protocol::{Chunk, Request, Response, read_bytes, read_header, write_header};
use super::{Forwarding, forwarding, reads_stdin, socket_path};
use crate::CliError;
use crate::commands::{Command, Context};

/// When a process holds the workspace and listens for commands, runs `command` there
/// and returns its outcome; `None` when nobody listens (no socket, or a stale one left
/// by a killed process): the command then runs here.
pub(crate) fn forward_if_held(command: &Command, ctx: &Context) -> Option<Result<(), CliError>> {
    let refusal = match forwarding(command) {
        Forwarding::RunHere => return None,
        Forwarding::Forward => None,
        Forwarding::Refuse(name, why) => Some((name, why)),
    };
    let stream = UnixStream::connect(socket_path(&ctx.workspace)).ok()?;
    Some(match refusal {
        Some((name, why)) => who(stream).and_then(|owner| {
            Err(CliError::HeldElsewhere {
                command: name,
                workspace: ctx.workspace.clone(),
                owner,
                why,
            })
        }),
        None => run(stream, command, ctx),
    })
}

/// Asks the holder who it is.
fn who(mut stream: UnixStream) -> Result<String, CliError> {
    write_header(&mut stream, &Request::Who).map_err(lost)?;
    let response: Response = read_header(&mut BufReader::new(stream)).map_err(lost)?;
    Ok(response.owner)
}

/// Sends the command line and prints what the holder answers.
fn run(mut stream: UnixStream, command: &Command, ctx: &Context) -> Result<(), CliError> {
    let argv = std::env::args_os()
        .skip(1)
        .map(|a| {
            a.into_string().map_err(|a| {
                CliError::InvalidArgument(format!(
                    "the argument {} is not UTF-8, so it cannot be passed to the process that holds the workspace; stop that process or rename the file",
                    a.to_string_lossy()
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let cwd = std::env::current_dir().map_err(|source| CliError::ReadFile {
        path: ".".into(),
        source,
    })?;
    let mut stdin = Vec::new();
    if reads_stdin(command) {
        std::io::stdin()
            .lock()
            .read_to_end(&mut stdin)
            .map_err(|source| CliError::ReadFile {
                path: "standard input".into(),
                source,
            })?;
    }
    let request = Request::Run {
        argv,
        cwd,
        workspace: ctx.workspace.clone(),
        stdin: stdin.len() as u64,
        stream: true,
    };
    write_header(&mut stream, &request).map_err(lost)?;
    stream.write_all(&stdin).map_err(lost)?;
    let mut answer = BufReader::new(stream);
    let response: Response = read_header(&mut answer).map_err(lost)?;
    let (code, err) = if response.streamed {
        read_chunks(&mut answer)?
    } else {
        // A holder of an older version answers at once.
        let out = read_bytes(&mut answer, response.stdout).map_err(lost)?;
        std::io::stdout().lock().write_all(&out)?;
        (response.code, read_bytes(&mut answer, response.stderr).map_err(lost)?)
    };
    std::io::stdout().lock().flush()?;
    // Errors are already worded by the holder, `error: ` and all.
    let _ = std::io::stderr().lock().write_all(&err);
    match code {
        0 => Ok(()),
        code => Err(CliError::Exited(code)),
    }
}

/// Prints standard output as its chunks arrive; returns the exit status and standard
/// error.
fn read_chunks(answer: &mut impl std::io::BufRead) -> Result<(u8, Vec<u8>), CliError> {
    let mut stdout = std::io::stdout().lock();
    loop {
        match read_header(answer).map_err(lost)? {
            Chunk::Stdout { len } => {
                let bytes = read_bytes(answer, len).map_err(lost)?;
                stdout.write_all(&bytes)?;
            }
            Chunk::End { code, stderr } => return Ok((code, read_bytes(answer, stderr).map_err(lost)?)),
        }
    }
}

fn lost(e: std::io::Error) -> CliError {
    CliError::ForwardLost(e.to_string())
}
