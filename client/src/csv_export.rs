//! Export: an object's live records streamed from the `rows` table (no documents are
//! loaded), as CSV (a header of `id` then the active fields' keys, values as
//! [`field_type::display`] shows them, relations as record ids so they import back) or
//! as a JSON array of records in the shape every `--json` command uses
//! (`record_json.rs`, docs/api.md). Values that do not convert to their field's current
//! type are written as stored.

use std::io::{BufWriter, Write};

use kith_core::field_type;
use kith_core::{FieldDef, NumberFormat, Row, Stored, Workspace};

use crate::CsvError;

/// What to export as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
}

/// A stored value as the export writes it: through the field's type, numbers in the
/// workspace's format (so the file imports back), or as stored when it does not convert.
fn cell_text(field: &FieldDef, stored: &Stored, number_format: &NumberFormat) -> String {
    match field_type::read(field, stored) {
        Some(v) => field_type::display_in(field, &v, number_format),
        None => stored.raw_text(),
    }
}

fn stored<'r>(row: &'r Row, field: &FieldDef) -> Option<&'r Stored> {
    row.get(field.id).filter(|s| !s.is_empty())
}

/// Writes every live record of `object` to `out`; returns how many.
pub fn export<W: Write>(ws: &Workspace, object: &str, format: ExportFormat, out: W) -> Result<usize, CsvError> {
    let obj = ws.object_named(object)?;
    let fields: Vec<&FieldDef> = obj.active_fields().collect();
    let number_format = ws.number_format();
    let mut count = 0;
    let mut failed: Option<CsvError> = None;
    match format {
        ExportFormat::Csv => {
            let mut writer = csv::Writer::from_writer(out);
            writer.write_record(std::iter::once("id").chain(fields.iter().map(|f| f.key.as_str())))?;
            ws.for_each_row(obj.id, |id, row| {
                if failed.is_some() {
                    return;
                }
                let result = (|| -> Result<(), csv::Error> {
                    writer.write_field(id.to_string())?;
                    for field in &fields {
                        match stored(row, field) {
                            Some(s) => writer.write_field(cell_text(field, s, &number_format))?,
                            None => writer.write_field("")?,
                        }
                    }
                    writer.write_record(std::iter::empty::<&[u8]>())
                })();
                match result {
                    Ok(()) => count += 1,
                    Err(e) => failed = Some(e.into()),
                }
            })?;
            if let Some(e) = failed {
                return Err(e);
            }
            writer.flush().map_err(CsvError::Write)?;
        }
        ExportFormat::Json => {
            let mut out = BufWriter::new(out);
            out.write_all(b"[").map_err(CsvError::Write)?;
            ws.for_each_row(obj.id, |id, row| {
                if failed.is_some() {
                    return;
                }
                let object = crate::record_json::record_json(ws, &ws.view(id, row));
                let separator: &[u8] = if count == 0 { b"\n  " } else { b",\n  " };
                let result = out
                    .write_all(separator)
                    .and_then(|()| serde_json::to_writer(&mut out, &object).map_err(std::io::Error::from));
                match result {
                    Ok(()) => count += 1,
                    Err(e) => failed = Some(CsvError::Write(e)),
                }
            })?;
            if let Some(e) = failed {
                return Err(e);
            }
            out.write_all(if count == 0 { b"]\n" } else { b"\n]\n" })
                .map_err(CsvError::Write)?;
            out.flush().map_err(CsvError::Write)?;
        }
    }
    Ok(count)
}
