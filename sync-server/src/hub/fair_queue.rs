//! The order a workspace's writer stores pushes in. Connections take turns, and a push
//! larger than one transaction is stored in parts (each acknowledged as it commits),
//! so a device pushing thousands of chunks at once makes another device's small push
//! wait for one part, not for all of them. A connection's own pushes stay in order.

use std::collections::VecDeque;

use super::{ConnId, WriteRequest};

/// Part of a push request, stored in one transaction.
pub(super) struct Part {
    /// The request's connection, arrival time and the chunks of this part.
    pub(super) request: WriteRequest,
    /// This part ends its request: the request is complete once it commits.
    pub(super) finishes: bool,
}

/// Push requests waiting for the writer, one queue per connection.
#[derive(Default)]
pub(super) struct FairQueue {
    /// Connections in turn order, each with its requests in arrival order.
    turns: VecDeque<(ConnId, VecDeque<WriteRequest>)>,
    /// Requests not yet completely taken.
    requests: usize,
}

impl FairQueue {
    pub(super) fn push(&mut self, request: WriteRequest) {
        self.requests += 1;
        match self.turns.iter_mut().find(|(conn, _)| *conn == request.conn) {
            Some((_, queue)) => queue.push_back(request),
            None => self.turns.push_back((request.conn, VecDeque::from([request]))),
        }
    }

    /// Requests waiting (a request partly taken counts until its last part is).
    pub(super) fn len(&self) -> usize {
        self.requests
    }

    pub(super) fn is_empty(&self) -> bool {
        self.requests == 0
    }

    /// The parts of the next transaction: at most `max_chunks` chunks and `max_bytes`
    /// bytes (but at least one chunk), in turns of an eighth of that per connection.
    /// When several connections wait, the transaction ends after one round of turns:
    /// a small push then commits in a short transaction, not in a full one.
    pub(super) fn next_commit(&mut self, max_chunks: usize, max_bytes: usize) -> Vec<Part> {
        let (turn_chunks, turn_bytes) = ((max_chunks / 8).max(1), (max_bytes / 8).max(1));
        let mut parts = Vec::new();
        let mut served: Vec<ConnId> = Vec::new();
        let (mut chunks, mut bytes) = (0usize, 0usize);
        while chunks < max_chunks && bytes < max_bytes {
            let Some((conn, mut queue)) = self.turns.pop_front() else {
                break;
            };
            if served.len() > 1 && served.contains(&conn) {
                self.turns.push_front((conn, queue));
                break;
            }
            if !served.contains(&conn) {
                served.push(conn);
            }
            let Some(mut request) = queue.pop_front() else { continue };
            let mut take = 0;
            let mut size = 0;
            for (_, chunk) in &request.chunks {
                let len = chunk.data.len();
                let first = chunks + take == 0;
                if !first && (chunks + take + 1 > max_chunks || bytes + size + len > max_bytes) {
                    break;
                }
                if take > 0 && (take >= turn_chunks || size + len > turn_bytes) {
                    break;
                }
                take += 1;
                size += len;
            }
            if take == 0 && !request.chunks.is_empty() {
                // Nothing more fits in this transaction: the turn stays.
                queue.push_front(request);
                self.turns.push_front((conn, queue));
                break;
            }
            let finishes = take == request.chunks.len();
            let part = if finishes {
                self.requests -= 1;
                request
            } else {
                let rest = request.chunks.split_off(take);
                let part = WriteRequest {
                    conn,
                    received: request.received,
                    chunks: std::mem::replace(&mut request.chunks, rest),
                };
                queue.push_front(request);
                part
            };
            chunks += take;
            bytes += size;
            parts.push(Part {
                request: part,
                finishes,
            });
            if !queue.is_empty() {
                self.turns.push_back((conn, queue));
            }
        }
        parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewChunk;
    use kith_core::DocId;

    fn request(conn: ConnId, first_id: u64, chunks: usize) -> WriteRequest {
        WriteRequest {
            conn,
            received: std::time::Instant::now(),
            chunks: (0..chunks as u64)
                .map(|i| {
                    (
                        first_id + i,
                        NewChunk {
                            doc: DocId::from_bytes([1; 16]),
                            hash: [0; 32],
                            data: vec![0; 10],
                        },
                    )
                })
                .collect(),
        }
    }

    fn ids(parts: &[Part], conn: ConnId) -> Vec<u64> {
        parts
            .iter()
            .filter(|p| p.request.conn == conn)
            .flat_map(|p| p.request.chunks.iter().map(|(id, _)| *id))
            .collect()
    }

    #[test]
    fn a_small_push_behind_a_huge_one_goes_into_the_first_and_short_transaction() {
        let mut queue = FairQueue::default();
        queue.push(request(1, 0, 1000));
        queue.push(request(2, 5000, 1));
        let first = queue.next_commit(256, usize::MAX);
        assert_eq!(ids(&first, 1), (0..32).collect::<Vec<_>>(), "one turn");
        assert_eq!(ids(&first, 2), vec![5000]);
        assert!(first.iter().any(|p| p.request.conn == 2 && p.finishes));
        assert!(!first.iter().any(|p| p.request.conn == 1 && p.finishes));
        assert_eq!(queue.len(), 1);
        // Alone again, the large push fills whole transactions.
        let second = queue.next_commit(256, usize::MAX);
        assert_eq!(ids(&second, 1), (32..288).collect::<Vec<_>>());
    }

    #[test]
    fn every_chunk_is_taken_once_in_each_connections_order_and_each_request_finishes_once() {
        let mut queue = FairQueue::default();
        queue.push(request(1, 0, 700));
        queue.push(request(1, 700, 3));
        queue.push(request(2, 10_000, 300));
        queue.push(request(3, 20_000, 1));
        let mut taken: Vec<Part> = Vec::new();
        while !queue.is_empty() {
            let parts = queue.next_commit(128, 100 * 10);
            assert!(!parts.is_empty());
            let chunks: usize = parts.iter().map(|p| p.request.chunks.len()).sum();
            assert!(chunks <= 100, "{chunks} chunks in one transaction");
            taken.extend(parts);
        }
        assert_eq!(ids(&taken, 1), (0..703).collect::<Vec<_>>());
        assert_eq!(ids(&taken, 2), (10_000..10_300).collect::<Vec<_>>());
        assert_eq!(ids(&taken, 3), vec![20_000]);
        let finished = |conn| taken.iter().filter(|p| p.request.conn == conn && p.finishes).count();
        assert_eq!((finished(1), finished(2), finished(3)), (2, 1, 1));
    }

    #[test]
    fn one_chunk_larger_than_a_transaction_still_goes_alone() {
        let mut queue = FairQueue::default();
        queue.push(request(1, 0, 2));
        let parts = queue.next_commit(10, 5);
        assert_eq!(ids(&parts, 1), vec![0]);
        let parts = queue.next_commit(10, 5);
        assert_eq!(ids(&parts, 1), vec![1]);
        assert!(parts[0].finishes && queue.is_empty());
    }
}
