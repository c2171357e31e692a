//! Randomised input for CSV import, through the real path (`import_csv`: encoding and
//! separator detection, the CSV reader, cell conversion, `Workspace::import_records`):
//!
//! * **structured files**: rows of known values written the many ways spreadsheets
//!   write them (comma, semicolon or tab; LF or CRLF; a byte order mark or not; UTF-8,
//!   UTF-16 LE/BE or Windows-1252; quoted cells holding separators, quotes and line
//!   breaks; numbers with thousands separators; the odd huge cell). Every row is either
//!   reported bad (and absent) or imported with exactly the values the file said;
//! * **random bytes and damaged files**: nothing panics, a file-level error writes
//!   nothing, and the records written are exactly the ones the report counts.
//!
//! A bounded number of files runs by default; `KITH_FUZZ_ITERATIONS=100000` runs the long
//! campaign recorded in docs/performance.md.

use std::panic::{AssertUnwindSafe, catch_unwind};

use kith::{CsvImportOptions, import_csv};
use kith_core::{CreateOptions, FieldKind, FieldSpec, ObjectId, Query, Value, Workspace};

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

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// One row as the file says it.
#[derive(Debug, Clone)]
struct Row {
    name: String,
    city: String,
    score: Option<f64>,
    done: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Encoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    Windows1252,
}

/// Characters cells are made of: separators, quotes, line breaks and letters beyond
/// ASCII (the last ones only where the encoding has them).
const LATIN: &[char] = &[
    'a', 'b', 'Z', ' ', ',', ';', '\t', '"', '\'', '\n', '=', '-', '1', '.', 'é', 'ü', 'ß', 'Ø', '£', '\u{a0}',
];
const WIDE: &[char] = &['日', '本', '🙂', 'Ω', '€', '\u{2028}'];

fn text(rng: &mut Rng, max: usize, wide: bool) -> String {
    let len = rng.below(max + 1);
    let s: String = (0..len)
        .map(|_| {
            if wide && rng.chance(4) {
                WIDE[rng.below(WIDE.len())]
            } else {
                LATIN[rng.below(LATIN.len())]
            }
        })
        .collect();
    // Import trims cells, as spreadsheets do; the file's meaning is the trimmed text.
    s.trim().to_string()
}

fn row(rng: &mut Rng, index: usize, wide: bool) -> Row {
    // Without wide characters the file is Windows-1252: an `é` before a space is never
    // UTF-8, so detection cannot take the file for UTF-8 by chance.
    let mark = if wide { "" } else { "é" };
    let mut name = format!("r{index}{mark} {}", text(rng, 12, wide));
    if rng.chance(50) {
        // A huge cell (still far under the record size limit).
        name.push_str(&"x".repeat(100_000 + rng.below(100_000)));
    }
    Row {
        name: name.trim().to_string(),
        city: text(rng, 20, wide),
        score: (!rng.chance(4)).then(|| {
            let whole = rng.below(10_000_000) as f64;
            let value = if rng.chance(2) { whole + 0.5 } else { whole };
            if rng.chance(3) { -value } else { value }
        }),
        done: (!rng.chance(3)).then(|| rng.chance(2)),
    }
}

/// `1234567.5` as `1,234,567.5` (or plain), as the workspace's default format reads it.
fn number(rng: &mut Rng, value: f64) -> String {
    let plain = format!("{value}");
    if !rng.chance(2) {
        return plain;
    }
    let (sign, rest) = plain.strip_prefix('-').map_or(("", plain.as_str()), |r| ("-", r));
    let (whole, fraction) = rest.split_once('.').map_or((rest, None), |(w, f)| (w, Some(f)));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    match fraction {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

fn cell(rng: &mut Rng, value: &str, delimiter: char) -> String {
    let must_quote = value.contains([delimiter, '"', '\n', '\r']) || value.starts_with('\u{feff}');
    if must_quote || rng.chance(5) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// A whole file for `rows`, and the encoding it is written in.
fn write_file(rng: &mut Rng, rows: &[Row], encoding: Encoding) -> Vec<u8> {
    let delimiter = [',', ';', '\t'][rng.below(3)];
    let newline = if rng.chance(2) { "\r\n" } else { "\n" };
    let mut columns = ["name", "city", "score", "done"];
    // Columns in any order, names in any case.
    for i in (1..columns.len()).rev() {
        columns.swap(i, rng.below(i + 1));
    }
    let header: Vec<String> = columns
        .iter()
        .map(|c| if rng.chance(3) { c.to_uppercase() } else { c.to_string() })
        .collect();
    let mut out = header.join(&delimiter.to_string());
    out.push_str(newline);
    for row in rows {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| {
                let value = match *c {
                    "name" => row.name.clone(),
                    "city" => row.city.clone(),
                    "score" => row.score.map(|v| number(rng, v)).unwrap_or_default(),
                    _ => row
                        .done
                        .map(|d| if d { "yes" } else { "no" }.to_string())
                        .unwrap_or_default(),
                };
                cell(rng, &value, delimiter)
            })
            .collect();
        out.push_str(&cells.join(&delimiter.to_string()));
        out.push_str(newline);
        if rng.chance(10) {
            // A blank line between rows is ignored.
            out.push_str(newline);
        }
    }
    if rng.chance(3) {
        // No newline after the last row.
        out.truncate(out.len() - newline.len());
    }
    encode(&out, encoding)
}

fn encode(text: &str, encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Utf8 => text.as_bytes().to_vec(),
        Encoding::Utf8Bom => [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat(),
        Encoding::Utf16Le => [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect(),
        Encoding::Utf16Be => [0xFE, 0xFF]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect(),
        // Latin-1 letters have the same code in Windows-1252.
        Encoding::Windows1252 => text
            .chars()
            .map(|c| u8::try_from(u32::from(c)).expect("a Latin-1 character"))
            .collect(),
    }
}

fn workspace() -> (Workspace, ObjectId) {
    let mut ws = Workspace::in_memory(CreateOptions {
        user: "fuzz".into(),
        standard_objects: false,
    })
    .expect("workspace");
    let object = ws.add_object("people", "People").expect("object");
    for spec in [
        FieldSpec::new("name", "Name", FieldKind::Text),
        FieldSpec::new("city", "City", FieldKind::Text),
        FieldSpec::new("score", "Score", FieldKind::Number),
        FieldSpec::new("done", "Done", FieldKind::Boolean),
    ] {
        ws.add_field(object, spec).expect("field");
    }
    (ws, object)
}

fn options(batch_rows: usize) -> CsvImportOptions {
    CsvImportOptions {
        object: "people".into(),
        batch_rows,
        ..CsvImportOptions::default()
    }
}

/// Every record of `object`, as (name, city, score, done), in creation order.
fn records(ws: &Workspace, object: ObjectId) -> Vec<Row> {
    let mut query = Query::new(object);
    query.limit = usize::MAX;
    let page = ws.query(&query).expect("query");
    page.ids
        .iter()
        .map(|id| {
            let view = ws.record(*id).expect("record");
            let value = |key: &str| view.cells.iter().find(|c| c.key == key).and_then(|c| c.value.clone());
            Row {
                name: match value("name") {
                    Some(Value::Text(t)) => t,
                    _ => String::new(),
                },
                city: match value("city") {
                    Some(Value::Text(t)) => t,
                    _ => String::new(),
                },
                score: match value("score") {
                    Some(Value::Number(n)) => Some(n),
                    _ => None,
                },
                done: match value("done") {
                    Some(Value::Bool(b)) => Some(b),
                    _ => None,
                },
            }
        })
        .collect()
}

fn import(ws: &mut Workspace, file: &[u8], batch_rows: usize) -> Result<kith::CsvImportReport, kith::CsvError> {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        import_csv(ws, file, &options(batch_rows), &mut |_, _| {})
    }));
    match outcome {
        Ok(result) => result,
        Err(_) => panic!(
            "import panicked on {:?}",
            String::from_utf8_lossy(&file[..file.len().min(400)])
        ),
    }
}

#[test]
fn structured_files_import_exactly_what_they_say_or_report_the_row() {
    let mut rng = Rng(0xC5FF_11E5);
    let runs = iterations(300) / 10;
    for run in 0..runs.max(1) {
        let (mut ws, object) = workspace();
        let encoding = [
            Encoding::Utf8,
            Encoding::Utf8Bom,
            Encoding::Utf16Le,
            Encoding::Utf16Be,
            Encoding::Windows1252,
        ][rng.below(5)];
        let wide = encoding != Encoding::Windows1252;
        let rows: Vec<Row> = (0..1 + rng.below(10)).map(|i| row(&mut rng, i, wide)).collect();
        let file = write_file(&mut rng, &rows, encoding);
        let report = import(&mut ws, &file, 0).unwrap_or_else(|e| panic!("run {run} ({encoding:?}): {e}"));
        let bad: Vec<usize> = report.errors.iter().map(|e| e.row).collect();
        assert!(
            bad.is_empty(),
            "run {run} ({encoding:?}): rows the file wrote correctly were refused: {:?}",
            report.errors
        );
        let stored = records(&ws, object);
        assert_eq!(stored.len(), rows.len(), "run {run} ({encoding:?})");
        for (want, got) in rows.iter().zip(&stored) {
            let want_name = want.name.replace("\r\n", "\n");
            assert_eq!(got.name, want_name, "run {run} ({encoding:?})");
            assert_eq!(got.city, want.city, "run {run} ({encoding:?}): {want:?}");
            assert_eq!(got.score, want.score, "run {run} ({encoding:?}): {want:?}");
            assert_eq!(got.done, want.done, "run {run} ({encoding:?}): {want:?}");
        }
    }
}

/// Flips, replaces, inserts, removes or truncates a few bytes.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    const NASTY: [u8; 10] = [b'"', b',', b';', b'\t', b'\r', b'\n', 0, 0xFF, 0xFE, 0xEF];
    for _ in 0..=rng.below(6) {
        let at = rng.below(out.len() + 1);
        match rng.below(6) {
            0 if at < out.len() => out[at] ^= 1 << rng.below(8),
            1 if at < out.len() => out[at] = NASTY[rng.below(NASTY.len())],
            2 => out.insert(at, NASTY[rng.below(NASTY.len())]),
            3 if at < out.len() => {
                out.remove(at);
            }
            4 => out.insert(at, rng.next() as u8),
            _ => out.truncate(at),
        }
    }
    out
}

#[test]
fn random_and_damaged_files_never_panic_and_write_only_what_the_report_counts() {
    let mut rng = Rng(0xBADF_11E5);
    let (mut ws, mut object) = workspace();
    let n = iterations(3_000);
    let mut before = ws.count_all(object).expect("count");
    for i in 0..n {
        if i % 500 == 499 {
            // A fresh workspace now and then keeps every import as cheap as the first.
            (ws, object) = workspace();
            before = 0;
        }
        let file = match i % 3 {
            0 => (0..rng.below(200)).map(|_| rng.next() as u8).collect(),
            _ => {
                let encoding = [Encoding::Utf8, Encoding::Utf8Bom, Encoding::Utf16Le, Encoding::Utf16Be][rng.below(4)];
                let rows: Vec<Row> = (0..1 + rng.below(4)).map(|r| row(&mut rng, r, true)).collect();
                let clean = write_file(&mut rng, &rows, encoding);
                mutate(&mut rng, &clean)
            }
        };
        // Small batches: a file that breaks after some rows were written is reported so.
        let after_result = import(&mut ws, &file, 1 + rng.below(3));
        let after = ws.count_all(object).expect("count");
        match after_result {
            Ok(report) => assert_eq!(
                after - before,
                report.imported as u64,
                "file {i}: the report counts {} records, {} were written",
                report.imported,
                after - before
            ),
            Err(kith::CsvError::ReadAfterBatches { written, .. }) => assert_eq!(
                after - before,
                written as u64,
                "file {i}: {written} records reported written before the file broke"
            ),
            Err(e) => assert_eq!(after, before, "file {i}: refused ({e}) yet wrote records"),
        }
        before = after;
    }
}
