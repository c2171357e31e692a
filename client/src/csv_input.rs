//! Opening a file to import as the CSV people really have: the text encoding Excel
//! saved it in (UTF-8, UTF-16, Windows-1252), the separator (comma, semicolon or tab),
//! and the true line each record starts on.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io::{Cursor, Read};

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use encoding_rs_io::DecodeReaderBytesBuilder;

use crate::CsvError;

/// How much of the file is read to detect its encoding and separator.
const SNIFF_BYTES: usize = 64 * 1024;

/// The longest record (one row, quoted line breaks included) an import reads. A longer
/// one is an unclosed quote or a file that is not CSV: it is refused rather than read
/// whole into memory.
pub const MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;

/// A file ready for the CSV reader: UTF-8 text, its separator, and what it was.
pub(crate) struct Prepared<'a> {
    pub(crate) reader: LineCounter<Box<dyn Read + 'a>>,
    pub(crate) delimiter: u8,
    /// The encoding the file was read in (`UTF-8`, `UTF-16LE`, `windows-1252`, ...).
    pub(crate) encoding: &'static str,
}

/// Detects (or takes) the encoding and separator of `input` and returns it as UTF-8.
///
/// `encoding` is a label such as `utf-8`, `windows-1252`, `latin1`, `utf-16`;
/// `delimiter` one byte. Without them: a byte order mark names the encoding; otherwise a
/// sample that is valid UTF-8 is UTF-8, one with many NUL bytes is UTF-16, and anything
/// else is Windows-1252 (what Excel saves on Western-European Windows). The separator is
/// whichever of `,` `;` tab occurs most in the header line (outside quotes).
pub(crate) fn prepare<'a, R: Read + 'a>(
    mut input: R,
    encoding: Option<&str>,
    delimiter: Option<u8>,
) -> Result<Prepared<'a>, CsvError> {
    let mut sample = Vec::with_capacity(SNIFF_BYTES);
    (&mut input)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut sample)
        .map_err(CsvError::ReadInput)?;
    let encoding = match encoding {
        Some(label) => {
            Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| CsvError::UnknownEncoding(label.into()))?
        }
        None => detect_encoding(&sample)?,
    };
    let delimiter = match delimiter {
        Some(d) => d,
        None => detect_delimiter(&decode_sample(&sample, encoding)),
    };
    let whole: Box<dyn Read + 'a> = Box::new(Cursor::new(sample).chain(input));
    let utf8: Box<dyn Read + 'a> = if encoding == UTF_8 {
        whole
    } else {
        Box::new(DecodeReaderBytesBuilder::new().encoding(Some(encoding)).build(whole))
    };
    Ok(Prepared {
        reader: LineCounter::new(utf8),
        delimiter,
        encoding: encoding.name(),
    })
}

fn detect_encoding(sample: &[u8]) -> Result<&'static Encoding, CsvError> {
    if let Some((encoding, _)) = Encoding::for_bom(sample) {
        return Ok(encoding);
    }
    let nuls_at = |parity: usize| sample.iter().skip(parity).step_by(2).filter(|b| **b == 0).count();
    let half = sample.len() / 2;
    // UTF-16 text of Latin letters has a NUL in every other byte, and only there.
    let (even, odd) = (nuls_at(0), nuls_at(1));
    if half > 0 && odd * 4 > half && even * 16 < half {
        return Ok(UTF_16LE);
    }
    if half > 0 && even * 4 > half && odd * 16 < half {
        return Ok(UTF_16BE);
    }
    if sample.contains(&0) {
        return Err(CsvError::Binary);
    }
    match std::str::from_utf8(sample) {
        Ok(_) => Ok(UTF_8),
        // Cut in the middle of a character at the end of the sample: still UTF-8.
        Err(e) if e.error_len().is_none() => Ok(UTF_8),
        Err(_) => Ok(WINDOWS_1252),
    }
}

fn decode_sample(sample: &[u8], encoding: &'static Encoding) -> String {
    encoding.decode_with_bom_removal(sample).0.into_owned()
}

/// The separator used most in the first line, outside quotes; `,` when none is.
fn detect_delimiter(text: &str) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for c in text.bytes() {
        match c {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            _ if !quoted => {
                if let Some(entry) = counts.iter_mut().find(|(d, _)| *d == c) {
                    entry.1 += 1;
                }
            }
            _ => {}
        }
    }
    // The first of the most used, so a tie keeps the comma.
    let best = counts.iter().map(|(_, n)| *n).max().unwrap_or(0);
    counts
        .iter()
        .find(|(_, n)| *n == best && best > 0)
        .map_or(b',', |(d, _)| *d)
}

/// A reader that remembers where its newlines were, so the importer can say which line
/// of the file a record starts on. It keeps only the newlines the CSV reader has read
/// ahead of the last record (its buffer), not the whole file's.
pub(crate) struct LineCounter<R> {
    inner: R,
    offset: u64,
    /// Offsets of newlines not yet passed by a query, in order.
    pending: RefCell<VecDeque<u64>>,
    /// Newlines before the first of `pending`.
    passed: Cell<u64>,
    /// Where the last record read ended (the CSV reader's position after it).
    last_end: Cell<u64>,
}

impl<R> LineCounter<R> {
    fn new(inner: R) -> Self {
        LineCounter {
            inner,
            offset: 0,
            pending: RefCell::new(VecDeque::new()),
            passed: Cell::new(0),
            last_end: Cell::new(0),
        }
    }

    /// How many newlines come before byte `at`. Calls must not go backwards.
    fn newlines_before(&self, at: u64) -> u64 {
        let mut pending = self.pending.borrow_mut();
        while pending.front().is_some_and(|&o| o < at) {
            pending.pop_front();
            self.passed.set(self.passed.get() + 1);
        }
        self.passed.get()
    }

    /// The 1-based line a record starts on, given the byte offset just past it (the CSV
    /// reader's position after reading it) and the record's cells. The record's last line
    /// holds the byte before that offset (its terminator, or its last character at the
    /// end of the file); quoted cells add their own line breaks before it.
    pub(crate) fn record_start_line(&self, end: u64, record: &csv::ByteRecord) -> u64 {
        self.last_end.set(end);
        let last_line = 1 + self.newlines_before(end.saturating_sub(1));
        let inside: u64 = record
            .iter()
            .map(|cell| cell.iter().filter(|b| **b == b'\n').count() as u64)
            .sum();
        last_line.saturating_sub(inside).max(1)
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.offset.saturating_sub(self.last_end.get()) > MAX_RECORD_BYTES {
            let line = 1 + self.newlines_before(self.last_end.get());
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "the record starting on line {line} is longer than {} MiB (an unclosed quote, or not a CSV file); nothing after it was read",
                    MAX_RECORD_BYTES >> 20
                ),
            ));
        }
        let n = self.inner.read(buf)?;
        let pending = self.pending.get_mut();
        for (i, b) in buf[..n].iter().enumerate() {
            if *b == b'\n' {
                pending.push_back(self.offset + i as u64);
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[u8]) -> Vec<u64> {
        let prepared = prepare(Cursor::new(text.to_vec()), None, None).unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(prepared.delimiter)
            .from_reader(prepared.reader);
        let mut record = csv::ByteRecord::new();
        let mut out = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            let end = reader.position().byte();
            out.push(reader.get_ref().record_start_line(end, &record));
        }
        out
    }

    #[test]
    fn records_report_the_line_they_start_on_in_plain_crlf_and_gappy_files() {
        assert_eq!(lines(b"a,b\n1,2\n3,4\n"), [1, 2, 3]);
        assert_eq!(lines(b"a,b\r\n1,2\r\n3,4\r\n"), [1, 2, 3]);
        assert_eq!(lines(b"a,b\n1,2\n\n3,4\n"), [1, 2, 4]);
        assert_eq!(lines(b"a,b\r\n1,2\r\n\r\n\r\n3,4"), [1, 2, 5]);
        assert_eq!(lines(b"a,b\n\"x\ny\",2\n3,4\n"), [1, 2, 4]);
    }

    #[test]
    fn semicolons_and_tabs_are_detected_from_the_header() {
        assert_eq!(detect_delimiter("name;city;\"a,b\"\nx,y"), b';');
        assert_eq!(detect_delimiter("name\tcity\n"), b'\t');
        assert_eq!(detect_delimiter("name\n"), b',');
        assert_eq!(detect_delimiter("a,b;c\n"), b',');
    }

    #[test]
    fn excel_encodings_are_detected() {
        assert_eq!(detect_encoding(b"name\nJos\xe9\n").unwrap(), WINDOWS_1252);
        assert_eq!(detect_encoding("name\nJosé\n".as_bytes()).unwrap(), UTF_8);
        assert_eq!(detect_encoding(b"\xff\xfen\x00a\x00").unwrap(), UTF_16LE);
        assert_eq!(detect_encoding(b"n\x00a\x00m\x00e\x00").unwrap(), UTF_16LE);
        assert!(matches!(
            detect_encoding(b"\x7fELF\x02\x01\x00\x00\x00\x00stuff"),
            Err(CsvError::Binary)
        ));
    }
}
