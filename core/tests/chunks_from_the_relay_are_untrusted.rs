//! A device applies what the relay sends as untrusted bytes: a decompression bomb is
//! skipped before Automerge inflates it, and a chunk that makes Automerge's decoder
//! panic is counted as unreadable instead of taking the device down.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT};
use kith_core::sync::chunk::{ChunkError, DEVICE_MAX_INFLATED_BYTES, catch_decoder_panic};
use kith_core::sync::protocol::Entry;
use kith_core::{DocId, Workspace};

fn entry(seq: u64, doc: DocId, data: Vec<u8>) -> Entry {
    Entry { seq, doc, data }
}

#[test]
fn a_decompression_bomb_from_the_relay_is_skipped() {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "note", "a".repeat(DEVICE_MAX_INFLATED_BYTES + (1 << 20)))
        .unwrap();
    doc.commit();
    let mut change = doc.get_last_local_change().unwrap().clone();
    let bomb = change.bytes().into_owned();
    drop(doc);
    assert!(bomb.len() < 1 << 20, "small on the wire: {} bytes", bomb.len());

    let mut replica = Workspace::in_memory_replica("device").unwrap();
    let summary = replica.apply_remote(&[], &[entry(1, DocId::new(), bomb)], 1).unwrap();
    assert_eq!((summary.documents, summary.unreadable), (0, 1));
    assert_eq!(replica.sync_cursor().unwrap(), 1, "the cursor moves past it");
}

/// A record-like document, saved whole.
fn document() -> Vec<u8> {
    let mut doc = AutoCommit::new();
    let values = doc.put_object(ROOT, "values", ObjType::Map).unwrap();
    doc.put(&values, "name", "Ada Lovelace").unwrap();
    doc.put(&values, "amount", 1234_i64).unwrap();
    let tags = doc.put_object(&values, "tags", ObjType::List).unwrap();
    doc.insert(&tags, 0, "vip").unwrap();
    doc.commit();
    doc.put(&values, "name", "Ada King").unwrap();
    doc.commit();
    doc.save()
}

/// Rewrites the chunk's checksum to match its (mutated) data, so that the decoder
/// gets past the checksum into the columns.
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
    if let Some(end) = at.checked_add(len).filter(|end| *end <= chunk.len()) {
        let hash = Sha256::digest(&chunk[8..end]);
        chunk[4..8].copy_from_slice(&hash[..4]);
    }
}

/// The first of a fixed series of mutations of `chunk` that panics Automerge.
fn panicking_mutation(chunk: &[u8]) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..200_000 {
        let mut mutated = chunk.to_vec();
        for _ in 0..=next() % 3 {
            let at = (next() % mutated.len() as u64) as usize;
            mutated[at] = next() as u8;
        }
        fix_checksum(&mut mutated);
        let outcome = catch_decoder_panic(|| automerge::Automerge::load(&mutated));
        if outcome.err() == Some(ChunkError::DecoderPanicked) {
            return mutated;
        }
    }
    panic!("no mutation made the decoder panic");
}

#[test]
fn a_chunk_that_panics_the_decoder_is_unreadable_for_new_and_known_documents() {
    let good = document();
    let bad = panicking_mutation(&good);
    let mut replica = Workspace::in_memory_replica("device").unwrap();

    // A document the replica has never seen.
    let fresh = DocId::new();
    let summary = replica.apply_remote(&[], &[entry(1, fresh, bad.clone())], 1).unwrap();
    assert_eq!(summary.unreadable, 1);

    // A document it has (other history, so Automerge must decode the bad chunk): the
    // panic leaves it as it was.
    let known = DocId::new();
    let mut other = AutoCommit::new();
    other.put(ROOT, "x", 1).unwrap();
    other.commit();
    replica.apply_remote(&[], &[entry(2, known, other.save())], 2).unwrap();
    let summary = replica.apply_remote(&[], &[entry(3, known, bad)], 3).unwrap();
    assert_eq!(summary.unreadable, 1);
    assert_eq!(replica.sync_cursor().unwrap(), 3);
    // And it still takes good changes.
    let summary = replica.apply_remote(&[], &[entry(4, known, good)], 4).unwrap();
    assert_eq!(summary.unreadable, 0);
}
