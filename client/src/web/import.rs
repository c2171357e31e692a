//! The import page: choose a CSV file (or paste it), map its columns to fields with a
//! preview of the first rows and their errors, import, and see the result with
//! "Revert this import" (one change group). The file travels in the form, so the page
//! needs no upload storage; the script reads a chosen file into it.
//!
//! The import runs on the workspace thread in batches; between two batches it answers
//! the page requests that queued up, so pages stay usable during a long import, and it
//! records the rows read, which its progress page shows as a progress bar.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use kith_core::{FieldDef, ObjectDef, Workspace};
use maud::{Markup, html};

use super::form::{FormPairs, query_pairs};
use super::layout::{Active, Chrome, page};
use super::undo::Undo;
use super::{AppState, WebError, WorkspaceHandle};
use crate::{CsvImportOptions, CsvImportReport, import_csv_pausing};

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

/// POST /import/run: starts the import with the chosen mapping on the workspace thread
/// and sends the browser to its progress page (`/import/{id}`), which becomes the result.
pub(crate) async fn run(State(state): State<Arc<AppState>>, form: FormPairs) -> Result<Response, WebError> {
    let key = form.require("object")?.to_string();
    let csv_text = form.require("csv")?.to_string();
    let (header, _) = head(&csv_text)?;
    let mappings: Vec<(String, String)> = header
        .iter()
        .zip(form.all("map"))
        .map(|(c, m)| (c.clone(), if m == SKIP { String::new() } else { m.to_string() }))
        .collect();
    let job = state.imports.start(data_rows(&csv_text));
    let id = job.id;
    let worker = state.ws.clone();
    let options = CsvImportOptions {
        object: key,
        mappings,
        strict: false,
        ..CsvImportOptions::default()
    };
    state.ws.submit(move |ws| {
        let outcome = run_import(ws, &worker, &job, &options, &csv_text);
        job.finish(outcome);
    })?;
    Ok(Redirect::to(&format!("/import/{id}")).into_response())
}

/// Imports `csv` on the workspace thread, recording the rows read in `job` and running
/// the jobs queued behind it between batches.
fn run_import(
    ws: &mut Workspace,
    worker: &WorkspaceHandle,
    job: &ImportJob,
    options: &CsvImportOptions,
    csv: &str,
) -> Outcome {
    let label = ws
        .object_named(&options.object)
        .map(|o| o.label.clone())
        .unwrap_or_default();
    let mut pause = |ws: &mut Workspace, rows: usize| {
        job.advance(rows);
        worker.run_queued(ws);
    };
    import_csv_pausing(ws, csv.as_bytes(), options, &mut |_, _| {}, &mut pause)
        .map(|report| (label, report))
        .map_err(|e| e.to_string())
}

/// GET /import/{id}: the import's progress while it runs (the page script follows it;
/// without the script the page reloads itself), then its result.
pub(crate) async fn status(State(state): State<Arc<AppState>>, Path(id): Path<u64>) -> Result<Response, WebError> {
    let job = state.imports.get(id)?;
    let token = state.session();
    let chrome = state.ws.call(move |ws| Chrome::read(ws, &token)).await?;
    let body = match job.outcome() {
        None => progress_page(&job),
        Some(Ok((label, report))) => result(&chrome, &label, &report),
        Some(Err(error)) => html! {
            h1 { "The import stopped" }
            p.field-error { (error) }
            p { a href="/import" { "Import another file" } }
        },
    };
    Ok(page(&chrome, "Import", Active::Import, None, body).into_response())
}

/// GET /import/{id}/progress[?wait=1]: `{"rows_done", "rows_total", "finished"}`; with
/// `wait`, answered once the import has finished.
pub(crate) async fn progress(
    State(state): State<Arc<AppState>>,
    Path(id): Path<u64>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let job = state.imports.get(id)?;
    if query_pairs(raw.as_deref()).iter().any(|(k, _)| k == "wait") {
        job.finished().await;
    }
    let (done, total) = job.rows();
    Ok(axum::Json(serde_json::json!({
        "rows_done": done,
        "rows_total": total,
        "finished": job.outcome().is_some(),
    }))
    .into_response())
}

fn progress_page(job: &ImportJob) -> Markup {
    let (done, total) = job.rows();
    html! {
        h1 { "Importing…" }
        div.import-progress data-import-progress=(format!("/import/{}/progress", job.id)) {
            progress value=(done) max=(total.max(1)) aria-label="Rows imported" {}
            p.muted { span.rows-done { (done) } " of " (total) " rows read" }
        }
        noscript { meta http-equiv="refresh" content="2"; }
        p.muted { "You can open other pages meanwhile: the import goes on, and this page shows its result when it ends." }
    }
}

/// Data rows of a CSV text (the header and blank lines not counted): the progress bar's
/// end. A cheap pass over text that is in memory anyway.
fn data_rows(csv_text: &str) -> usize {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let mut record = csv::ByteRecord::new();
    let mut rows = 0;
    while let Ok(true) = reader.read_byte_record(&mut record) {
        if !record.iter().all(|cell| cell.iter().all(u8::is_ascii_whitespace)) {
            rows += 1;
        }
    }
    rows
}

/// Imports running or finished in this server; the last [`KEPT_IMPORTS`] are kept.
#[derive(Default)]
pub(crate) struct Imports {
    jobs: Mutex<VecDeque<Arc<ImportJob>>>,
    next: AtomicU64,
}

/// Finished imports whose result pages stay reachable.
const KEPT_IMPORTS: usize = 16;

type Outcome = Result<(String, CsvImportReport), String>;

/// One web import: how far it got and, once it ended, how it ended.
pub(crate) struct ImportJob {
    id: u64,
    total: usize,
    done: AtomicUsize,
    outcome: Mutex<Option<Outcome>>,
    ended: tokio::sync::watch::Sender<bool>,
}

impl Imports {
    fn start(&self, total: usize) -> Arc<ImportJob> {
        let job = Arc::new(ImportJob {
            id: self.next.fetch_add(1, Ordering::Relaxed) + 1,
            total,
            done: AtomicUsize::new(0),
            outcome: Mutex::new(None),
            ended: tokio::sync::watch::Sender::new(false),
        });
        let mut jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        jobs.push_back(Arc::clone(&job));
        while jobs.len() > KEPT_IMPORTS {
            jobs.pop_front();
        }
        job
    }

    fn get(&self, id: u64) -> Result<Arc<ImportJob>, WebError> {
        let jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        jobs.iter()
            .find(|j| j.id == id)
            .cloned()
            .ok_or_else(|| WebError::NotFound(format!("import {id}")))
    }
}

impl ImportJob {
    fn advance(&self, rows: usize) {
        self.done.store(rows, Ordering::Relaxed);
    }

    fn finish(&self, outcome: Outcome) {
        if outcome.is_ok() {
            self.done.store(self.total, Ordering::Relaxed);
        }
        *self.outcome.lock().unwrap_or_else(PoisonError::into_inner) = Some(outcome);
        self.ended.send_replace(true);
    }

    /// (rows read, rows in the file).
    fn rows(&self) -> (usize, usize) {
        (self.done.load(Ordering::Relaxed).min(self.total), self.total)
    }

    fn outcome(&self) -> Option<Outcome> {
        self.outcome.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    async fn finished(&self) {
        let mut ended = self.ended.subscribe();
        let _ = ended.wait_for(|ended| *ended).await;
    }
}

fn result(chrome: &Chrome, label: &str, report: &CsvImportReport) -> Markup {
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

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    fn people_csv(rows: usize) -> String {
        let mut csv = String::from("name,email\n");
        for i in 0..rows {
            csv.push_str(&format!("Person {i},p{i}@example.com\n"));
        }
        csv
    }

    #[test]
    fn a_page_request_is_answered_between_two_batches_of_a_running_import() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let ws =
            Workspace::create(&dir.path().join("ws"), kith_core::CreateOptions::new("tester")).expect("a workspace");
        let people = ws.object_named("people").expect("people").id;
        let shared = Arc::new(Mutex::new(ws));
        let (worker, thread) = WorkspaceHandle::spawn(Arc::clone(&shared));
        // Hold the thread until the import and a page request are both queued, in order.
        let (release, held) = mpsc::channel::<()>();
        worker
            .submit(move |_| {
                let _ = held.recv();
            })
            .expect("queued");
        let imports = Imports::default();
        let csv = people_csv(30);
        let job = imports.start(data_rows(&csv));
        let options = CsvImportOptions {
            object: "people".into(),
            batch_rows: 10,
            ..CsvImportOptions::default()
        };
        let (running, behind) = (Arc::clone(&job), worker.clone());
        worker
            .submit(move |ws| {
                let outcome = run_import(ws, &behind, &running, &options, &csv);
                running.finish(outcome);
            })
            .expect("queued");
        let (seen, page) = mpsc::channel();
        let watched = Arc::clone(&job);
        worker
            .submit(move |ws| {
                let _ = seen.send((
                    ws.count_all(people).expect("count"),
                    watched.rows(),
                    watched.outcome().is_some(),
                ));
            })
            .expect("queued");
        release.send(()).expect("the gate waits");
        let (count, rows, finished) = page.recv().expect("the page request is answered");
        assert!(!finished, "answered while the import runs, not after it");
        assert_eq!(rows, (10, 30), "the progress shows the rows read so far");
        assert_eq!(count, 10, "the first batch is written and readable");
        // The thread ends once the import (which holds a handle) has ended.
        drop(worker);
        thread.join().expect("the thread ends");
        let (label, report) = job.outcome().expect("finished").expect("imported");
        assert_eq!((label.as_str(), report.imported), ("People", 30));
        assert_eq!(job.rows(), (30, 30));
        let ws = shared.lock().expect("not poisoned");
        assert_eq!(ws.count_all(people).expect("count"), 30);
    }

    #[test]
    fn the_progress_page_shows_rows_read_of_the_files_rows() {
        let imports = Imports::default();
        let job = imports.start(data_rows("name\nA\n\nB\n \nC\n"));
        job.advance(2);
        let html = progress_page(&job).into_string();
        assert!(html.contains("<progress value=\"2\" max=\"3\""), "{html}");
        assert!(html.contains("2</span> of 3 rows read"), "{html}");
    }
}
