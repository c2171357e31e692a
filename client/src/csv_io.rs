//! CSV import, and CSV / JSON export.
//!
//! **Import** streams the file, converting every cell by its field's type, and hands
//! the good rows to [`Workspace::import_records`] in batches of [`BATCH_ROWS`] (one
//! transaction each), all in the import's one change group; memory stays bounded
//! whatever the file's size. A `strict` import (all or nothing) reads the file twice:
//! once to check every row, writing nothing, then, if no row is bad, to write it.
//!
//! * Columns name fields by key or label, case-insensitively, unless
//!   [`CsvImportOptions::mappings`] says otherwise.
//! * A column named `id` keeps record ids (so an export imports back as the same
//!   records) unless a mapping sends it to a field.
//! * A column that names no field is an error listing every such column, unless a
//!   mapping skips it (see [`CsvImportOptions::mappings`]).
//! * A bad row (a value that does not convert, a broken rule, invalid UTF-8, a wrong
//!   number of cells) is reported with its 1-based data row, its line in the file, its
//!   column and why, and skipped; with `strict` nothing is imported if any row is bad.
//!   Each bad row is reported once, for its first problem.
//! * The file may be UTF-8, UTF-16 or Windows-1252 and separated by commas, semicolons
//!   or tabs: both are detected (`csv_input.rs`) unless the options name them. Error
//!   lines are the file's own lines, whatever its line endings and blank lines.
//! * Rows whose cells are all empty are ignored. A leading byte order mark is ignored.
//! * Relation cells hold record ids (what export writes) or names of records of the
//!   target object (its display field), separated by `;` for many-relations. Related
//!   records must exist before the import: import companies before the people that
//!   point at them.
//!
//! **Export** is in `csv_export.rs` (re-exported here); the batching of rows and the
//! report of bad rows are in `csv_io/rows.rs`.

use std::collections::VecDeque;
use std::fmt;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};

use kith_core::field_type;
use kith_core::schema::key_from_label;
use kith_core::{
    FieldDef, FieldSpec, GroupId, ImportChecks, ImportOptions, ImportRow, NumberFormat, ObjectDef, ObjectId, RecordId,
    RowError, Value, Workspace,
};
use serde::Serialize;

pub use crate::csv_export::{ExportFormat, export};
pub use crate::csv_input::MAX_RECORD_BYTES;

use crate::CsvError;
use crate::csv_infer::{NewField, SAMPLE_ROWS, infer};
use crate::csv_missing::{Created, Need, ToCreate};
use crate::csv_plan::{Join, Target, full_plan, unknown_columns};

mod rows;
use rows::{BatchContext, Pending, RowErrors, parse_row};

/// How to import a CSV file.
#[derive(Debug, Clone, Default)]
pub struct CsvImportOptions {
    /// The object (key, label or id) the rows become records of.
    pub object: String,
    /// `(column, field)` pairs that override matching columns to fields by name.
    /// Columns match case-insensitively. A field of `""` or `-` skips the column; the
    /// column `*` stands for every column no field matches (`("*", "")` skips unknown
    /// columns instead of refusing the file). A field of `id` (when the object has no
    /// such field) means the record id.
    pub mappings: Vec<(String, String)>,
    /// Import nothing if any row is bad.
    pub strict: bool,
    /// How the file writes numbers, amounts and percents; `None`: the workspace's format.
    pub number_format: Option<NumberFormat>,
    /// The file's text encoding (a label such as `windows-1252`); detected when `None`.
    pub encoding: Option<String>,
    /// The separator between cells; detected from the header line when `None`.
    pub delimiter: Option<u8>,
    /// Add the select options that cells name and fields lack (in the import's group).
    pub add_options: bool,
    /// Create, by name, the related records that relation cells name and that do not
    /// exist (in the import's group).
    pub create_missing: bool,
    /// Create a field for each column that names none, its type inferred from the
    /// column's first values (in the import's group).
    pub create_fields: bool,
    /// Write nothing: report the new fields, the mapping and the bad rows.
    pub preview: bool,
    /// Rows validated and written per transaction (0: [`BATCH_ROWS`]); all batches
    /// share the import's change group.
    pub batch_rows: usize,
}

impl CsvImportOptions {
    fn may_create(&self, need: &Need) -> bool {
        match need {
            Need::Option { .. } => self.add_options,
            Need::Record { .. } => self.create_missing,
        }
    }
}

/// What cell `column` of a row names that the workspace lacks, if that is its problem.
fn cell_needs(
    ws: &Workspace,
    object: ObjectId,
    targets: &[Target<'_>],
    record: &csv::ByteRecord,
    column: usize,
) -> Option<Vec<Need>> {
    let Some(Target::Field(def)) = targets.get(column) else {
        return None;
    };
    let text = std::str::from_utf8(record.get(column)?).ok()?;
    if text.trim().is_empty() {
        return None;
    }
    crate::csv_missing::needs(ws, object, def, text)
}

/// A row that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsvRowError {
    /// The data row, 1-based (the header is not counted; empty lines are not rows).
    pub row: usize,
    /// The line of the file the row starts on, 1-based (the header is line 1).
    pub line: u64,
    /// The column at fault, as the header names it; `None` when it is no one column
    /// (a missing required field with no column, a wrong number of cells).
    pub column: Option<String>,
    pub reason: String,
}

impl fmt::Display for CsvRowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {} (line {})", self.row, self.line)?;
        if let Some(column) = &self.column {
            write!(f, ", column {column}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct CsvImportReport {
    /// The change group of every imported record (`import:<group>` in their history).
    pub group: GroupId,
    pub imported: usize,
    /// How many rows were bad (and skipped).
    pub skipped: usize,
    /// Bad rows, in file order, one entry per row: the first [`KEPT_ERRORS`] of them.
    pub errors: Vec<CsvRowError>,
    /// Columns that were skipped (by a mapping to `""`, `-`, or `*`).
    pub ignored_columns: Vec<String>,
    /// The text encoding the file was read in (`UTF-8`, `windows-1252`, `UTF-16LE`, ...).
    pub encoding: &'static str,
    /// The separator between cells.
    pub delimiter: char,
    /// Select options added for cells that named them (`add_options`).
    pub added_options: usize,
    /// Related records created for cells that named them (`create_missing`).
    pub created_records: usize,
    /// Fields created for columns that named none (`create_fields`): (column, key, type,
    /// options).
    pub new_fields: Vec<CreatedField>,
    /// What each column feeds: (column, field key; `""` when skipped).
    pub mapping: Vec<(String, String)>,
    /// Nothing was written (`preview`): `imported` is how many rows would import.
    pub preview: bool,
}

/// A field `create_fields` made (or, in a preview, would make).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreatedField {
    pub column: String,
    pub key: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub options: Vec<String>,
}

fn describe(field: &NewField) -> CreatedField {
    CreatedField {
        column: field.label.clone(),
        key: field.key.clone(),
        kind: field.kind.as_str().to_string(),
        options: field.options.clone(),
    }
}

/// Strips a UTF-8 byte order mark.
fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Resolves a relation cell that names a record rather than giving its id.
fn resolve_name(ws: &Workspace, object: ObjectId, field: &FieldDef, name: &str) -> Result<RecordId, String> {
    match ws.parse_values(object, &[(field.id.to_string(), name.to_string())]) {
        Ok(changes) => match changes.into_iter().next() {
            Some((_, Some(Value::Records(ids)))) => {
                ids.first().copied().ok_or_else(|| format!("'{name}' names no record"))
            }
            _ => Err(format!("'{name}' names no record")),
        },
        Err(kith_core::Error::Validation(v)) => Err(v.reason),
        Err(e) => Err(e.to_string()),
    }
}

/// How a rule broken in the workspace reads in a row report.
fn rule_reason(error: &kith_core::Error) -> (Option<&str>, String) {
    match error {
        kith_core::Error::Validation(v) if v.rule == "required" => (Some(v.field.as_str()), v.reason.clone()),
        kith_core::Error::Validation(v) => (
            Some(v.field.as_str()),
            format!("{} breaks rule '{}': {}", v.value, v.rule, v.reason),
        ),
        other => (None, other.to_string()),
    }
}

/// Imports a CSV file into `options.object` as one change group. `progress` is called
/// with (records written, records to write) while the import is written.
pub fn import_csv<R: Read>(
    ws: &mut Workspace,
    input: R,
    options: &CsvImportOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<CsvImportReport, CsvError> {
    import_csv_pausing(ws, input, options, progress, &mut |_, _| {})
}

/// [`import_csv`], calling `pause` with the workspace and the data rows read so far
/// after every batch of rows (no transaction is open then): the web server runs the
/// page requests that queued up meanwhile, so a long import never stalls the pages,
/// and shows the rows read as the import's progress. What `pause` writes is its own
/// change, outside the import's group.
pub fn import_csv_pausing<R: Read>(
    ws: &mut Workspace,
    input: R,
    options: &CsvImportOptions,
    progress: &mut dyn FnMut(usize, usize),
    pause: &mut dyn FnMut(&mut Workspace, usize),
) -> Result<CsvImportReport, CsvError> {
    if options.strict && !options.preview {
        return import_strict(ws, input, options, progress, pause);
    }
    import_pass(ws, input, options, GroupId::new(), progress, pause)
}

/// A strict import in bounded memory: a first pass reads the file, checking every row
/// batch by batch and writing nothing (keeping only the bad rows and what the rows claim:
/// given ids and unique values), while a copy of the file goes to a temporary file; when
/// no row is bad, a second pass reads that copy and writes it in batches, all in the
/// import's one change group.
fn import_strict<R: Read>(
    ws: &mut Workspace,
    input: R,
    options: &CsvImportOptions,
    progress: &mut dyn FnMut(usize, usize),
    pause: &mut dyn FnMut(&mut Workspace, usize),
) -> Result<CsvImportReport, CsvError> {
    let group = GroupId::new();
    let mut copy = BufWriter::new(tempfile::tempfile().map_err(CsvError::Spool)?);
    let checked = match import_pass(ws, Tee { input, copy: &mut copy }, options, group, progress, pause) {
        Ok(checked) if checked.skipped == 0 => checked,
        refused => {
            // Refused: take back the fields, options and records the check made for its
            // rows (all in the import's group), so a refused import changes nothing.
            take_back(ws, group)?;
            return refused.map(|checked| CsvImportReport {
                imported: 0,
                added_options: 0,
                created_records: 0,
                new_fields: Vec::new(),
                ..checked
            });
        }
    };
    let mut copy = copy.into_inner().map_err(|e| CsvError::Spool(e.into_error()))?;
    copy.seek(SeekFrom::Start(0)).map_err(CsvError::Spool)?;
    // What the first pass created (fields, options, records) now exists: map to it.
    let mut mappings = options.mappings.clone();
    mappings.extend(checked.new_fields.iter().map(|f| (f.column.clone(), f.key.clone())));
    let write = CsvImportOptions {
        mappings,
        strict: false,
        create_fields: false,
        add_options: false,
        create_missing: false,
        ..options.clone()
    };
    let written = import_pass(ws, BufReader::new(copy), &write, group, progress, pause)?;
    Ok(CsvImportReport {
        imported: written.imported,
        skipped: written.skipped,
        errors: written.errors,
        ..checked
    })
}

/// Reverts what a strict import's first pass created in `group`, if anything.
fn take_back(ws: &mut Workspace, group: GroupId) -> Result<(), CsvError> {
    match ws.revert_group(group, false) {
        Ok(_) | Err(kith_core::Error::GroupNotFound(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Copies what is read from `input` into `copy`.
struct Tee<'a, R, W> {
    input: R,
    copy: &'a mut W,
}

impl<R: Read, W: Write> Read for Tee<'_, R, W> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.input.read(buf)?;
        self.copy.write_all(&buf[..n])?;
        Ok(n)
    }
}

/// One pass over the file. With `options.strict` (a strict import's first pass) rows are
/// checked and nothing is written but what the rows need created (fields, options,
/// records), and only when no row is bad; otherwise good rows are written in batches.
fn import_pass<R: Read>(
    ws: &mut Workspace,
    input: R,
    options: &CsvImportOptions,
    group: GroupId,
    progress: &mut dyn FnMut(usize, usize),
    pause: &mut dyn FnMut(&mut Workspace, usize),
) -> Result<CsvImportReport, CsvError> {
    let prepared = crate::csv_input::prepare(input, options.encoding.as_deref(), options.delimiter)?;
    let (encoding, delimiter) = (prepared.encoding, prepared.delimiter);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(prepared.reader);
    let mut record = csv::ByteRecord::new();
    if !reader.read_byte_record(&mut record).map_err(CsvError::Header)? {
        return Err(CsvError::NoHeader);
    }
    // The header's end is where the first record starts (and the record size limit).
    reader.get_ref().record_start_line(reader.position().byte(), &record);
    let headers: Vec<String> = record
        .iter()
        .enumerate()
        .map(|(i, cell)| {
            let cell = if i == 0 { strip_bom(cell) } else { cell };
            std::str::from_utf8(cell)
                .map(|s| s.trim().to_string())
                .map_err(|_| CsvError::HeaderNotUtf8 { column: i + 1 })
        })
        .collect::<Result<_, _>>()?;
    if headers.iter().all(String::is_empty) {
        return Err(CsvError::NoHeader);
    }

    // `--create-fields`: infer the new fields from the first rows, kept for the import.
    let mut sample: VecDeque<(csv::ByteRecord, u64)> = VecDeque::new();
    let mut new_fields: Vec<NewField> = Vec::new();
    let mut mappings = options.mappings.clone();
    if options.create_fields {
        let unknown = unknown_columns(ws.object_named(&options.object)?, &headers, &options.mappings);
        if !unknown.is_empty() {
            while sample.len() < SAMPLE_ROWS && reader.read_byte_record(&mut record).map_err(CsvError::Read)? {
                let line = reader.get_ref().record_start_line(reader.position().byte(), &record);
                sample.push_back((record.clone(), line));
            }
            let obj = ws.object_named(&options.object)?.clone();
            for column in unknown {
                let values: Vec<&str> = sample
                    .iter()
                    .filter_map(|(r, _)| r.get(column).and_then(|c| std::str::from_utf8(c).ok()))
                    .collect();
                let (kind, field_options) = infer(&values);
                let mut key = key_from_label(&headers[column]);
                let base = key.clone();
                let mut n = 2;
                while obj.fields.iter().any(|f| f.key == key) || new_fields.iter().any(|f| f.key == key) {
                    key = format!("{base}_{n}");
                    n += 1;
                }
                new_fields.push(NewField {
                    column,
                    key,
                    label: headers[column].clone(),
                    kind,
                    options: field_options,
                });
            }
            for field in &new_fields {
                if options.preview {
                    // Nothing is written: read the column as skipped.
                    mappings.push((headers[field.column].clone(), String::new()));
                } else {
                    let spec = FieldSpec {
                        options: field.options.clone(),
                        ..FieldSpec::new(&field.key, &field.label, field.kind)
                    };
                    ws.add_field_in_group(obj.id, spec, group)?;
                    mappings.push((headers[field.column].clone(), field.key.clone()));
                }
            }
        }
    }
    let obj = ws.object_named(&options.object)?.clone();
    let (targets, joins) = full_plan(&obj, &headers, &mappings)?;
    let new_columns: Vec<usize> = new_fields.iter().map(|f| f.column).collect();
    let ignored_columns: Vec<String> = targets
        .iter()
        .zip(&headers)
        .enumerate()
        .filter(|(i, (t, _))| matches!(t, Target::Skip) && !new_columns.contains(i))
        .map(|(_, (_, h))| h.clone())
        .collect();
    let mapping: Vec<(String, String)> = targets
        .iter()
        .zip(&headers)
        .enumerate()
        .map(|(i, (t, h))| {
            let to = match t {
                Target::Field(def) => def.key.clone(),
                Target::Id => "id".to_string(),
                Target::Joined => joins
                    .iter()
                    .find(|j| j.columns.contains(&i))
                    .map_or_else(String::new, |j| j.field.key.clone()),
                Target::Skip => new_fields
                    .iter()
                    .find(|f| f.column == i)
                    .map_or_else(String::new, |f| f.key.clone()),
            };
            (h.clone(), to)
        })
        .collect();
    let id_column = targets.iter().position(|t| matches!(t, Target::Id));

    let batch_ctx = BatchContext {
        object: &obj,
        targets: &targets,
        headers: &headers,
        id_column,
        import: ImportOptions {
            strict: options.strict,
            group,
        },
    };
    let mut pending = Pending::default();
    let batch_rows = if options.batch_rows == 0 {
        BATCH_ROWS
    } else {
        options.batch_rows
    };
    let mut errors = RowErrors::default();
    let mut checks = ImportChecks::default();
    let mut row_number = 0;
    let number_format = options.number_format.unwrap_or_else(|| ws.number_format());
    // Rows that name options or records to create first: (row, line, column, reason, cells).
    let mut deferred: Vec<(usize, u64, usize, String, csv::ByteRecord)> = Vec::new();
    let mut to_create = ToCreate::default();
    loop {
        let line = match sample.pop_front() {
            Some((sampled, line)) => {
                record = sampled;
                line
            }
            None => {
                let more = reader
                    .read_byte_record(&mut record)
                    .map_err(|e| match pending.written {
                        0 => CsvError::Read(e),
                        written => CsvError::ReadAfterBatches {
                            written,
                            group,
                            error: e,
                        },
                    })?;
                if !more {
                    break;
                }
                reader.get_ref().record_start_line(reader.position().byte(), &record)
            }
        };
        if record.iter().all(|cell| cell.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        row_number += 1;
        if row_number > 1 && (row_number - 1) % batch_rows == 0 {
            // Between two batches (the previous one is written): let others in.
            pause(ws, row_number - 1);
        }
        let fail = |column: Option<usize>, reason: String| CsvRowError {
            row: row_number,
            line,
            column: column.and_then(|c| headers.get(c).cloned()),
            reason,
        };
        if record.len() != headers.len() {
            errors.push(fail(
                None,
                format!(
                    "the row has {} cells but the header has {} columns",
                    record.len(),
                    headers.len()
                ),
            ));
            continue;
        }
        match parse_row(ws, obj.id, &targets, &joins, &record, &number_format) {
            Ok(row) => {
                pending.push(row, row_number, line);
                if pending.rows.len() >= batch_rows {
                    if options.preview {
                        pending.previewed += pending.rows.len();
                        pending.rows.clear();
                        pending.positions.clear();
                    } else if options.strict {
                        // A strict import writes all or nothing: this pass only checks.
                        pending.check(ws, &batch_ctx, &mut checks, &mut errors)?;
                    } else {
                        pending.write(ws, &batch_ctx, &mut errors, progress)?;
                    }
                }
            }
            Err((column, reason)) => {
                let lacking = cell_needs(ws, obj.id, &targets, &record, column).and_then(|n| n.into_iter().next());
                match lacking {
                    Some(first) if options.may_create(&first) => {
                        for c in 0..record.len() {
                            for need in cell_needs(ws, obj.id, &targets, &record, c).unwrap_or_default() {
                                if options.may_create(&need) {
                                    to_create.add(need);
                                }
                            }
                        }
                        deferred.push((row_number, line, column, reason, record.clone()));
                    }
                    Some(first) => errors.push(fail(Some(column), format!("{reason} ({})", first.hint()))),
                    None => errors.push(fail(Some(column), reason)),
                }
            }
        }
    }

    if options.preview {
        let skipped = errors.total;
        let mut errors = errors.kept;
        errors.sort_by_key(|e| e.row);
        return Ok(CsvImportReport {
            group,
            imported: pending.previewed + pending.rows.len() + deferred.len(),
            skipped,
            errors,
            ignored_columns,
            encoding,
            delimiter: char::from(delimiter),
            added_options: 0,
            created_records: 0,
            new_fields: new_fields.iter().map(describe).collect(),
            mapping,
            preview: true,
        });
    }
    let mut created = Created::default();
    if !deferred.is_empty() {
        if options.strict && !errors.is_empty() {
            // Nothing will be written: report the rows as they are.
            for (row, line, column, reason, _) in deferred.drain(..) {
                errors.push(CsvRowError {
                    row,
                    line,
                    column: headers.get(column).cloned(),
                    reason,
                });
            }
        } else {
            created = to_create.create(ws, group)?;
        }
    }
    // The schema may have new options: plan again against it.
    let fresh = ws.object_named(&options.object)?.clone();
    let (fresh_targets, fresh_joins) = full_plan(&fresh, &headers, &mappings)?;
    for (row, line, _, _, record) in deferred {
        match parse_row(ws, obj.id, &fresh_targets, &fresh_joins, &record, &number_format) {
            Ok(parsed) => pending.push(parsed, row, line),
            Err((column, reason)) => errors.push(CsvRowError {
                row,
                line,
                column: headers.get(column).cloned(),
                reason,
            }),
        }
    }
    let written = if options.strict {
        pending.check(ws, &batch_ctx, &mut checks, &mut errors)?;
        pending.checked
    } else {
        pending.write(ws, &batch_ctx, &mut errors, progress)?
    };
    let imported = if options.strict && errors.total > 0 { 0 } else { written };
    let skipped = errors.total;
    let mut errors = errors.kept;
    errors.sort_by_key(|e| e.row);
    Ok(CsvImportReport {
        group,
        imported,
        skipped,
        errors,
        ignored_columns,
        encoding,
        delimiter: char::from(delimiter),
        added_options: created.options,
        created_records: created.records,
        new_fields: new_fields.iter().map(describe).collect(),
        mapping,
        preview: false,
    })
}

/// Rows are validated and written this many at a time (one transaction each, all in
/// the import's change group), so an import's memory does not grow with the file.
pub const BATCH_ROWS: usize = 5_000;

/// Bad rows kept for the report; past these only the count grows.
pub const KEPT_ERRORS: usize = 1_000;
