//! The import page: choose a CSV file (or paste it), map its columns to fields with a
//! preview of the first rows and their errors, import, and see the result with
//! "Revert this import" (one change group). The file travels in the form, so the page
//! needs no upload storage; the script reads a chosen file into it.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use kith_core::{FieldDef, ObjectDef, Workspace};
use maud::{Markup, html};

use super::form::{FormPairs, query_pairs};
use super::layout::{Active, Chrome, page};
use super::undo::Undo;
use super::{AppState, WebError};
use crate::{CsvImportOptions, import_csv};

/// Rows shown in the preview.
const PREVIEW_ROWS: usize = 5;
/// What a column mapped to nothing says.
const SKIP: &str = "-";

/// GET /import?object=KEY
pub(crate) async fn start(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Result<Response, WebError> {
    let chosen = query_pairs(raw.as_deref())
        .into_iter()
        .find(|(k, _)| k == "object")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let token = state.session();
    let (chrome, objects) = state
        .ws
        .call(move |ws| {
            let objects: Vec<(String, String)> = ws
                .schema()
                .active_objects()
                .map(|o| (o.key.clone(), o.label.clone()))
                .collect();
            (Chrome::read(ws, &token), objects)
        })
        .await?;
    let body = html! {
        h1 { "Import a CSV file" }
        p.muted { "The first row names the columns. You map them to fields on the next step, with a preview. One import is one change: it can be reverted as a whole." }
        form.import method="post" action="/import/preview" {
            (chrome.token_field())
            label { "Into " select name="object" {
                @for (key, label) in &objects { option value=(key) selected[*key == chosen] { (label) } }
            } }
            label.file { "File " input type="file" accept=".csv,text/csv" data-csv-into="csv"; }
            label { "or paste the CSV " textarea #csv name="csv" rows="8" required {} }
            button type="submit" { "Next: map columns" }
        }
    };
    Ok(page(&chrome, "Import", Active::Import, None, body).into_response())
}

/// The header and first rows of a CSV text.
fn head(csv_text: &str) -> Result<(Vec<String>, Vec<Vec<String>>), WebError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    let mut rows = reader.records();
    let header: Vec<String> = rows
        .next()
        .ok_or_else(|| WebError::BadRequest("the CSV is empty: it needs a header row".into()))?
        .map_err(|e| WebError::BadRequest(format!("cannot read the CSV: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    let preview = rows
        .take(PREVIEW_ROWS)
        .filter_map(Result::ok)
        .map(|r| r.iter().map(str::to_string).collect())
        .collect();
    Ok((header, preview))
}

/// The field a column feeds unless the user says otherwise (by key or label).
fn guess<'a>(obj: &'a ObjectDef, column: &str) -> Option<&'a FieldDef> {
    obj.active_fields()
        .find(|f| f.key.eq_ignore_ascii_case(column.trim()) || f.label.eq_ignore_ascii_case(column.trim()))
}

/// Per-row problems of the preview rows, checked as an import would parse them.
fn row_errors(
    ws: &Workspace,
    obj: &ObjectDef,
    mapping: &[Option<String>],
    rows: &[Vec<String>],
) -> Vec<Option<String>> {
    rows.iter()
        .map(|row| {
            let inputs: Vec<(String, String)> = mapping
                .iter()
                .zip(row)
                .filter_map(|(m, v)| m.as_ref().map(|k| (k.clone(), v.clone())))
                .filter(|(_, v)| !v.trim().is_empty())
                .collect();
            ws.parse_values(obj.id, &inputs).err().map(|e| e.to_string())
        })
        .collect()
}

/// POST /import/preview: `object`, `csv`, and (when re-previewing) `map` per column.
pub(crate) async fn preview(State(state): State<Arc<AppState>>, form: FormPairs) -> Result<Response, WebError> {
    let key = form.require("object")?.to_string();
    let csv_text = form.require("csv")?.to_string();
    let (header, rows) = head(&csv_text)?;
    let given: Vec<String> = form.all("map").iter().map(|s| s.to_string()).collect();
    let token = state.session();
    let (chrome, obj, mapping, errors) = state
        .ws
        .call(move |ws| -> Result<_, WebError> {
            let obj = ws.object_named(&key).map_err(kith_core::Error::from)?.clone();
            let mapping: Vec<Option<String>> = header
                .iter()
                .enumerate()
                .map(|(i, column)| match given.get(i) {
                    Some(m) if m == SKIP => None,
                    Some(m) => Some(m.clone()),
                    None => guess(&obj, column).map(|f| f.key.clone()),
                })
                .collect();
            let errors = row_errors(ws, &obj, &mapping, &rows);
            Ok((Chrome::read(ws, &token), obj, mapping, errors))
        })
        .await??;
    let (header, rows) = head(&csv_text)?;
    let body = html! {
        h1 { "Import into " (obj.label) }
        form.import method="post" action="/import/run" {
            (chrome.token_field())
            input type="hidden" name="object" value=(obj.key);
            textarea name="csv" hidden { (csv_text) }
            div.table-wrap { table.records.preview {
                thead {
                    tr { @for c in &header { th scope="col" { (c) } } th { "Check" } }
                    tr { @for (i, c) in header.iter().enumerate() {
                        th { select name="map" aria-label={"Field for column " (c)} {
                            option value=(SKIP) selected[mapping[i].is_none()] { "(skip)" }
                            @for f in obj.active_fields() {
                                option value=(f.key) selected[mapping[i].as_deref() == Some(f.key.as_str())] { (f.label) }
                            }
                        } }
                    } th {} }
                }
                tbody {
                    @for (row, error) in rows.iter().zip(&errors) {
                        tr { @for cell in row { td { (cell) } }
                            td { @if let Some(e) = error { span.field-error { "⚠ " (e) } } @else { "✓" } } }
                    }
                }
            } }
            p.muted { "The first " (rows.len()) " rows are checked here; every row is checked on import, and bad rows are reported and skipped." }
            button.secondary type="submit" formaction="/import/preview" { "Check again" } " "
            button type="submit" { "Import" }
        }
    };
    Ok(page(&chrome, "Import", Active::Import, None, body).into_response())
}

/// POST /import/run: imports with the chosen mapping; shows the result.
pub(crate) async fn run(State(state): State<Arc<AppState>>, form: FormPairs) -> Result<Response, WebError> {
    let key = form.require("object")?.to_string();
    let csv_text = form.require("csv")?.to_string();
    let (header, _) = head(&csv_text)?;
    let mappings: Vec<(String, String)> = header
        .iter()
        .zip(form.all("map"))
        .map(|(c, m)| (c.clone(), if m == SKIP { String::new() } else { m.to_string() }))
        .collect();
    let token = state.session();
    let (chrome, label, report) = state
        .ws
        .call(move |ws| -> Result<_, WebError> {
            let label = ws.object_named(&key).map_err(kith_core::Error::from)?.label.clone();
            let options = CsvImportOptions {
                object: key,
                mappings,
                strict: false,
                ..CsvImportOptions::default()
            };
            let report = import_csv(ws, csv_text.as_bytes(), &options, &mut |_, _| {})
                .map_err(|e| WebError::BadRequest(e.to_string()))?;
            Ok((Chrome::read(ws, &token), label, report))
        })
        .await??;
    Ok(page(
        &chrome,
        "Import",
        Active::Import,
        None,
        result(&chrome, &label, &report),
    )
    .into_response())
}

fn result(chrome: &Chrome, label: &str, report: &crate::CsvImportReport) -> Markup {
    html! {
        h1 { "Imported " (report.imported) " " (label.to_lowercase()) }
        @if !report.errors.is_empty() {
            h2 { (report.errors.len()) " rows were not imported" }
            ul.import-errors { @for e in &report.errors { li { (e.to_string()) } } }
        }
        @if report.imported > 0 {
            form method="post" action="/undo" {
                (chrome.token_field())
                input type="hidden" name="undo" value=(Undo::Group(report.group).encode());
                input type="hidden" name="back" value="/import";
                button.danger type="submit" { "Revert this import" }
            }
        }
        p { a href="/import" { "Import another file" } }
    }
}
