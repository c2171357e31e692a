//! CSV import: `kith import`, `POST /api/objects/{object}/import`. One change group per
//! import; bad rows are reported and skipped (or, strict, nothing is imported).

use std::io::Read;

use serde::{Serialize, Serializer};

use super::AppError;
use crate::csv_io::{CsvImportOptions, CsvImportReport, CsvRowError, import_csv};
use crate::output::JsonObject;

/// What an import did. Serializes as `{"group", "imported", "skipped",
/// "ignored_columns", "encoding", "preview", "new_fields", "mapping", "added_options",
/// "created_records", "delimiter", "errors"}` (docs/api.md).
#[derive(Debug)]
pub(crate) struct Imported {
    pub(crate) report: CsvImportReport,
}

/// Imports `input` as `options` say; `progress` hears (records written, records to write).
pub(crate) fn import(
    ws: &mut kith_core::Workspace,
    input: impl Read,
    options: &CsvImportOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Imported, AppError> {
    Ok(Imported {
        report: import_csv(ws, input, options, progress)?,
    })
}

impl Serialize for Imported {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let report = &self.report;
        let mut j = JsonObject::default();
        j.push("group", report.group.to_string());
        j.push("imported", report.imported);
        j.push("skipped", report.skipped);
        j.push("ignored_columns", report.ignored_columns.clone());
        j.push("encoding", report.encoding);
        j.push("preview", report.preview);
        j.push(
            "new_fields",
            serde_json::to_value(&report.new_fields).unwrap_or_default(),
        );
        let mut mapping = JsonObject::default();
        for (column, field) in &report.mapping {
            mapping.push(column.clone(), (!field.is_empty()).then(|| field.clone()));
        }
        j.push_object("mapping", mapping);
        j.push("added_options", report.added_options);
        j.push("created_records", report.created_records);
        j.push("delimiter", report.delimiter.to_string());
        j.push_objects("errors", report.errors.iter().map(error_json).collect());
        j.serialize(s)
    }
}

fn error_json(e: &CsvRowError) -> JsonObject {
    let mut j = JsonObject::default();
    j.push("row", e.row);
    j.push("line", e.line);
    j.push("column", e.column.clone());
    j.push("reason", e.reason.clone());
    j
}
