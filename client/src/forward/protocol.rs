//! The local socket's messages. Each side sends one JSON line (a header), then the raw
//! bytes the header announces: the caller's standard input with a request, the command's
//! standard output and standard error with a response. Raw bytes, not JSON strings, so a
//! CSV piped into `kith import -` arrives as it was, whatever its encoding.
//!
//! A caller that says `"stream": true` gets its answer in chunks instead: a [`Response`]
//! with `"streamed": true` (and no bytes), then [`Chunk`] lines, each followed by its
//! bytes: standard output as it is printed, then the end (exit status and standard
//! error). So a long output (`kith export` of every record) is never held whole by
//! the holder. Callers and holders of older versions, which know neither field, keep
//! the single answer.

use std::io::{self, BufRead, Read, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Largest header line accepted: argv and paths, never data.
const MAX_HEADER: u64 = 1 << 20;

/// What a caller asks.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum Request {
    /// Which process holds the workspace (for a command that cannot be forwarded).
    Who,
    /// Run a command line as if in `cwd`; `stdin` bytes follow the header.
    Run {
        /// The arguments after the program name.
        argv: Vec<String>,
        /// The caller's working directory: relative paths are resolved against it.
        cwd: PathBuf,
        /// The workspace as the caller named it (for messages).
        workspace: PathBuf,
        /// How many bytes of standard input follow.
        stdin: u64,
        /// The caller reads the answer in chunks.
        #[serde(default)]
        stream: bool,
    },
}

/// The answer: who holds the workspace and, for `Run`, what the command printed and its
/// exit status; `stdout` then `stderr` bytes follow the header.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Response {
    pub(crate) owner: String,
    pub(crate) code: u8,
    pub(crate) stdout: u64,
    pub(crate) stderr: u64,
    /// The answer follows in [`Chunk`]s (`code`, `stdout` and `stderr` are then 0).
    #[serde(default)]
    pub(crate) streamed: bool,
}

/// One part of a streamed answer; its bytes follow the line.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "chunk", rename_all = "snake_case")]
pub(crate) enum Chunk {
    /// `len` bytes of standard output.
    Stdout { len: u64 },
    /// The command ended with `code`; `stderr` bytes of standard error follow.
    End { code: u8, stderr: u64 },
}

/// Writes a header line.
pub(crate) fn write_header<T: Serialize>(out: &mut impl Write, header: &T) -> io::Result<()> {
    let mut line = serde_json::to_vec(header).map_err(io::Error::other)?;
    line.push(b'\n');
    out.write_all(&line)
}

/// Reads a header line.
pub(crate) fn read_header<T: for<'de> Deserialize<'de>>(input: &mut impl BufRead) -> io::Result<T> {
    let mut line = Vec::new();
    input.take(MAX_HEADER).read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the other side hung up"));
    }
    serde_json::from_slice(&line).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Reads exactly `len` bytes that a header announced.
pub(crate) fn read_bytes(input: &mut impl Read, len: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    input.take(len).read_to_end(&mut bytes)?;
    if bytes.len() as u64 != len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the message was cut short",
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_and_its_input_read_back_as_sent() {
        let mut wire = Vec::new();
        let request = Request::Run {
            argv: vec!["import".into(), "-".into()],
            cwd: "/home/ada".into(),
            workspace: "ws".into(),
            stdin: 4,
            stream: true,
        };
        write_header(&mut wire, &request).expect("write");
        wire.extend_from_slice(b"a\nb\xff");
        let mut input = io::BufReader::new(wire.as_slice());
        let Request::Run { argv, stdin, .. } = read_header(&mut input).expect("read") else {
            panic!("a run request");
        };
        assert_eq!(argv, ["import", "-"]);
        assert_eq!(read_bytes(&mut input, stdin).expect("bytes"), b"a\nb\xff");
    }

    #[test]
    fn a_request_of_an_older_caller_reads_as_one_that_wants_a_single_answer() {
        let line = br#"{"op":"run","argv":["status"],"cwd":"/","workspace":"ws","stdin":0}
"#;
        let request: Request = read_header(&mut io::BufReader::new(&line[..])).expect("read");
        assert!(matches!(request, Request::Run { stream: false, .. }));
    }

    #[test]
    fn a_message_cut_short_is_an_error_not_a_hang() {
        let mut input = io::BufReader::new(&b"abc"[..]);
        assert!(read_bytes(&mut input, 10).is_err());
        let mut empty = io::BufReader::new(&b""[..]);
        assert!(read_header::<Response>(&mut empty).is_err());
    }
}
