//! Randomised input for the two decoders that read untrusted bytes: the protocol's
//! CBOR messages and Automerge chunks (`verify_chunk`). Neither may panic.
//!
//! A bounded number of inputs runs by default; `KITH_FUZZ_ITERATIONS=1000000` runs the
//! long campaign recorded in docs/performance.md.

use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT};
use kith_core::DocId;
use kith_core::sync::chunk::{ChunkError, verify_chunk};
use kith_core::sync::protocol::{
    Acked, ClientMessage, Entry, ErrorCode, PROTOCOL_VERSION, PushChunk, Role, ServerMessage, Snapshot, decode, encode,
};

fn iterations(default: usize) -> usize {
    std::env::var("KITH_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// xorshift64: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Flips, replaces, inserts, removes or truncates a few bytes.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(5) {
            0 if at < out.len() => out[at] ^= 1 << rng.below(8),
            1 if at < out.len() => out[at] = rng.next() as u8,
            2 => out.insert(at, rng.next() as u8),
            3 if at < out.len() => {
                out.remove(at);
            }
            _ => out.truncate(at),
        }
    }
    out
}

/// Rewrites the first chunk's checksum to match its data, so that half the mutated
/// chunks get past the checksum into Automerge's column decoders.
fn fix_checksum(chunk: &mut [u8]) {
    use sha2::{Digest, Sha256};
    let (mut len, mut shift, mut at) = (0usize, 0, 9);
    while let Some(&b) = chunk.get(at) {
        len |= usize::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
        shift += 7;
        at += 1;
        if b & 0x80 == 0 || shift > 35 {
            break;
        }
    }
    if chunk.len() > 8
        && let Some(end) = at.checked_add(len).filter(|end| *end <= chunk.len())
    {
        let hash = Sha256::digest(&chunk[8..end]);
        chunk[4..8].copy_from_slice(&hash[..4]);
    }
}

fn chunk_bytes() -> Vec<u8> {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "k", 1).unwrap();
    doc.commit();
    doc.save()
}

fn messages() -> Vec<Vec<u8>> {
    let doc = DocId::new();
    let data = chunk_bytes();
    vec![
        encode(&ClientMessage::Hello {
            versions: vec![PROTOCOL_VERSION, 7],
            client: "kith 0.1".into(),
        }),
        encode(&ClientMessage::Push {
            chunks: vec![PushChunk {
                id: 3,
                doc,
                data: data.clone(),
            }],
        }),
        encode(&ClientMessage::Pull { after: 12345 }),
        encode(&ServerMessage::Welcome {
            version: PROTOCOL_VERSION,
            workspace: "w".into(),
            role: Role::Member,
            head: 9,
            epoch: "0123456789abcdef0123456789abcdef".into(),
            limits: kith_core::sync::protocol::Limits::default(),
        }),
        encode(&ServerMessage::Ack {
            acks: vec![Acked { id: 1, seq: 2 }],
        }),
        encode(&ServerMessage::Entries {
            entries: vec![Entry {
                seq: 1,
                doc,
                data: data.clone(),
            }],
        }),
        encode(&ServerMessage::Snapshots {
            docs: vec![Snapshot { doc, data }],
        }),
        encode(&ServerMessage::Error {
            code: ErrorCode::BadChunk,
            message: "m".into(),
        }),
    ]
}

#[test]
fn the_protocol_decoder_never_panics_on_random_or_mutated_frames() {
    let seeds = messages();
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let (mut decoded, mut crashes) = (0usize, 0usize);
    let n = iterations(20_000);
    for i in 0..n {
        let input = if i % 4 == 0 {
            (0..rng.below(48)).map(|_| rng.next() as u8).collect()
        } else {
            mutate(&mut rng, &seeds[i % seeds.len()])
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            decode::<ClientMessage>(&input, 1 << 20).is_ok() as usize
                + decode::<ServerMessage>(&input, 1 << 20).is_ok() as usize
        }));
        match outcome {
            Ok(ok) => decoded += ok,
            Err(_) => crashes += 1,
        }
    }
    eprintln!("protocol decoder: {n} inputs, {decoded} decoded, {crashes} crashes");
    assert_eq!(crashes, 0);
}

#[test]
fn chunk_verification_never_panics_on_random_or_mutated_chunks() {
    let mut doc = AutoCommit::new();
    let values = doc.put_object(ROOT, "values", ObjType::Map).unwrap();
    doc.put(&values, "name", "Ada").unwrap();
    let tags = doc.put_object(&values, "tags", ObjType::List).unwrap();
    doc.insert(&tags, 0, "vip").unwrap();
    doc.commit();
    let heads = doc.get_heads();
    doc.put(&values, "name", "x".repeat(400)).unwrap();
    doc.commit();
    let seeds = [doc.save(), doc.save_after(&heads)];
    let mut rng = Rng(0x0dd_ba11_cafe_f00d);
    let (mut accepted, mut decoder_panics, mut crashes) = (0usize, 0usize, 0usize);
    let n = iterations(3_000);
    for i in 0..n {
        let mut input = mutate(&mut rng, &seeds[i % 2]);
        if i % 4 < 2 {
            fix_checksum(&mut input);
        }
        match catch_unwind(AssertUnwindSafe(|| verify_chunk(&input, 1 << 20))) {
            Ok(Ok(())) => accepted += 1,
            Ok(Err(ChunkError::DecoderPanicked)) => decoder_panics += 1,
            Ok(Err(_)) => {}
            Err(_) => crashes += 1,
        }
    }
    eprintln!(
        "chunk verification: {n} inputs, {accepted} accepted, {decoder_panics} decoder panics caught, {crashes} crashes"
    );
    assert_eq!(crashes, 0);
}
