//! Checking untrusted Automerge bytes before they reach Automerge.
//!
//! A chunk from the network can be a decompression bomb: a 1 MiB DEFLATE stream that
//! Automerge would inflate to a gigabyte before looking at it. And a mutated chunk can
//! make Automerge's decoder panic. Both the relay (on push) and a device (on apply) guard
//! against that here, with pure functions of the bytes:
//!
//! * [`check_chunk_bounds`] walks the chunk headers (no Automerge decoding) and inflates
//!   every DEFLATE-compressed part into a counter, never into memory, stopping as soon as
//!   the inflated total passes the bound. It costs one pass over the bytes.
//! * [`verify_chunk`] does that, then loads the bytes with Automerge inside
//!   `catch_unwind`, so a decoder panic becomes [`ChunkError::DecoderPanicked`].
//!
//! The storage format (automerge's `storage/chunk.rs`): a chunk is
//! `magic(4) checksum(4) type(1) uleb128(length) data`, and one blob may hold several
//! chunks back to back. Type 0 is a document, whose change and op columns may each be
//! DEFLATE-compressed (bit 3 of the column specification); type 1 a change (columns never
//! compressed); type 2 a change whose whole data is one DEFLATE stream; type 3 a bundle,
//! which Kith never writes and therefore refuses.

use std::io::{self, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::{Automerge, AutomergeError, LoadOptions, OnPartialLoad, VerificationMode};

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// The most one chunk from a relay may inflate to on a device: the 64 MiB frame the
/// Kith client accepts (a snapshot of a large document is one chunk; entries are
/// bounded much lower by the relay).
pub const DEVICE_MAX_INFLATED_BYTES: usize = 64 << 20;
const DEFLATE_BIT: u64 = 0b0000_1000;

/// Why untrusted bytes are not accepted as an Automerge chunk.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    #[error("the chunk is empty")]
    Empty,
    #[error("not Automerge data: {0}")]
    NotAutomerge(String),
    #[error("the chunk inflates to more than {limit} bytes")]
    InflatesTooFar { limit: usize },
    #[error("bundle chunks are not accepted")]
    Bundle,
    #[error("Automerge's decoder failed on this chunk (it panicked)")]
    DecoderPanicked,
}

fn invalid(what: &str) -> ChunkError {
    ChunkError::NotAutomerge(what.to_string())
}

/// Checks, without decoding, that `data` is a sequence of well-framed Automerge chunks
/// (documents, changes, compressed changes) whose size once inflated is at most
/// `max_inflated` bytes in total; returns that size. Memory use is constant.
pub fn check_chunk_bounds(data: &[u8], max_inflated: usize) -> Result<usize, ChunkError> {
    if data.is_empty() {
        return Err(ChunkError::Empty);
    }
    let mut input = Reader { rest: data };
    let mut total = 0usize;
    while !input.rest.is_empty() {
        let budget = max_inflated.saturating_sub(total);
        let too_far = ChunkError::InflatesTooFar { limit: max_inflated };
        if input.take(4)? != MAGIC {
            return Err(invalid("bad magic bytes"));
        }
        input.take(4)?; // checksum
        let kind = input.take(1)?[0];
        let len = input.uleb()?;
        let len = usize::try_from(len).map_err(|_| invalid("chunk length overflows"))?;
        let body = input.take(len)?;
        // The header itself is inflated too when Automerge rebuilds a compressed change.
        let size = match kind {
            0 => document_size(body, budget)?,
            1 => body.len(),
            2 => inflated_size(body, budget)?,
            3 => return Err(ChunkError::Bundle),
            other => return Err(ChunkError::NotAutomerge(format!("unknown chunk type {other}"))),
        };
        total = total.saturating_add(size).saturating_add(16);
        if total > max_inflated {
            return Err(too_far);
        }
    }
    Ok(total)
}

/// [`check_chunk_bounds`], then a full Automerge load of `data` (changes may depend on
/// changes that are not in `data`), with any decoder panic caught.
pub fn verify_chunk(data: &[u8], max_inflated: usize) -> Result<(), ChunkError> {
    check_chunk_bounds(data, max_inflated)?;
    let options = LoadOptions::new()
        .on_partial_load(OnPartialLoad::Error)
        .verification_mode(VerificationMode::Check);
    match catch_unwind(AssertUnwindSafe(|| Automerge::load_with_options(data, options))) {
        Ok(Ok(_)) | Ok(Err(AutomergeError::MissingDeps)) => Ok(()),
        Ok(Err(e)) => Err(ChunkError::NotAutomerge(e.to_string())),
        Err(_) => Err(ChunkError::DecoderPanicked),
    }
}

/// Runs `f` (Automerge work on untrusted bytes) and turns a panic into
/// [`ChunkError::DecoderPanicked`]. The state `f` touched must be thrown away on `Err`.
pub fn catch_decoder_panic<T>(f: impl FnOnce() -> T) -> Result<T, ChunkError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|_| ChunkError::DecoderPanicked)
}

/// The size of a document chunk's body with its compressed columns inflated.
fn document_size(body: &[u8], budget: usize) -> Result<usize, ChunkError> {
    let mut input = Reader { rest: body };
    let actors = input.uleb()?;
    for _ in 0..actors {
        let len = input.uleb()?;
        input.take(usize::try_from(len).map_err(|_| invalid("actor length overflows"))?)?;
    }
    let heads = input.uleb()?;
    for _ in 0..heads {
        input.take(32)?;
    }
    let change_columns = input.columns()?;
    let op_columns = input.columns()?;
    let mut total = body.len();
    for (spec, len) in change_columns.into_iter().chain(op_columns) {
        let column = input.take(len)?;
        if spec & DEFLATE_BIT != 0 {
            let inflated = inflated_size(column, budget.saturating_sub(total))?;
            total = total.saturating_add(inflated);
            if total > budget {
                return Err(ChunkError::InflatesTooFar { limit: budget });
            }
        }
    }
    Ok(total)
}

/// Inflates a raw DEFLATE stream into a counter; an error past `budget` bytes.
fn inflated_size(compressed: &[u8], budget: usize) -> Result<usize, ChunkError> {
    let limit = u64::try_from(budget).unwrap_or(u64::MAX).saturating_add(1);
    let mut decoder = flate2::read::DeflateDecoder::new(compressed).take(limit);
    let inflated = io::copy(&mut decoder, &mut io::sink()).map_err(|_| invalid("bad DEFLATE data"))?;
    let inflated = usize::try_from(inflated).unwrap_or(usize::MAX);
    if inflated > budget {
        return Err(ChunkError::InflatesTooFar { limit: budget });
    }
    Ok(inflated)
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ChunkError> {
        if n > self.rest.len() {
            return Err(invalid("truncated"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn uleb(&mut self) -> Result<u64, ChunkError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            value |= u64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(invalid("a number is too long"))
    }

    /// Column metadata: (specification, data length) pairs.
    fn columns(&mut self) -> Result<Vec<(u64, usize)>, ChunkError> {
        let count = self.uleb()?;
        let mut columns = Vec::new();
        for _ in 0..count {
            let spec = self.uleb()?;
            let len = usize::try_from(self.uleb()?).map_err(|_| invalid("column length overflows"))?;
            if len > self.rest.len() {
                return Err(invalid("truncated column"));
            }
            columns.push((spec, len));
        }
        Ok(columns)
    }
}

#[cfg(test)]
mod tests;
