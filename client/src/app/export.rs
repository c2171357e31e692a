//! Export: an object's live records, or those a filter keeps in a sort's order, with all
//! its active fields or some columns, as CSV or as a JSON array of records (`kith export`,
//! a table's "Export CSV", `GET /api/objects/{object}/export`).
//!
//! Records are written a page at a time ([`PAGE`] records read from the `rows` table
//! through the query engine, never the documents), so memory stays bounded at any size:
//! the CLI writes page after page to its file, the web server sends each page as it is
//! made, one workspace job per page, so other requests are answered in between.
//!
//! CSV: a header of `id` then the columns' keys; values as `field_type::display` writes
//! them in the workspace's number format, relations as record ids, so the file imports
//! back; a value that does not convert to its field's type is written as stored. JSON:
//! records in the shape every `--json` command uses (`record_json.rs`, docs/api.md).

use std::io::Write;

use kith_core::field_type;
use kith_core::{FieldDef, NumberFormat, Query, Row, Stored, Workspace};
use serde::Deserialize;

use super::AppError;
use crate::{CsvError, ExportFormat};

/// Records read per page.
pub(crate) const PAGE: usize = 1_000;

/// What to export: `object` (key, label or id), the records `filters` keep (ANDed; none:
/// all), in `sort`'s order (none: creation order), the `columns` named (keys or labels; none:
/// every active field) after the id.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ExportRequest {
    pub(crate) object: String,
    #[serde(default)]
    pub(crate) filters: Vec<String>,
    #[serde(default)]
    pub(crate) sort: Option<String>,
    #[serde(default)]
    pub(crate) columns: Vec<String>,
    pub(crate) format: ExportFormat,
}

/// An export under way: what it writes and where it is.
pub(crate) struct Export {
    object_key: String,
    format: ExportFormat,
    fields: Vec<FieldDef>,
    number_format: NumberFormat,
    query: Query,
    /// Records written so far.
    written: usize,
    /// The last page has been written.
    done: bool,
}

/// A finished export: the object's key, the format and how many records.
#[derive(Debug)]
pub(crate) struct Exported {
    pub(crate) object: String,
    pub(crate) records: usize,
}

impl Export {
    /// Checks the request (object, filter, sort, columns): a bad one fails here, before
    /// anything is written.
    pub(crate) fn start(ws: &Workspace, req: &ExportRequest) -> Result<Self, AppError> {
        let object = ws.object_named(&req.object)?.clone();
        let fields: Vec<FieldDef> = if req.columns.is_empty() {
            object.active_fields().cloned().collect()
        } else {
            req.columns
                .iter()
                .map(|c| c.trim())
                .filter(|c| !c.is_empty())
                .map(|c| Ok(ws.field_named(object.id, c)?.clone()))
                .collect::<Result<_, AppError>>()?
        };
        let mut query = Query::new(object.id);
        query.filter = super::records::combined_filter(ws, object.id, &req.filters)?;
        query.sort = req
            .sort
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| ws.parse_sort(object.id, s))
            .transpose()?
            .unwrap_or_default();
        query.limit = PAGE;
        Ok(Export {
            object_key: object.key.clone(),
            format: req.format,
            fields,
            number_format: ws.number_format(),
            query,
            written: 0,
            done: false,
        })
    }

    /// Whether every page has been written (then [`Export::finish`] ends the file).
    pub(crate) fn is_done(&self) -> bool {
        self.done
    }

    /// The CSV header (JSON: the opening bracket).
    pub(crate) fn header(&self, out: &mut impl Write) -> Result<(), CsvError> {
        match self.format {
            ExportFormat::Csv => {
                let mut writer = csv::Writer::from_writer(out);
                writer.write_record(std::iter::once("id").chain(self.fields.iter().map(|f| f.key.as_str())))?;
                writer.flush().map_err(CsvError::Write)
            }
            ExportFormat::Json => out.write_all(b"[").map_err(CsvError::Write),
        }
    }

    /// Writes the next page of records.
    pub(crate) fn next_page(&mut self, ws: &Workspace, out: &mut impl Write) -> Result<(), AppError> {
        if self.done {
            return Ok(());
        }
        let page = ws.query(&self.query)?;
        match self.format {
            ExportFormat::Csv => {
                let mut writer = csv::Writer::from_writer(&mut *out);
                for id in &page.ids {
                    let row = ws.row(*id)?;
                    writer.write_field(id.to_string()).map_err(CsvError::from)?;
                    for field in &self.fields {
                        writer
                            .write_field(cell_text(field, &row, &self.number_format))
                            .map_err(CsvError::from)?;
                    }
                    writer
                        .write_record(std::iter::empty::<&[u8]>())
                        .map_err(CsvError::from)?;
                    self.written += 1;
                }
                writer.flush().map_err(CsvError::Write)?;
            }
            ExportFormat::Json => {
                for id in &page.ids {
                    let row = ws.row(*id)?;
                    let record = crate::record_json::record_json(ws, &ws.view(*id, &row));
                    let separator: &[u8] = if self.written == 0 { b"\n  " } else { b",\n  " };
                    out.write_all(separator).map_err(CsvError::Write)?;
                    serde_json::to_writer(&mut *out, &record).map_err(|e| CsvError::Write(e.into()))?;
                    self.written += 1;
                }
            }
        }
        match page.next {
            Some(next) => self.query.after = Some(next),
            None => self.done = true,
        }
        Ok(())
    }

    /// Ends the file (JSON: the closing bracket) and says what was written.
    pub(crate) fn finish(self, out: &mut impl Write) -> Result<Exported, CsvError> {
        if let ExportFormat::Json = self.format {
            out.write_all(if self.written == 0 { b"]\n" } else { b"\n]\n" })
                .map_err(CsvError::Write)?;
        }
        out.flush().map_err(CsvError::Write)?;
        Ok(Exported {
            object: self.object_key,
            records: self.written,
        })
    }
}

/// Writes the whole export to `out`, page after page.
pub(crate) fn export(ws: &Workspace, req: &ExportRequest, out: impl Write) -> Result<Exported, AppError> {
    write_all(ws, Export::start(ws, req)?, out)
}

fn write_all(ws: &Workspace, mut export: Export, out: impl Write) -> Result<Exported, AppError> {
    let mut out = std::io::BufWriter::new(out);
    export.header(&mut out)?;
    while !export.is_done() {
        export.next_page(ws, &mut out)?;
    }
    Ok(export.finish(&mut out)?)
}

/// A stored value as the export writes it: through the field's type, numbers in the
/// workspace's format (so the file imports back), or as stored when it does not convert.
fn cell_text(field: &FieldDef, row: &Row, number_format: &NumberFormat) -> String {
    let Some(stored) = row.get(field.id).filter(|s: &&Stored| !s.is_empty()) else {
        return String::new();
    };
    match field_type::read(field, stored) {
        Some(v) => field_type::display_in(field, &v, number_format),
        None => stored.raw_text(),
    }
}

#[cfg(test)]
mod tests {
    use kith_core::{CreateOptions, Workspace};

    use super::*;

    fn people(n: usize) -> (tempfile::TempDir, Workspace) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut ws = Workspace::create(&dir.path().join("ws"), CreateOptions::new("t")).expect("a workspace");
        let obj = ws.object_named("people").expect("people").id;
        for i in 0..n {
            let city = if i % 2 == 0 { "Oslo" } else { "Rome" };
            let values = vec![
                ("name".to_string(), format!("P{i:03}")),
                ("city".to_string(), city.to_string()),
            ];
            let changes = ws.parse_values(obj, &values).expect("values");
            ws.create_record(obj, changes).expect("created");
        }
        (dir, ws)
    }

    fn request(filters: &[&str], sort: Option<&str>, format: ExportFormat) -> ExportRequest {
        ExportRequest {
            object: "people".into(),
            filters: filters.iter().map(|f| f.to_string()).collect(),
            sort: sort.map(str::to_string),
            columns: vec!["name".into(), "city".into()],
            format,
        }
    }

    /// The export written with pages of `page` records.
    fn paged(ws: &Workspace, req: &ExportRequest, page: usize) -> (Exported, String) {
        let mut export = Export::start(ws, req).expect("a good request");
        export.query.limit = page;
        let mut out = Vec::new();
        let done = write_all(ws, export, &mut out).expect("written");
        (done, String::from_utf8(out).expect("UTF-8"))
    }

    #[test]
    fn an_export_written_in_small_pages_holds_every_record_once_in_order() {
        let (_dir, ws) = people(25);
        let req = request(&[], Some("-name"), ExportFormat::Csv);
        let (done, text) = paged(&ws, &req, 4);
        assert_eq!(done.records, 25);
        let names: Vec<&str> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).expect("a name"))
            .collect();
        let expected: Vec<String> = (0..25).rev().map(|i| format!("P{i:03}")).collect();
        assert_eq!(names, expected);
        assert_eq!(text.lines().next(), Some("id,name,city"));
        // One page or many, the same file.
        assert_eq!(paged(&ws, &req, 1_000).1, text);
    }

    #[test]
    fn a_filtered_json_export_in_pages_is_one_array_of_the_matching_records() {
        let (_dir, ws) = people(9);
        let (done, text) = paged(&ws, &request(&["city = Oslo"], None, ExportFormat::Json), 2);
        assert_eq!(done.records, 5);
        let records: serde_json::Value = serde_json::from_str(&text).expect("one JSON array");
        assert_eq!(records.as_array().map(Vec::len), Some(5));
        assert!(
            records
                .as_array()
                .into_iter()
                .flatten()
                .all(|r| r["fields"]["city"] == "Oslo")
        );
    }

    #[test]
    fn a_bad_filter_or_column_fails_before_anything_is_written() {
        let (_dir, ws) = people(1);
        assert!(Export::start(&ws, &request(&["nope = 1"], None, ExportFormat::Csv)).is_err());
        let mut bad = request(&[], None, ExportFormat::Csv);
        bad.columns = vec!["shoe_size".into()];
        assert!(Export::start(&ws, &bad).is_err());
    }
}
