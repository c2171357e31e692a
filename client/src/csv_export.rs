//! Export as the library offers it: an object's live records, as CSV or JSON, written by
//! the application layer's export ([`crate::app::export`], where the format is described),
//! which the CLI and the web UI call too.

use std::io::Write;

use kith_core::Workspace;

use crate::CsvError;
use crate::app::AppError;
use crate::app::export::{ExportRequest, export as export_records};

/// What to export as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Csv,
    Json,
}

impl ExportFormat {
    /// `csv` or `json`.
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
        }
    }
}

/// Writes every live record of `object` to `out`; returns how many.
pub fn export<W: Write>(ws: &Workspace, object: &str, format: ExportFormat, out: W) -> Result<usize, CsvError> {
    let request = ExportRequest {
        object: object.to_string(),
        filters: Vec::new(),
        sort: None,
        columns: Vec::new(),
        format,
    };
    match export_records(ws, &request, out) {
        Ok(done) => Ok(done.records),
        Err(AppError::Csv(e)) => Err(e),
        Err(AppError::Kith(e)) => Err(CsvError::Kith(e)),
        Err(AppError::Schema(e)) => Err(CsvError::Schema(e)),
        Err(AppError::Query(e)) => Err(CsvError::Kith(Box::new(e.into()))),
        // An export of a whole object asks nothing that can be invalid or missing.
        Err(AppError::Invalid(e) | AppError::NotFound(e)) => Err(CsvError::Write(std::io::Error::other(e))),
    }
}
