//! The order a workspace's writer stores pushes in: a share of the writer per token,
//! not per connection (a flooding device can open several connections).
//!
//! * A token whose waiting pushes fit in one turn (`light`: a device syncing its
//!   edits) is served first, in a short transaction of light tokens' pushes only, so a
//!   small push never waits behind another token's backlog, nor shares its commit
//!   with a large part of it.
//! * A token with more waiting (`heavy`: a bulk import, or a flood) is stored in parts,
//!   each acknowledged as it commits, one token's part per transaction, heavy tokens in
//!   turn. While another token uses the writer the parts are small, so that a push
//!   arriving during a part's commit waits for little; alone, they are large (fewer
//!   durable commits, more throughput).
//! * A heavy token is never starved: after a transaction of light pushes that passed
//!   it over, its next part goes.
//!
//! A connection's own pushes stay in order; within a token, its connections take turns.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::{ConnId, WriteRequest};
use crate::ids::TokenId;

/// How long after a token's push is stored the writer counts as shared with it.
const SHARED_FOR: Duration = Duration::from_secs(2);

/// Part of a push request, stored in one transaction.
pub(super) struct Part {
    /// The request's connection, arrival time and the chunks of this part.
    pub(super) request: WriteRequest,
    /// This part ends its request: the request is complete once it commits.
    pub(super) finishes: bool,
}

/// The sizes of a writer's transactions, in chunks and bytes (one chunk may pass
/// the byte bound alone).
#[derive(Debug, Clone, Copy)]
pub(super) struct Sizes {
    /// The most one transaction takes.
    pub(super) max: (usize, usize),
    /// The most a part of a heavy token's pushes takes while another token shares the
    /// writer.
    pub(super) shared_part: (usize, usize),
    /// The most a token may have waiting and still count as light.
    pub(super) light: (usize, usize),
}

/// One token's waiting requests.
struct TokenQueue {
    token: TokenId,
    /// Connections in turn order, each with its requests in arrival order.
    conns: VecDeque<(ConnId, VecDeque<WriteRequest>)>,
    /// Chunks and bytes waiting.
    chunks: usize,
    bytes: usize,
}

impl TokenQueue {
    fn is_light(&self, sizes: &Sizes) -> bool {
        self.chunks <= sizes.light.0 && self.bytes <= sizes.light.1
    }
}

/// Push requests waiting for the writer, by token and connection.
#[derive(Default)]
pub(super) struct FairQueue {
    /// Tokens in turn order.
    tokens: VecDeque<TokenQueue>,
    /// Requests not yet completely taken.
    requests: usize,
    /// When each token's pushes were last taken, to tell whether the writer is shared.
    last_served: HashMap<TokenId, Instant>,
    /// The last transaction held light tokens' pushes while a heavy token waited.
    heavy_passed_over: bool,
}

impl FairQueue {
    pub(super) fn push(&mut self, request: WriteRequest) {
        self.requests += 1;
        let (chunks, bytes) = (request.chunks.len(), bytes_of(&request));
        let index = match self.tokens.iter().position(|t| t.token == request.token) {
            Some(index) => index,
            None => {
                self.tokens.push_back(TokenQueue {
                    token: request.token,
                    conns: VecDeque::new(),
                    chunks: 0,
                    bytes: 0,
                });
                self.tokens.len() - 1
            }
        };
        let queue = &mut self.tokens[index];
        queue.chunks += chunks;
        queue.bytes += bytes;
        match queue.conns.iter_mut().find(|(conn, _)| *conn == request.conn) {
            Some((_, requests)) => requests.push_back(request),
            None => queue.conns.push_back((request.conn, VecDeque::from([request]))),
        }
    }

    /// Requests waiting (a request partly taken counts until its last part is).
    pub(super) fn len(&self) -> usize {
        self.requests
    }

    pub(super) fn is_empty(&self) -> bool {
        self.requests == 0
    }

    /// The parts of the next transaction, taken at `now`: the light tokens' pushes,
    /// whole, or one part of a heavy token's.
    pub(super) fn next_commit(&mut self, sizes: &Sizes, now: Instant) -> Vec<Part> {
        self.last_served
            .retain(|_, at| now.saturating_duration_since(*at) < SHARED_FOR);
        let light = self.tokens.iter().any(|t| t.is_light(sizes));
        let heavy = self.tokens.iter().position(|t| !t.is_light(sizes));
        let parts = match heavy {
            Some(index) if !light || self.heavy_passed_over => {
                self.heavy_passed_over = false;
                self.take_heavy(index, sizes, now)
            }
            _ if light => {
                self.heavy_passed_over = heavy.is_some();
                self.take_light(sizes, now)
            }
            _ => Vec::new(),
        };
        self.requests -= parts.iter().filter(|p| p.finishes).count();
        parts
    }

    /// Every light token's requests, whole, in turn order, within `sizes.max`.
    fn take_light(&mut self, sizes: &Sizes, now: Instant) -> Vec<Part> {
        let (mut chunks, mut bytes) = (0, 0);
        let mut parts = Vec::new();
        let mut index = 0;
        while index < self.tokens.len() {
            let queue = &self.tokens[index];
            let fits = chunks + queue.chunks <= sizes.max.0 && bytes + queue.bytes <= sizes.max.1;
            if !queue.is_light(sizes) || (!parts.is_empty() && !fits) {
                index += 1;
                continue;
            }
            let Some(queue) = self.tokens.remove(index) else { break };
            chunks += queue.chunks;
            bytes += queue.bytes;
            self.last_served.insert(queue.token, now);
            for (_, requests) in queue.conns {
                parts.extend(requests.into_iter().map(|request| Part {
                    request,
                    finishes: true,
                }));
            }
        }
        parts
    }

    /// One part of the heavy token at `index`: its connections' requests in turns, up
    /// to the full transaction size when it has the writer to itself, or up to
    /// `sizes.shared_part` while another token pushes. The token then goes to the back.
    fn take_heavy(&mut self, index: usize, sizes: &Sizes, now: Instant) -> Vec<Part> {
        let Some(mut queue) = self.tokens.remove(index) else {
            return Vec::new();
        };
        let shared = !self.tokens.is_empty() || self.last_served.keys().any(|t| *t != queue.token);
        let (max_chunks, max_bytes) = if shared { sizes.shared_part } else { sizes.max };
        let (mut chunks, mut bytes) = (0usize, 0usize);
        let mut parts = Vec::new();
        while chunks < max_chunks && bytes < max_bytes {
            let Some((conn, mut requests)) = queue.conns.pop_front() else {
                break;
            };
            let Some(mut request) = requests.pop_front() else {
                continue;
            };
            let mut take = 0;
            let mut size = 0;
            for (_, chunk) in &request.chunks {
                let len = chunk.data.len();
                let first = chunks + take == 0;
                if !first && (chunks + take + 1 > max_chunks || bytes + size + len > max_bytes) {
                    break;
                }
                take += 1;
                size += len;
            }
            if take == 0 && !request.chunks.is_empty() {
                // Nothing more fits in this part: the connection keeps its turn.
                requests.push_front(request);
                queue.conns.push_front((conn, requests));
                break;
            }
            let finishes = take == request.chunks.len();
            let part = if finishes {
                request
            } else {
                let rest = request.chunks.split_off(take);
                let part = WriteRequest {
                    chunks: std::mem::replace(&mut request.chunks, rest),
                    ..request.clone_header()
                };
                requests.push_front(request);
                part
            };
            chunks += take;
            bytes += size;
            parts.push(Part {
                request: part,
                finishes,
            });
            if !requests.is_empty() {
                queue.conns.push_back((conn, requests));
            }
        }
        queue.chunks -= chunks;
        queue.bytes -= bytes;
        self.last_served.insert(queue.token, now);
        if !queue.conns.is_empty() {
            self.tokens.push_back(queue);
        }
        parts
    }
}

impl WriteRequest {
    /// The same request's connection, token and arrival, without chunks.
    fn clone_header(&self) -> WriteRequest {
        WriteRequest {
            conn: self.conn,
            token: self.token,
            received: self.received,
            chunks: Vec::new(),
        }
    }
}

/// The bytes of chunk data in a request.
pub(super) fn bytes_of(request: &WriteRequest) -> usize {
    request.chunks.iter().map(|(_, c)| c.data.len()).sum()
}

#[cfg(test)]
mod tests;
