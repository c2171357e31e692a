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

use std::borrow::Cow;
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
    #[error("the chunk claims more than {limit} operations in one column")]
    TooManyOps { limit: u64 },
}

/// Bytes of the inflated bound per operation (row of a column) allowed: run-length
/// encoding lets a few bytes claim billions of operations, which Automerge would then
/// walk one by one.
const BYTES_PER_OP: usize = 8;

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
        let max_ops = (max_inflated / BYTES_PER_OP) as u64;
        let size = match kind {
            0 => {
                let size = document_size(body, budget)?;
                check_document_ops(body, budget, max_ops)?;
                size
            }
            1 => {
                check_change_ops(body, max_ops)?;
                body.len()
            }
            2 => {
                let size = inflated_size(body, budget)?;
                check_change_ops(&inflate(body, budget)?, max_ops)?;
                size
            }
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

/// Inflates a raw DEFLATE stream (known to fit in `budget`, see [`inflated_size`]).
fn inflate(compressed: &[u8], budget: usize) -> Result<Vec<u8>, ChunkError> {
    let limit = u64::try_from(budget).unwrap_or(u64::MAX);
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(compressed)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|_| invalid("bad DEFLATE data"))?;
    Ok(out)
}

/// Checks the operation columns of a change chunk's body (after its header).
fn check_change_ops(body: &[u8], max_ops: u64) -> Result<(), ChunkError> {
    let mut input = Reader { rest: body };
    let deps = input.uleb()?;
    for _ in 0..deps {
        input.take(32)?;
    }
    input.bytes()?; // actor
    input.uleb()?; // seq
    input.uleb()?; // start op
    input.uleb()?; // time (signed, same length)
    input.bytes()?; // message
    let others = input.uleb()?;
    for _ in 0..others {
        input.bytes()?;
    }
    let columns = input.columns()?;
    let mut data = Vec::with_capacity(columns.len());
    for (spec, len) in columns {
        data.push((spec, Cow::Borrowed(input.take(len)?)));
    }
    check_rows(&data, max_ops)
}

/// Checks the change and operation columns of a document chunk's body.
fn check_document_ops(body: &[u8], budget: usize, max_ops: u64) -> Result<(), ChunkError> {
    let mut input = Reader { rest: body };
    let actors = input.uleb()?;
    for _ in 0..actors {
        input.bytes()?;
    }
    let heads = input.uleb()?;
    for _ in 0..heads {
        input.take(32)?;
    }
    let change_columns = input.columns()?;
    let op_columns = input.columns()?;
    for columns in [change_columns, op_columns] {
        let mut data = Vec::with_capacity(columns.len());
        for (spec, len) in columns {
            let raw = input.take(len)?;
            let column = if spec & DEFLATE_BIT != 0 {
                Cow::Owned(inflate(raw, budget)?)
            } else {
                Cow::Borrowed(raw)
            };
            data.push((spec & !DEFLATE_BIT, column));
        }
        check_rows(&data, max_ops)?;
    }
    Ok(())
}

/// Counts the rows every column claims (without decoding them) and refuses more than
/// `max_rows`, including the rows a group column promises its nested columns.
fn check_rows(columns: &[(u64, Cow<'_, [u8]>)], max_rows: u64) -> Result<(), ChunkError> {
    let too_many = || ChunkError::TooManyOps { limit: max_rows };
    for (spec, data) in columns {
        let mut input = Reader { rest: data };
        let (mut rows, mut nested) = (0u64, 0u64);
        match spec & 0b111 {
            // Raw values: their lengths are in a metadata column.
            7 => continue,
            // Booleans: alternating run lengths.
            4 => {
                while !input.rest.is_empty() {
                    rows = rows.saturating_add(input.uleb()?);
                    if rows > max_rows {
                        return Err(too_many());
                    }
                }
            }
            kind => {
                while !input.rest.is_empty() {
                    let count = input.sleb()?;
                    if count > 0 {
                        let value = input.rle_value(kind)?;
                        rows = rows.saturating_add(count.unsigned_abs());
                        nested = nested.saturating_add(value.saturating_mul(count.unsigned_abs()));
                    } else if count < 0 {
                        for _ in 0..count.unsigned_abs() {
                            let value = input.rle_value(kind)?;
                            nested = nested.saturating_add(value);
                        }
                        rows = rows.saturating_add(count.unsigned_abs());
                    } else {
                        rows = rows.saturating_add(input.uleb()?);
                    }
                    if rows > max_rows || (kind == 0 && nested > max_rows) {
                        return Err(too_many());
                    }
                }
            }
        }
    }
    Ok(())
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

    fn sleb(&mut self) -> Result<i64, ChunkError> {
        let mut value = 0i64;
        let mut shift = 0u32;
        loop {
            let byte = self.take(1)?[0];
            value |= i64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
            shift += 7;
            if byte & 0x80 == 0 {
                if shift < 64 && byte & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Ok(value);
            }
            if shift >= 70 {
                return Err(invalid("a number is too long"));
            }
        }
    }

    /// Length-prefixed bytes.
    fn bytes(&mut self) -> Result<&'a [u8], ChunkError> {
        let len = usize::try_from(self.uleb()?).map_err(|_| invalid("length overflows"))?;
        self.take(len)
    }

    /// One value of a run-length-encoded column of `kind`: the value itself for
    /// unsigned columns (a group column's counts), 0 for the others.
    fn rle_value(&mut self, kind: u64) -> Result<u64, ChunkError> {
        match kind {
            3 => self.sleb().map(|_| 0),
            5 => self.bytes().map(|_| 0),
            _ => self.uleb(),
        }
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
