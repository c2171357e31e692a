//! The push side of a session: checking a push (role, sizes, the token's buckets,
//! every chunk's bounds) before it goes to the workspace's writer, and purges.

use futures_util::{Sink, Stream};
use kith_core::sync::protocol::{ErrorCode, PushChunk, Rejection, ServerMessage};
use kith_core::sync::verify_chunk;

use super::{Ending, InError, InFrame, OutFrame, Session, blocking, fail};
use crate::auth::chunk_hash;
use crate::hub::{Registration, WriteRequest};
use crate::metrics::add;
use crate::store::NewChunk;

impl<Si, St> Session<Si, St>
where
    Si: Sink<OutFrame> + Unpin,
    St: Stream<Item = Result<InFrame, InError>> + Unpin,
{
    /// Erases documents for good and tells every connection of the workspace (the
    /// sender learns this way that the purge is done).
    pub(super) async fn purge(&mut self, reg: &Registration, docs: Vec<kith_core::DocId>) -> Result<(), Ending> {
        if !self.token.role.can_push() {
            return Err(fail(ErrorCode::Forbidden, "a viewer token cannot purge"));
        }
        if docs.is_empty() {
            return Ok(());
        }
        let store = self.relay.inner.store.clone();
        let workspace = self.token.workspace;
        let at = crate::relay::now_ms();
        let purged = blocking(move || store.purge(workspace, &docs, at)).await?;
        tracing::info!(%workspace, documents = purged.len(), "documents purged");
        reg.workspace.broadcast_purged(purged);
        Ok(())
    }

    /// Checks a push and hands it to the workspace's writer. Its ack comes back
    /// through the hub queue, in log order with everything else.
    pub(super) async fn push(&mut self, reg: &Registration, chunks: Vec<PushChunk>) -> Result<(), Ending> {
        if !self.token.role.can_push() {
            return Err(fail(ErrorCode::Forbidden, "a viewer token cannot push"));
        }
        add(&self.relay.inner.metrics.pushes_total, 1);
        let received = std::time::Instant::now();
        if chunks.is_empty() {
            return Ok(());
        }
        // A chunk over the limit is refused alone (`rejected`), so that one oversized
        // change does not stop the device's other changes from syncing.
        let max = self.relay.inner.config.limits.max_chunk_bytes;
        let (chunks, too_large): (Vec<PushChunk>, Vec<PushChunk>) =
            chunks.into_iter().partition(|c| c.data.len() <= max);
        if !too_large.is_empty() {
            let rejections = too_large
                .iter()
                .map(|c| Rejection {
                    id: c.id,
                    code: ErrorCode::ChunkTooLarge,
                    message: format!(
                        "a change of {} bytes is over this relay's limit of {max} bytes per change",
                        c.data.len()
                    ),
                })
                .collect();
            self.relay.inner.metrics.error(ErrorCode::ChunkTooLarge);
            self.send(&ServerMessage::Rejected { chunks: rejections }).await?;
        }
        if chunks.is_empty() {
            return Ok(());
        }
        let bytes = chunks.iter().map(|c| c.data.len()).sum();
        let wait = self
            .relay
            .inner
            .hub
            .reserve_push(self.token.id, chunks.len(), bytes)
            .map_err(Ending::Error)?;
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        let max_inflated = self.relay.inner.config.limits.max_inflated_chunk_bytes;
        let checked = blocking(move || {
            Ok(chunks
                .into_iter()
                .map(|c| match verify_chunk(&c.data, max_inflated) {
                    Ok(()) => Ok((
                        c.id,
                        NewChunk {
                            doc: c.doc,
                            hash: chunk_hash(&c.doc, &c.data),
                            data: c.data,
                        },
                    )),
                    Err(e) => Err((c.id, e)),
                })
                .collect::<Result<Vec<_>, _>>())
        })
        .await?;
        let chunks = checked.map_err(|(id, e)| fail(ErrorCode::BadChunk, format!("chunk {id} is refused: {e}")))?;
        if !reg
            .workspace
            .submit(WriteRequest {
                conn: reg.id,
                token: self.token.id,
                received,
                chunks,
            })
            .await
        {
            return Err(fail(ErrorCode::Internal, "the workspace writer stopped"));
        }
        self.pending_pushes += 1;
        Ok(())
    }
}
