//! One device connection: the protocol state machine of `docs/sync-protocol.md`.
//!
//! Generic over a `Sink` of [`OutFrame`] and a `Stream` of [`InFrame`], so tests drive
//! it with channels and the server with a WebSocket.
//!
//! ```text
//! hello → welcome → { push | pull }*
//!            pull: Pulling (snapshots, backlog entries) → caught_up → Live
//! ```
//!
//! Everything the hub sends this connection (acks of its pushes, other devices'
//! entries) arrives through one queue in log order. While a pull's backlog is being
//! sent, those items are held and released after `caught_up`, skipping entries the
//! backlog already had: no gap, no reordering.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::time::Instant;

use kith_core::sync::protocol::{
    ClientMessage, DecodeError, ErrorCode, Limits, PROTOCOL_VERSION, ServerMessage, decode, encode,
};

use crate::hub::{Batch, Kick, Registration};
use crate::metrics::{add, code_name};
use crate::relay::Relay;
use crate::store::{PullReader, TokenRecord};

mod outgoing;
mod push;
mod rate;

use rate::RateLimit;

/// Entries per `entries` message of a backlog.
const BATCH_ENTRIES: usize = 512;
/// Bytes per `entries` or `snapshots` message of a backlog (one larger item goes alone).
const BATCH_BYTES: usize = 1 << 20;
/// How long the goodbye (error, close, draining) may take.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a stopping relay waits for a session's pushes in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A frame from the device.
#[derive(Debug)]
pub(crate) enum InFrame {
    Binary(Bytes),
    Text,
    Ping,
    Pong,
    Close,
}

/// A transport failure while reading.
#[derive(Debug)]
pub(crate) enum InError {
    /// The frame was over the transport's own size limit.
    TooLarge,
    /// Anything else: the connection is unusable.
    Broken,
}

/// A frame to the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OutFrame {
    Binary(Vec<u8>),
    Ping,
    /// A WebSocket close with its status code.
    Close(u16),
}

/// Why a session ends.
#[derive(Debug)]
enum Ending {
    /// Tell the device with `error{code}`, then close.
    Error(Kick),
    /// The device left, or the connection broke: nothing more to say.
    Gone,
}

fn fail(code: ErrorCode, message: impl Into<String>) -> Ending {
    Ending::Error(Kick::new(code, message))
}

/// Where the connection is in its pull.
enum Phase {
    /// No pull yet: only acks are sent.
    Idle,
    /// Sending the backlog of a pull; hub items are held.
    Pulling(Box<Pull>),
    /// Caught up: hub items go out as they come.
    Live { last_sent: u64 },
}

struct Pull {
    after: u64,
    reader: Option<Box<dyn PullReader>>,
    snapshots_done: bool,
    tombstones_done: bool,
}

/// Runs one connection until it ends.
pub(crate) async fn run<Si, St>(sink: Si, stream: St, relay: Relay, token: TokenRecord)
where
    Si: Sink<OutFrame> + Unpin,
    St: Stream<Item = Result<InFrame, InError>> + Unpin,
{
    let limits = &relay.inner.config.limits;
    let mut session = Session {
        rate: RateLimit::new(limits.messages_per_second, limits.message_burst),
        relay: relay.clone(),
        token,
        sink,
        stream,
        phase: Phase::Idle,
        held: VecDeque::new(),
        pending_pushes: 0,
        last_frame: Instant::now(),
    };
    // The registration lives until the goodbye is said: it holds the connection's
    // place in the per-token count and in the relay's list of open connections.
    let registration = relay.inner.hub.register(&session.token);
    let ending = match registration {
        Ok(mut reg) => {
            let ending = session.serve(&mut reg).await;
            let ending = match ending {
                Ending::Error(kick) if kick.code == ErrorCode::ShuttingDown => session.drain_acks(&mut reg, kick).await,
                other => other,
            };
            session.goodbye(ending).await;
            drop(reg);
            return;
        }
        Err(kick) => Ending::Error(kick),
    };
    session.goodbye(ending).await;
}

struct Session<Si, St> {
    relay: Relay,
    token: TokenRecord,
    sink: Si,
    stream: St,
    rate: RateLimit,
    phase: Phase,
    /// Hub items held while a pull's backlog is sent.
    held: VecDeque<Arc<Batch>>,
    /// Push requests handed to the writer and not yet in a batch.
    pending_pushes: usize,
    /// When the device's last complete frame arrived: a device must at least answer
    /// pings, so a long silence means a stalled frame or a dead peer.
    last_frame: Instant,
}

impl<Si, St> Session<Si, St>
where
    Si: Sink<OutFrame> + Unpin,
    St: Stream<Item = Result<InFrame, InError>> + Unpin,
{
    async fn serve(&mut self, reg: &mut Registration) -> Ending {
        if let Err(ending) = self.handshake(reg).await {
            return ending;
        }
        let limits = &self.relay.inner.config.limits;
        let ping_every = Duration::from_secs(limits.ping_interval_secs);
        let silence = ping_every + Duration::from_secs(limits.frame_read_timeout_secs);
        let mut ping = tokio::time::interval_at(Instant::now() + ping_every, ping_every);
        loop {
            if let Some(kick) = reg.kick.borrow_and_update().clone() {
                return Ending::Error(kick);
            }
            let pulling = matches!(self.phase, Phase::Pulling(_));
            let step = tokio::select! {
                changed = reg.kick.changed() => match changed {
                    Ok(()) => Ok(()),
                    Err(_) => Err(fail(ErrorCode::Internal, "the relay dropped this connection")),
                },
                item = reg.queue.recv() => match item {
                    Some(item) => self.on_hub(reg, item).await,
                    None => Err(fail(ErrorCode::Internal, "the relay dropped this connection")),
                },
                frame = self.stream.next() => match self.on_frame(frame) {
                    Ok(Some(message)) => self.on_message(reg, message).await,
                    Ok(None) => Ok(()),
                    Err(ending) => Err(ending),
                },
                _ = std::future::ready(()), if pulling => self.pull_step(reg).await,
                _ = ping.tick() => self.send_frame(OutFrame::Ping).await,
                _ = tokio::time::sleep_until(self.last_frame + silence) => Err(fail(
                    ErrorCode::Malformed,
                    format!("no complete frame in {} seconds (a frame sent halfway, or pings not answered)", silence.as_secs()),
                )),
            };
            if let Err(ending) = step {
                return ending;
            }
        }
    }

    /// Waits for `hello` (while still heeding a kick) and answers `welcome`.
    async fn handshake(&mut self, reg: &mut Registration) -> Result<(), Ending> {
        let limit = Duration::from_secs(self.relay.inner.config.limits.hello_timeout_secs);
        let deadline = Instant::now() + limit;
        let hello = loop {
            if let Some(kick) = reg.kick.borrow_and_update().clone() {
                return Err(Ending::Error(kick));
            }
            let frame = tokio::select! {
                frame = tokio::time::timeout_at(deadline, self.stream.next()) => match frame {
                    Ok(frame) => frame,
                    Err(_) => return Err(fail(ErrorCode::Malformed, "no hello within the time limit")),
                },
                changed = reg.kick.changed() => match changed {
                    Ok(()) => continue,
                    Err(_) => return Err(fail(ErrorCode::Internal, "the relay dropped this connection")),
                },
            };
            if let Some(message) = self.on_frame(frame)? {
                break message;
            }
        };
        let ClientMessage::Hello { versions, client } = hello else {
            return Err(fail(ErrorCode::Malformed, "the first message must be hello"));
        };
        if !versions.contains(&PROTOCOL_VERSION) {
            return Err(fail(
                ErrorCode::UnsupportedVersion,
                format!(
                    "this relay speaks sync protocol version {PROTOCOL_VERSION} and the device offered {versions:?}: upgrade kith to a version that speaks {PROTOCOL_VERSION}"
                ),
            ));
        }
        let relay = self.relay.clone();
        let workspace = self.token.workspace;
        let (head, epoch) = match tokio::task::spawn_blocking(move || {
            Ok::<_, crate::RelayError>((relay.inner.store.head(workspace)?, relay.epoch(workspace)?))
        })
        .await
        {
            Ok(Ok(found)) => found,
            Ok(Err(e)) => {
                tracing::error!("store error: {e}");
                return Err(fail(
                    ErrorCode::Internal,
                    "the relay could not read its store; retry later",
                ));
            }
            Err(e) => return Err(fail(ErrorCode::Internal, format!("a relay task failed: {e}"))),
        };
        let limits = &self.relay.inner.config.limits;
        let limits = Limits {
            max_chunk_bytes: limits.max_chunk_bytes as u64,
            max_frame_bytes: limits.max_frame_bytes as u64,
            max_inflated_chunk_bytes: limits.max_inflated_chunk_bytes as u64,
        };
        tracing::debug!(%workspace, client = client.as_str(), "device connected");
        self.send(&ServerMessage::Welcome {
            version: PROTOCOL_VERSION,
            workspace: workspace.to_string(),
            role: self.token.role,
            head,
            epoch,
            limits,
        })
        .await
    }

    /// Checks the rate and decodes a frame; `None` for frames without a message.
    fn on_frame(&mut self, frame: Option<Result<InFrame, InError>>) -> Result<Option<ClientMessage>, Ending> {
        let frame = match frame {
            None | Some(Ok(InFrame::Close)) | Some(Err(InError::Broken)) => return Err(Ending::Gone),
            Some(Err(InError::TooLarge)) => return Err(self.too_large(None)),
            Some(Ok(frame)) => frame,
        };
        self.last_frame = Instant::now();
        if !self.rate.allow(Instant::now()) {
            let l = &self.relay.inner.config.limits;
            return Err(fail(
                ErrorCode::RateLimited,
                format!(
                    "more than {} messages per second (burst {})",
                    l.messages_per_second, l.message_burst
                ),
            ));
        }
        match frame {
            InFrame::Binary(bytes) => {
                add(&self.relay.inner.metrics.bytes_in_total, bytes.len() as u64);
                match decode::<ClientMessage>(&bytes, self.relay.inner.config.limits.max_frame_bytes) {
                    Ok(message) => Ok(Some(message)),
                    Err(DecodeError::TooLarge(size, _)) => Err(self.too_large(Some(size))),
                    Err(DecodeError::Invalid(e)) => Err(fail(ErrorCode::Malformed, format!("not a sync message: {e}"))),
                }
            }
            InFrame::Text => Err(fail(
                ErrorCode::Malformed,
                "text frames are not part of the protocol; send binary CBOR",
            )),
            InFrame::Ping | InFrame::Pong => Ok(None),
            InFrame::Close => Err(Ending::Gone),
        }
    }

    fn too_large(&self, size: Option<usize>) -> Ending {
        let max = self.relay.inner.config.limits.max_frame_bytes;
        let size = size.map_or_else(|| "a frame".to_string(), |s| format!("a frame of {s} bytes"));
        fail(
            ErrorCode::FrameTooLarge,
            format!("{size} is over the limit of {max} bytes"),
        )
    }

    async fn on_message(&mut self, reg: &Registration, message: ClientMessage) -> Result<(), Ending> {
        match message {
            ClientMessage::Hello { .. } => Err(fail(ErrorCode::Malformed, "hello was already sent")),
            ClientMessage::Push { chunks } => self.push(reg, chunks).await,
            ClientMessage::Pull { after } => {
                add(&self.relay.inner.metrics.pulls_total, 1);
                self.phase = Phase::Pulling(Box::new(Pull {
                    after,
                    reader: None,
                    snapshots_done: false,
                    tombstones_done: false,
                }));
                Ok(())
            }
            ClientMessage::Purge { docs } => self.purge(reg, docs).await,
        }
    }

    /// Ends the connection: `error` and a close frame when there is something to say,
    /// then reads whatever the device still sends until it closes, so the error is not
    /// lost to a TCP reset.
    async fn goodbye(&mut self, ending: Ending) {
        let Ending::Error(kick) = ending else { return };
        self.relay.inner.metrics.error(kick.code);
        if kick.code == ErrorCode::ShuttingDown {
            tracing::debug!(workspace = %self.token.workspace, token = %self.token.id, code = code_name(kick.code), "{}", kick.message);
        } else {
            tracing::info!(workspace = %self.token.workspace, token = %self.token.id, code = code_name(kick.code), "disconnecting a device: {}", kick.message);
        }
        let close_code = match kick.code {
            ErrorCode::ShuttingDown => 1001,
            ErrorCode::Internal => 1011,
            ErrorCode::FrameTooLarge | ErrorCode::ChunkTooLarge => 1009,
            _ => 1008,
        };
        let frame = encode(&ServerMessage::Error {
            code: kick.code,
            message: kick.message,
        });
        let deadline = Instant::now() + GOODBYE_TIMEOUT;
        let said = async {
            self.sink.send(OutFrame::Binary(frame)).await.is_ok()
                && self.sink.send(OutFrame::Close(close_code)).await.is_ok()
        };
        if !tokio::time::timeout_at(deadline, said).await.unwrap_or(false) {
            return;
        }
        let drain = async {
            while let Some(Ok(frame)) = self.stream.next().await {
                if matches!(frame, InFrame::Close) {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout_at(deadline, drain).await;
    }

    async fn send(&mut self, message: &ServerMessage) -> Result<(), Ending> {
        let frame = encode(message);
        add(&self.relay.inner.metrics.bytes_out_total, frame.len() as u64);
        self.send_frame(OutFrame::Binary(frame)).await
    }

    async fn send_frame(&mut self, frame: OutFrame) -> Result<(), Ending> {
        let limit = self.relay.inner.config.limits.send_timeout_secs;
        match tokio::time::timeout(Duration::from_secs(limit), self.sink.send(frame)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => {
                tracing::debug!(workspace = %self.token.workspace, token = %self.token.id, "a device connection broke");
                Err(Ending::Gone)
            }
            Err(_) => Err(fail(
                ErrorCode::TooSlow,
                format!("a send did not complete in {limit} seconds (the device does not read)"),
            )),
        }
    }
}

/// Runs store work on a blocking thread.
async fn blocking<T, F>(work: F) -> Result<T, Ending>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, crate::store::StoreError> + Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => {
            tracing::error!("store error: {e}");
            Err(fail(
                ErrorCode::Internal,
                "the relay could not read its store; retry later",
            ))
        }
        Err(e) => Err(fail(ErrorCode::Internal, format!("a relay task failed: {e}"))),
    }
}

/// Runs a step of a pull reader on a blocking thread and gives the reader back.
async fn blocking_with<T, F>(mut reader: Box<dyn PullReader>, step: F) -> Result<(Box<dyn PullReader>, T), Ending>
where
    T: Send + 'static,
    F: FnOnce(&mut dyn PullReader) -> Result<T, crate::store::StoreError> + Send + 'static,
{
    blocking(move || {
        let value = step(reader.as_mut())?;
        Ok((reader, value))
    })
    .await
}

#[cfg(test)]
mod tests;
