//! The object list page: the table of one object's records with the filter builder,
//! sort chips, the chosen columns, cursor pages, the record count, row selection with
//! bulk edit, "+ New", and CSV export. Every view state (filter, sort, columns, page)
//! lives in the URL.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use kith_core::{FieldDef, FieldKind, ObjectDef, Query, RecordId, Workspace};
use maud::{Markup, html};

use super::columns;
use super::fields::{Cell, display, edit_text, form_value, input};
use super::filters::{self, OPERATORS};
use super::form::{FormPairs, query_pairs, to_query};
use super::layout::{Active, Chrome, Session, page, view_menu};
use super::undo::{Toast, Undo, redirect_with};
use super::views::SavedView;
use super::{AppState, WebError};
use crate::ExportFormat;
use crate::app::bulk::{BulkRequest, bulk_update};
use crate::app::export::ExportRequest;

/// Records per page.
const PAGE_SIZE: usize = 50;

/// The view state read from the URL.
#[derive(Default, Clone)]
pub(crate) struct ViewState {
    pub(crate) filter: String,
    pub(crate) sort: String,
    /// The chosen columns, field keys comma-separated ("": the default).
    pub(crate) columns: String,
    pub(crate) after: String,
}

impl ViewState {
    pub(crate) fn from_pairs(pairs: &[(String, String)]) -> ViewState {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        ViewState {
            filter: get("filter"),
            sort: get("sort"),
            columns: get("columns"),
            after: get("after"),
        }
    }

    /// This state's URL for `path`, with `after` replaced.
    pub(crate) fn url(&self, path: &str, after: &str) -> String {
        let q = to_query(&[
            ("filter", &self.filter),
            ("sort", &self.sort),
            ("columns", &self.columns),
            ("after", after),
        ]);
        if q.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{q}")
        }
    }
}

/// What the table shows, read on the workspace thread.
struct TableData {
    chrome: Chrome,
    object: ObjectDef,
    columns: Vec<FieldDef>,
    rows: Vec<(RecordId, String, Vec<Cell>)>,
    count: u64,
    next: Option<String>,
    /// The filter or sort did not parse or resolve: shown above the table.
    problem: Option<String>,
    /// Columns asked for that are not shown (unknown or archived fields).
    column_note: Option<String>,
}

fn read_table(ws: &Workspace, token: &Session, key: &str, view: &ViewState) -> Result<TableData, WebError> {
    let object = ws
        .object_named(key)
        .map_err(|_| WebError::NotFound(format!("object '{key}'")))?
        .clone();
    let mut problem = None;
    let filter = if view.filter.trim().is_empty() {
        None
    } else {
        ws.parse_filter(object.id, &view.filter)
            .map_err(|e| problem = Some(format!("The filter was not applied: {e}")))
            .ok()
    };
    let sort = if view.sort.trim().is_empty() {
        Vec::new()
    } else {
        ws.parse_sort(object.id, &view.sort)
            .map_err(|e| problem = Some(format!("The sort was not applied: {e}")))
            .unwrap_or_default()
    };
    let mut query = Query::new(object.id);
    query.filter = filter.clone();
    query.sort = sort;
    query.limit = PAGE_SIZE;
    query.after = Some(view.after.clone()).filter(|a| !a.is_empty());
    let page = match ws.query(&query) {
        Ok(p) => p,
        Err(e) => {
            problem = Some(format!("This page could not be read: {e}"));
            kith_core::Page {
                ids: Vec::new(),
                next: None,
            }
        }
    };
    let count = ws.count(object.id, filter.as_ref()).unwrap_or(0);
    let (columns, column_note) = columns::chosen(&object, &view.columns);
    let rows = page
        .ids
        .iter()
        .filter_map(|id| {
            let row = ws.row(*id).ok()?;
            let cells = columns.iter().map(|f| Cell::read(ws, f, &row)).collect();
            Some((*id, ws.record_name(*id), cells))
        })
        .collect();
    Ok(TableData {
        chrome: Chrome::read(ws, token),
        object,
        columns,
        rows,
        count,
        next: page.next,
        problem,
        column_note,
    })
}

/// GET /o/{object}: the table. Builder inputs (`add_field`, `add_op`, `add_value`,
/// `sort_field`, `sort_dir`) are folded into `filter` / `sort` and redirected to.
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let pairs = query_pairs(raw.as_deref());
    let mut view = ViewState::from_pairs(&pairs);
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let path = format!("/o/{key}");
    if pairs.iter().any(|(k, _)| k == "set_columns") {
        let k = key.clone();
        let asked = pairs.clone();
        let chosen = state
            .ws
            .call(move |ws| ws.object_named(&k).ok().and_then(|o| columns::from_menu(o, &asked)))
            .await?;
        view.columns = chosen.unwrap_or_default();
        view.after.clear();
        return Ok(Redirect::to(&view.url(&path, "")).into_response());
    }
    if let (Some(field), Some(op)) = (get("add_field"), get("add_op")) {
        if let Some(cond) = filters::condition(field, op, get("add_value").unwrap_or_default()) {
            view.filter = filters::and(&view.filter, &cond);
        }
        view.after.clear();
        return Ok(Redirect::to(&view.url(&path, "")).into_response());
    }
    if let Some(field) = get("sort_field").filter(|f| !f.is_empty()) {
        view.sort = filters::add_sort(&view.sort, field, get("sort_dir") == Some("desc"));
        return Ok(Redirect::to(&view.url(&path, "")).into_response());
    }
    let here = format!("{path}?{}", raw.clone().unwrap_or_default());
    let toast = Toast::from_query(&pairs, &here);
    let token = state.session();
    let v = view.clone();
    let data = state.ws.call(move |ws| read_table(ws, &token, &key, &v)).await??;
    let saved = get("view")
        .and_then(|id| data.chrome.views.iter().find(|v| v.id == id))
        .cloned();
    let body = render_table(&data, &view, &path, &here, saved.as_ref());
    let title = saved
        .as_ref()
        .map_or_else(|| data.object.label.clone(), |v| v.name.clone());
    Ok(page(
        &data.chrome,
        &title,
        Active::Object(data.object.id),
        toast.as_ref(),
        body,
    )
    .into_response())
}

fn render_table(d: &TableData, view: &ViewState, path: &str, here: &str, saved: Option<&SavedView>) -> Markup {
    let obj = &d.object;
    let has_select = obj.active_fields().any(|f| f.kind == FieldKind::Select);
    // The columns as shown (unknown ones dropped): what a saved view and the export keep.
    let shown = ViewState {
        columns: columns::keys(&view.columns, &d.columns),
        ..view.clone()
    };
    let view = &shown;
    html! {
        header.page-head {
            h1 { (obj.label) @if let Some(v) = saved { span.view-name { " · " (v.name) } } }
            span.count { (d.count) " records" }
            nav.view-switch aria-label="View type" {
                a href=(view.url(path, "")) aria-current="page" { "Table" }
                @if has_select { a href={(path) "/board?" (to_query(&[("filter", &view.filter)]))} { "Board" } }
            }
            (view_menu(&d.chrome, &obj.key, "table", [("filter", &view.filter), ("sort", &view.sort), ("field", ""), ("columns", &view.columns)], saved, &format!("/o/{}", obj.key)))
            (columns::menu(obj, &d.columns, path, &[("filter", &view.filter), ("sort", &view.sort)]))
            a.button.secondary href=(view.url(&format!("{path}/export.csv"), "")) download { "Export CSV" }
            details.new-record {
                summary.button { "+ New" }
                (new_form(d, path))
            }
        }
        @if let Some(p) = &d.problem { p.error role="alert" { (p) } }
        @if let Some(n) = &d.column_note { p.note role="status" { (n) } }
        section.chips aria-label="Filters and sorts" {
            @for chip in filters::chips(&view.filter, obj) {
                span.chip {
                    (chip.sentence)
                    a.remove href=(ViewState { filter: chip.without.clone(), ..view.clone() }.url(path, ""))
                        aria-label={"Remove filter: " (chip.sentence)} { "×" }
                }
            }
            @for (label, desc, without) in filters::sort_chips(&view.sort, obj) {
                span.chip.sort {
                    "Sorted by " (label) (if desc { " ↓" } else { " ↑" })
                    a.remove href=(ViewState { sort: without.clone(), ..view.clone() }.url(path, ""))
                        aria-label={"Remove sort by " (label)} { "×" }
                }
            }
        }
        (builder(obj, view, path))
        @if d.rows.is_empty() && view.filter.is_empty() && view.after.is_empty() {
            p.empty { "No " (obj.label.to_lowercase()) " yet. Add one with “+ New”, or "
                a href={"/import?object=" (obj.key)} { "import a CSV file" } "." }
        } @else if d.rows.is_empty() {
            p.empty { "No records match these filters." }
        } @else {
            form #bulk method="post" action={(path) "/bulk"} {
                (d.chrome.token_field())
                input type="hidden" name="back" value=(here);
                input type="hidden" name="filter" value=(view.filter);
                div.table-wrap {
                    table.records {
                        thead { tr {
                            th.select { input type="checkbox" aria-label="Select all on this page" data-select-all; }
                            @for f in &d.columns {
                                th scope="col" {
                                    a href=(ViewState { sort: filters::add_sort("", &f.key, view.sort == f.key), ..view.clone() }.url(path, ""))
                                        title={"Sort by " (f.label)} { (f.label) }
                                }
                            }
                        } }
                        tbody {
                            @for (id, name, cells) in &d.rows {
                                tr data-record=(id) {
                                    td.select { input type="checkbox" name="ids" value=(id) aria-label={"Select " (name)}; }
                                    @for (i, (f, c)) in d.columns.iter().zip(cells).enumerate() {
                                        td data-label=(f.label) data-field=(f.key) data-edit=[f.computed.is_none().then(|| edit_text(c))] class=[numeric(f)] {
                                            @if i == 0 { a.name href={"/r/" (id)} { (if name.is_empty() { "(no name)" } else { name }) } }
                                            @else { (display(f, c)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                (bulk_bar(d))
            }
        }
        nav.pager aria-label="Pages" {
            @if !view.after.is_empty() { a href=(view.url(path, "")) { "« First page" } }
            @if let Some(next) = &d.next { a href=(view.url(path, next)) rel="next" { "Next page »" } }
        }
    }
}

/// Numbers line up on the right.
fn numeric(f: &FieldDef) -> Option<&'static str> {
    matches!(f.kind, FieldKind::Number | FieldKind::Currency | FieldKind::Percent).then_some("right")
}

fn builder(obj: &ObjectDef, view: &ViewState, path: &str) -> Markup {
    html! {
        details.builder {
            summary { "Filter and sort" }
            form.filter-builder method="get" action=(path) {
                input type="hidden" name="filter" value=(view.filter);
                input type="hidden" name="sort" value=(view.sort);
                input type="hidden" name="columns" value=(view.columns);
                label { "Field " select name="add_field" { @for f in obj.active_fields() { option value=(f.key) { (f.label) } } } }
                label { "Condition " select name="add_op" { @for (op, words) in OPERATORS { option value=(op) { (words) } } } }
                label { "Value " input type="text" name="add_value"; }
                button type="submit" { "Add filter" }
            }
            form.sort-builder method="get" action=(path) {
                input type="hidden" name="filter" value=(view.filter);
                input type="hidden" name="sort" value=(view.sort);
                input type="hidden" name="columns" value=(view.columns);
                label { "Sort by " select name="sort_field" { @for f in obj.active_fields() { option value=(f.key) { (f.label) } } } }
                label { "Order " select name="sort_dir" { option value="asc" { "ascending" } option value="desc" { "descending" } } }
                button type="submit" { "Add sort" }
            }
            form.filter-text method="get" action=(path) {
                label { "Filter text " input type="text" name="filter" value=(view.filter) placeholder="stage = Won and amount >= 10000"; }
                input type="hidden" name="sort" value=(view.sort);
                input type="hidden" name="columns" value=(view.columns);
                button type="submit" { "Apply" }
            }
        }
    }
}

fn bulk_bar(d: &TableData) -> Markup {
    html! {
        fieldset.bulk {
            legend { "Change the selected records" }
            label { "Field " select name="field" { @for f in d.object.active_fields() { option value=(f.key) { (f.label) } } } }
            label { "New value " input type="text" name="value"; }
            button type="submit" name="scope" value="selected" { "Apply to selected" }
            button.secondary type="submit" name="scope" value="all" { "Apply to all " (d.count) " matching" }
        }
    }
}

fn new_form(d: &TableData, path: &str) -> Markup {
    html! {
        form.record-form method="post" action={(path) "/new"} {
            (d.chrome.token_field())
            // Computed fields get their values once the record exists.
            @for f in d.object.active_fields().filter(|f| f.computed.is_none()) {
                div.field {
                    label for={"f-" (f.key)} { (f.label) @if f.required { " *" } }
                    (input(f, None, None))
                }
            }
            button type="submit" { "Create" }
        }
    }
}

/// The `(field key, text)` inputs of a record form, multi-values joined per field.
pub(crate) fn record_inputs(obj: &ObjectDef, form: &FormPairs) -> Vec<(String, String)> {
    obj.active_fields()
        // Computed fields are derived, never written (their form input is read-only).
        .filter(|f| f.computed.is_none())
        .filter_map(|f| {
            let values = form.all(&f.key);
            if values.is_empty() && f.kind != FieldKind::MultiSelect {
                return None;
            }
            Some((f.key.clone(), form_value(f, &values)))
        })
        .collect()
}

/// POST /o/{object}/new: creates a record from the form and opens it.
pub(crate) async fn create(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    form: FormPairs,
) -> Result<Redirect, WebError> {
    let (id, undo) = state
        .ws
        .call(move |ws| -> Result<(String, Option<Undo>), WebError> {
            let obj = ws
                .object_named(&key)
                .map_err(|_| WebError::NotFound(format!("object '{key}'")))?
                .clone();
            let inputs: Vec<(String, String)> = record_inputs(&obj, &form)
                .into_iter()
                .filter(|(_, v)| !v.trim().is_empty() && v != "false")
                .collect();
            // The same operation as `POST /api/objects/{object}/records` and `kith record add`.
            let request = crate::app::records::AddRequest {
                object: obj.key,
                values: inputs,
            };
            let added = crate::app::records::add(ws, &request)?;
            Ok((added.id, added.undo.as_deref().and_then(Undo::decode)))
        })
        .await??;
    Ok(redirect_with(&format!("/r/{id}"), "Record created", undo.as_ref()))
}

/// POST /o/{object}/bulk: sets one field on the selected records (or on every record
/// matching the filter) as one change group.
pub(crate) async fn bulk_edit(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    form: FormPairs,
) -> Result<Redirect, WebError> {
    let back = super::undo::safe_back(form.get("back"));
    let request = BulkRequest {
        object: key,
        filters: match form.get("scope") {
            Some("all") => form.get("filter").map(str::to_string).into_iter().collect(),
            _ => Vec::new(),
        },
        ids: match form.get("scope") {
            Some("all") => Vec::new(),
            _ => form.all("ids").iter().map(|s| s.to_string()).collect(),
        },
        set: vec![(
            form.require("field")?.to_string(),
            form.get("value").unwrap_or_default().to_string(),
        )],
    };
    if form.get("scope") != Some("all") && request.ids.is_empty() {
        return Err(WebError::BadRequest("select some records first".into()));
    }
    // The same operation as `POST /api/objects/{object}/bulk` and `kith record update
    // --object`.
    let done = state.ws.call(move |ws| bulk_update(ws, &request)).await??;
    let undo = done.group.as_deref().and_then(|g| Undo::decode(&format!("group:{g}")));
    Ok(redirect_with(
        &back,
        &format!("{} records changed", done.records),
        undo.as_ref(),
    ))
}

/// GET /o/{object}/export.csv?filter=&sort=&columns=: the records of the table as shown
/// (every record without a filter), in its order, with its chosen columns (none: every
/// active field), as `kith export` writes them; streamed.
pub(crate) async fn export_csv(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let view = ViewState::from_pairs(&query_pairs(raw.as_deref()));
    // The same operation as `kith export --filter --sort` and `GET /api/…/export`.
    let request = ExportRequest {
        object: key.clone(),
        filters: vec![view.filter],
        sort: Some(view.sort),
        // The table's chosen columns (none: every active field, as before).
        columns: view
            .columns
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect(),
        format: ExportFormat::Csv,
    };
    super::export::stream_export(&state, request, Some(key)).await
}
