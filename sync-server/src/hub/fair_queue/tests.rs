use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::*;
use crate::store::NewChunk;
use kith_core::DocId;

/// The writer's sizes, scaled down: transactions of 16 chunks, shared parts of 4,
/// light tokens up to 2 chunks (bytes never bind: each chunk has 10).
const SIZES: Sizes = Sizes {
    max: (16, usize::MAX),
    shared_part: (4, usize::MAX),
    light: (2, usize::MAX),
};

fn token(n: u8) -> TokenId {
    TokenId::from_bytes([n; 8])
}

fn request(token_n: u8, conn: ConnId, first_id: u64, chunks: usize) -> WriteRequest {
    WriteRequest {
        conn,
        token: token(token_n),
        received: Instant::now(),
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

fn size(parts: &[Part]) -> usize {
    parts.iter().map(|p| p.request.chunks.len()).sum()
}

#[test]
fn a_small_push_from_another_token_is_committed_alone_in_the_very_next_transaction() {
    let now = Instant::now();
    let mut queue = FairQueue::default();
    // A flood: one token, two connections, 1,000 chunks each.
    queue.push(request(1, 1, 0, 1000));
    queue.push(request(1, 2, 10_000, 1000));
    let first = queue.next_commit(&SIZES, now);
    assert_eq!(size(&first), 16, "alone, the flood fills a transaction");
    // A well-behaved device's push arrives while that transaction commits.
    queue.push(request(2, 3, 50_000, 1));
    let next = queue.next_commit(&SIZES, now);
    assert_eq!(ids(&next, 3), vec![50_000]);
    assert_eq!(size(&next), 1, "none of the flood's chunks share its commit");
    assert!(next[0].finishes);
}

#[test]
fn while_another_token_pushes_a_heavy_tokens_parts_are_short_and_alone_they_are_full() {
    let now = Instant::now();
    let mut queue = FairQueue::default();
    queue.push(request(1, 1, 0, 1000));
    assert_eq!(ids(&queue.next_commit(&SIZES, now), 1), (0..16).collect::<Vec<_>>());
    queue.push(request(2, 2, 50_000, 1));
    assert_eq!(ids(&queue.next_commit(&SIZES, now), 2), vec![50_000]);
    // The other token pushed just now: it may push again during the next commit.
    let shared = queue.next_commit(&SIZES, now + Duration::from_millis(500));
    assert_eq!(ids(&shared, 1), (16..20).collect::<Vec<_>>());
    // Long after its last push, the flood has the writer to itself again.
    let alone = queue.next_commit(&SIZES, now + SHARED_FOR + Duration::from_millis(1));
    assert_eq!(ids(&alone, 1), (20..36).collect::<Vec<_>>());
}

#[test]
fn heavy_tokens_take_turns_whatever_their_number_of_connections() {
    let now = Instant::now();
    let mut queue = FairQueue::default();
    for conn in 1..=4 {
        queue.push(request(1, conn, conn * 10_000, 100));
    }
    queue.push(request(2, 9, 90_000, 100));
    let owners: Vec<Vec<TokenId>> = (0..6)
        .map(|_| {
            let parts = queue.next_commit(&SIZES, now);
            let mut tokens: Vec<TokenId> = parts.iter().map(|p| p.request.token).collect();
            tokens.dedup();
            tokens
        })
        .collect();
    let expected: Vec<Vec<TokenId>> = [1, 2, 1, 2, 1, 2].iter().map(|n| vec![token(*n)]).collect();
    assert_eq!(owners, expected);
}

#[test]
fn a_heavy_token_gets_a_part_between_any_two_transactions_of_small_pushes() {
    let now = Instant::now();
    let mut queue = FairQueue::default();
    queue.push(request(1, 1, 0, 1000));
    let mut heavy_parts = 0;
    for i in 0..20u64 {
        // Small pushes arrive before every commit.
        queue.push(request(2 + (i % 2) as u8, 2 + i % 2, 50_000 + i, 1));
        let parts = queue.next_commit(&SIZES, now);
        if parts.iter().any(|p| p.request.conn == 1) {
            heavy_parts += 1;
        }
    }
    assert_eq!(heavy_parts, 10);
}

#[test]
fn one_chunk_larger_than_a_transaction_still_goes_alone() {
    let sizes = Sizes {
        max: (10, 5),
        shared_part: (10, 5),
        light: (1, 5),
    };
    let mut queue = FairQueue::default();
    queue.push(request(1, 1, 0, 2));
    let parts = queue.next_commit(&sizes, Instant::now());
    assert_eq!(ids(&parts, 1), vec![0]);
    let parts = queue.next_commit(&sizes, Instant::now());
    assert_eq!(ids(&parts, 1), vec![1]);
    assert!(parts[0].finishes && queue.is_empty());
}

/// (token, connection, chunks) of each request, and after which of them a
/// transaction is taken.
fn schedules() -> impl Strategy<Value = Vec<((u8, u64, usize), bool)>> {
    prop::collection::vec(((0u8..3, 0u64..3, 1usize..40), any::<bool>()), 1..40)
}

proptest! {
    #[test]
    fn every_chunk_is_taken_once_in_each_connections_order_and_each_request_finishes_once(
        schedule in schedules(),
    ) {
        let now = Instant::now();
        let mut queue = FairQueue::default();
        let mut next_id = std::collections::HashMap::<ConnId, u64>::new();
        let mut requests_of = std::collections::HashMap::<ConnId, usize>::new();
        let mut taken: Vec<Part> = Vec::new();
        let commit = |queue: &mut FairQueue, taken: &mut Vec<Part>, i: usize| {
            let parts = queue.next_commit(&SIZES, now + Duration::from_millis(i as u64 * 300));
            prop_assert!(!parts.is_empty());
            prop_assert!(size(&parts) <= SIZES.max.0);
            taken.extend(parts);
            Ok(())
        };
        for (i, ((token_n, conn_n, chunks), take)) in schedule.iter().enumerate() {
            // A connection belongs to one token.
            let conn = u64::from(*token_n) * 10 + conn_n;
            let first = next_id.entry(conn).or_insert(conn * 100_000);
            queue.push(request(*token_n, conn, *first, *chunks));
            *first += *chunks as u64;
            *requests_of.entry(conn).or_default() += 1;
            if *take {
                commit(&mut queue, &mut taken, i)?;
            }
        }
        let mut i = schedule.len();
        while !queue.is_empty() {
            commit(&mut queue, &mut taken, i)?;
            i += 1;
        }
        for (conn, end) in next_id {
            prop_assert_eq!(ids(&taken, conn), (conn * 100_000..end).collect::<Vec<_>>());
            let finished = taken.iter().filter(|p| p.request.conn == conn && p.finishes).count();
            prop_assert_eq!(finished, requests_of[&conn]);
        }
    }
}
