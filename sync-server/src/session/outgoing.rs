//! The sending side of a session: the hub's batches (acks in push order, other
//! devices' entries after a pull), a pull's backlog step by step, and the acks still
//! owed when the relay stops.

use std::sync::Arc;

use futures_util::{Sink, Stream};
use kith_core::sync::protocol::{Entry, ErrorCode, ServerMessage};
use tokio::time::Instant;

use super::{
    BATCH_BYTES, BATCH_ENTRIES, Ending, InError, InFrame, OutFrame, Phase, SHUTDOWN_GRACE, Session, blocking,
    blocking_with, fail,
};
use crate::hub::{Batch, Kick, Outgoing, Registration};
use crate::metrics::add;

impl<Si, St> Session<Si, St>
where
    Si: Sink<OutFrame> + Unpin,
    St: Stream<Item = Result<InFrame, InError>> + Unpin,
{
    pub(super) async fn on_hub(&mut self, reg: &Registration, item: Outgoing) -> Result<(), Ending> {
        let me = reg.id;
        let batch = match item {
            Outgoing::Failed(message) => return Err(fail(ErrorCode::Internal, message)),
            Outgoing::Refused(kick) => return Err(Ending::Error(kick)),
            Outgoing::Batch(batch) => batch,
            // Order does not matter for purges: devices drop anything for a purged
            // document whenever it arrives.
            Outgoing::Purged(purged) => {
                return self.send(&ServerMessage::Purged { docs: purged.to_vec() }).await;
            }
        };
        let cost = batch.cost_for(me);
        self.pending_pushes -= batch
            .completed
            .iter()
            .filter(|c| **c == me)
            .count()
            .min(self.pending_pushes);
        match self.phase {
            Phase::Pulling(_) => {
                if self.held.len() >= self.relay.inner.config.limits.max_queued_messages {
                    return Err(fail(
                        ErrorCode::TooSlow,
                        "this connection fell too far behind; reconnect and pull",
                    ));
                }
                self.held.push_back(batch);
                Ok(())
            }
            Phase::Idle => {
                let sent = self.send_batch(me, &batch, false).await;
                reg.release(cost);
                sent
            }
            Phase::Live { .. } => {
                let sent = self.send_batch(me, &batch, true).await;
                reg.release(cost);
                sent
            }
        }
    }

    /// Sends this connection's part of a batch: its own acks (in the order it pushed
    /// the chunks) and, with `with_entries`, the other devices' entries it has not had,
    /// so that no ack goes out before an entry with a lower seq.
    pub(super) async fn send_batch(&mut self, me: u64, batch: &Batch, with_entries: bool) -> Result<(), Ending> {
        let last_sent = match self.phase {
            Phase::Live { last_sent } => last_sent,
            _ => u64::MAX,
        };
        let foreign: Vec<&Entry> = if with_entries {
            batch
                .entries
                .iter()
                .filter(|(conn, e)| *conn != me && e.seq > last_sent)
                .map(|(_, e)| e)
                .collect()
        } else {
            Vec::new()
        };
        let mut next = 0;
        let mut acks = Vec::new();
        for ack in batch.acks.iter().filter(|(conn, _)| *conn == me).map(|(_, ack)| *ack) {
            let before = foreign[next..].iter().take_while(|e| e.seq < ack.seq).count();
            if before > 0 {
                if !acks.is_empty() {
                    self.send(&ServerMessage::Ack {
                        acks: std::mem::take(&mut acks),
                    })
                    .await?;
                }
                self.send_entries(foreign[next..next + before].iter().map(|e| (*e).clone()).collect())
                    .await?;
                next += before;
            }
            acks.push(ack);
        }
        if !acks.is_empty() {
            self.send(&ServerMessage::Ack { acks }).await?;
        }
        if next < foreign.len() {
            self.send_entries(foreign[next..].iter().map(|e| (*e).clone()).collect())
                .await?;
        }
        Ok(())
    }

    /// Sends live entries in messages of at most [`BATCH_ENTRIES`] entries and
    /// [`BATCH_BYTES`] bytes (one larger entry goes alone), like a pull's backlog: a
    /// writer batch can hold thousands of chunks, more than a device's frame limit.
    pub(super) async fn send_entries(&mut self, entries: Vec<Entry>) -> Result<(), Ending> {
        for part in split_entries(entries) {
            let last = part.last().map_or(0, |e| e.seq);
            add(&self.relay.inner.metrics.entries_sent_total, part.len() as u64);
            self.send(&ServerMessage::Entries { entries: part }).await?;
            if let Phase::Live { last_sent } = &mut self.phase {
                *last_sent = (*last_sent).max(last);
            }
        }
        Ok(())
    }

    /// Sends the next part of a pull: open the view, snapshots, entries, caught_up.
    pub(super) async fn pull_step(&mut self, reg: &Registration) -> Result<(), Ending> {
        let me = reg.id;
        let Phase::Pulling(mut pull) = std::mem::replace(&mut self.phase, Phase::Idle) else {
            return Ok(());
        };
        let reader = match pull.reader.take() {
            Some(reader) => reader,
            None => {
                let store = self.relay.inner.store.clone();
                let (workspace, after) = (self.token.workspace, pull.after);
                pull.reader = Some(blocking(move || store.open_pull(workspace, after)).await?);
                self.phase = Phase::Pulling(pull);
                return Ok(());
            }
        };
        if !pull.snapshots_done {
            let (reader, docs) = blocking_with(reader, |r| r.next_snapshots(BATCH_BYTES)).await?;
            pull.reader = Some(reader);
            if docs.is_empty() {
                pull.snapshots_done = true;
            } else {
                add(&self.relay.inner.metrics.snapshots_sent_total, docs.len() as u64);
                self.send(&ServerMessage::Snapshots { docs }).await?;
            }
            self.phase = Phase::Pulling(pull);
            return Ok(());
        }
        if !pull.tombstones_done {
            pull.tombstones_done = true;
            let store = self.relay.inner.store.clone();
            let (workspace, after) = (self.token.workspace, pull.after);
            let purged = blocking(move || store.tombstones(workspace, after)).await?;
            pull.reader = Some(reader);
            self.phase = Phase::Pulling(pull);
            if purged.is_empty() {
                return Ok(());
            }
            return self.send(&ServerMessage::Purged { docs: purged }).await;
        }
        let (reader, entries) = blocking_with(reader, |r| r.next_entries(BATCH_ENTRIES, BATCH_BYTES)).await?;
        if !entries.is_empty() {
            pull.reader = Some(reader);
            self.phase = Phase::Pulling(pull);
            add(&self.relay.inner.metrics.entries_sent_total, entries.len() as u64);
            return self.send(&ServerMessage::Entries { entries }).await;
        }
        let head = reader.head();
        self.send(&ServerMessage::CaughtUp { head }).await?;
        self.phase = Phase::Live { last_sent: head };
        while let Some(batch) = self.held.pop_front() {
            self.send_batch(me, &batch, true).await?;
            reg.release(batch.cost_for(me));
        }
        Ok(())
    }

    /// On shutdown: deliver the acks of pushes already handed to the writer (their
    /// commits finish), then say goodbye.
    pub(super) async fn drain_acks(&mut self, reg: &mut Registration, kick: Kick) -> Ending {
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        let held: Vec<Arc<Batch>> = self.held.drain(..).collect();
        for batch in held {
            if self.send_batch(reg.id, &batch, false).await.is_err() {
                return Ending::Gone;
            }
        }
        while self.pending_pushes > 0 {
            match tokio::time::timeout_at(deadline, reg.queue.recv()).await {
                Ok(Some(Outgoing::Batch(batch))) => {
                    self.pending_pushes -= batch
                        .completed
                        .iter()
                        .filter(|c| **c == reg.id)
                        .count()
                        .min(self.pending_pushes);
                    if self.send_batch(reg.id, &batch, false).await.is_err() {
                        return Ending::Gone;
                    }
                }
                _ => break,
            }
        }
        Ending::Error(kick)
    }
}

/// Cuts entries into messages of at most [`BATCH_ENTRIES`] entries and about
/// [`BATCH_BYTES`] bytes; an entry larger than that goes alone.
pub(super) fn split_entries(entries: Vec<Entry>) -> Vec<Vec<Entry>> {
    let mut parts: Vec<Vec<Entry>> = Vec::new();
    let mut bytes = 0;
    for entry in entries {
        let size = entry.data.len() + 32;
        let fits = parts
            .last()
            .is_some_and(|p| p.len() < BATCH_ENTRIES && bytes + size <= BATCH_BYTES);
        if !fits {
            parts.push(Vec::new());
            bytes = 0;
        }
        bytes += size;
        if let Some(part) = parts.last_mut() {
            part.push(entry);
        }
    }
    parts
}
