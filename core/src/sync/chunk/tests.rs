use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT};

use super::*;

const MIB: usize = 1 << 20;

/// A valid change that inflates to `size` bytes, as Automerge's compressed form.
fn compressed_change(size: usize) -> Vec<u8> {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "note", "a".repeat(size)).unwrap();
    doc.commit();
    let mut change = doc.get_last_local_change().unwrap().clone();
    change.bytes().into_owned()
}

/// Record-like documents: a snapshot and an incremental change.
fn real_chunks() -> Vec<Vec<u8>> {
    let mut doc = AutoCommit::new();
    let values = doc.put_object(ROOT, "values", ObjType::Map).unwrap();
    doc.put(&values, "name", "Ada Lovelace").unwrap();
    doc.put(&values, "amount", 1234_i64).unwrap();
    let tags = doc.put_object(&values, "tags", ObjType::List).unwrap();
    doc.insert(&tags, 0, "vip").unwrap();
    doc.commit();
    let heads = doc.get_heads();
    doc.put(&values, "name", "Ada King").unwrap();
    doc.put(ROOT, "notes", "x".repeat(600)).unwrap();
    doc.commit();
    let change = doc.save_after(&heads);
    vec![doc.save(), change]
}

#[test]
fn a_compressed_change_that_inflates_past_the_bound_is_refused() {
    let bomb = compressed_change(16 * MIB);
    assert!(bomb.len() < MIB, "the bomb is small: {} bytes", bomb.len());
    assert_eq!(bomb[8], 2, "Automerge wrote a compressed change chunk");
    assert_eq!(
        verify_chunk(&bomb, 4 * MIB),
        Err(ChunkError::InflatesTooFar { limit: 4 * MIB })
    );
}

#[test]
fn a_compressed_change_within_the_bound_is_accepted() {
    let change = compressed_change(MIB);
    assert_eq!(change[8], 2);
    verify_chunk(&change, 4 * MIB).unwrap();
}

#[test]
fn a_document_with_compressed_columns_counts_them_inflated() {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "note", "b".repeat(2 * MIB)).unwrap();
    doc.commit();
    let saved = doc.save();
    assert!(saved.len() < MIB / 4);
    assert_eq!(saved[8], 0, "a document chunk");
    assert!(check_chunk_bounds(&saved, 4 * MIB).unwrap() > 2 * MIB);
    verify_chunk(&saved, 4 * MIB).unwrap();
    assert!(matches!(
        verify_chunk(&saved, MIB),
        Err(ChunkError::InflatesTooFar { .. })
    ));
}

#[test]
fn empty_bytes_are_refused() {
    assert_eq!(verify_chunk(&[], MIB), Err(ChunkError::Empty));
}

#[test]
fn real_chunks_and_their_concatenation_pass() {
    let chunks = real_chunks();
    for chunk in &chunks {
        verify_chunk(chunk, 4 * MIB).unwrap();
    }
    verify_chunk(&chunks.concat(), 4 * MIB).unwrap();
}

#[test]
fn garbage_and_truncated_chunks_are_refused() {
    assert!(matches!(verify_chunk(b"hello", MIB), Err(ChunkError::NotAutomerge(_))));
    let chunk = real_chunks().remove(1);
    for cut in [1, 8, 9, 12, chunk.len() - 1] {
        assert!(verify_chunk(&chunk[..cut], MIB).is_err(), "cut at {cut}");
    }
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Flips, replaces, inserts or removes a few bytes of `chunk`.
pub(crate) fn mutate(rng: &mut Rng, chunk: &[u8]) -> Vec<u8> {
    let mut out = chunk.to_vec();
    for _ in 0..=rng.below(4) {
        if out.is_empty() {
            break;
        }
        let at = rng.below(out.len());
        match rng.below(4) {
            0 => out[at] ^= 1 << rng.below(8),
            1 => out[at] = rng.next() as u8,
            2 => out.insert(at, rng.next() as u8),
            _ => {
                out.remove(at);
            }
        }
    }
    if rng.below(2) == 0 {
        fix_checksum(&mut out);
    }
    out
}

/// Rewrites the first chunk's checksum to match its (mutated) data, so the decoder
/// gets past the checksum and into the columns.
fn fix_checksum(chunk: &mut [u8]) {
    use sha2::{Digest, Sha256};
    let mut input = Reader {
        rest: chunk.get(9..).unwrap_or_default(),
    };
    let Ok(len) = input.uleb() else { return };
    let header_len = chunk.len() - 9 - input.rest.len();
    let Some(end) = usize::try_from(len).ok().and_then(|l| (9 + header_len).checked_add(l)) else {
        return;
    };
    if end > chunk.len() || chunk[8] == 2 {
        return;
    }
    let mut hasher = Sha256::new();
    hasher.update(&chunk[8..end]);
    let hash = hasher.finalize();
    chunk[4..8].copy_from_slice(&hash[..4]);
}

#[test]
fn mutated_real_chunks_never_panic_the_verification() {
    let chunks = real_chunks();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut panicked = 0;
    for i in 0..iterations() {
        let mutated = mutate(&mut rng, &chunks[i % chunks.len()]);
        // Returns, whatever the bytes: a panic here fails the test.
        if verify_chunk(&mutated, 4 * MIB) == Err(ChunkError::DecoderPanicked) {
            panicked += 1;
        }
    }
    eprintln!(
        "{panicked} of {} mutations made Automerge's decoder panic",
        iterations()
    );
    assert!(
        panicked > 0,
        "the mutations reach the decoder's panics (about 1 in 300)"
    );
}

/// 3,000 by default; `KITH_FUZZ_ITERATIONS` for a long run.
fn iterations() -> usize {
    std::env::var("KITH_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

#[test]
fn real_chunks_with_many_operations_pass_under_the_bound() {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "x", 1).unwrap();
    doc.commit();
    let heads = doc.get_heads();
    let list = doc.put_object(ROOT, "l", ObjType::List).unwrap();
    for i in 0..3000 {
        doc.insert(&list, i, i as i64).unwrap();
    }
    doc.commit();
    let change = doc.save_after(&heads);
    verify_chunk(&change, 4 * MIB).unwrap();
    verify_chunk(&doc.save(), 4 * MIB).unwrap();
    // 3,001 operations are over a bound of 2,048 (16 KiB at 8 bytes each).
    assert_eq!(
        check_chunk_bounds(&change, 16 * 1024),
        Err(ChunkError::TooManyOps { limit: 2048 })
    );
}

#[test]
fn a_run_length_column_claiming_a_trillion_operations_is_refused() {
    let mut body = vec![
        0, // no dependencies
        1, 0xab, // actor
        1, 1, 0, 0, // seq, start op, time, no message
        0, // no other actors
    ];
    // One unsigned column (id 4): a run of 2^40 rows of the value 0.
    let column = [0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0];
    body.extend([1, (4 << 4) | 2, column.len() as u8]);
    body.extend(column);
    let mut forged = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 1, body.len() as u8];
    forged.extend(body);
    assert_eq!(
        check_chunk_bounds(&forged, MIB),
        Err(ChunkError::TooManyOps {
            limit: (MIB / 8) as u64
        })
    );
}
