//! The kanban board: one column per option of a select field (in option order and
//! colour), each with its card count and per-currency sums of a currency field. Moving
//! a card is a field edit with undo: by drag and drop (script) or by the card's menu.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use kith_core::{FieldDef, FieldKind, NumberFormat, ObjectDef, OptionId, RecordId, Value, Workspace};
use maud::{Markup, html};

use super::fields::{color_class, money};
use super::form::{FormPairs, query_pairs, to_query};
use super::layout::{Active, Chrome, Session, page, view_menu};
use super::record::parse_id;
use super::undo::{Toast, Undo, redirect_with, safe_back};
use super::views::SavedView;
use super::{AppState, WebError};

/// Cards shown per column (the count and sums cover every card).
const CARDS_PER_COLUMN: usize = 50;

struct Column {
    option: Option<(OptionId, String, String)>,
    count: u64,
    sums: BTreeMap<String, kith_core::Decimal>,
    cards: Vec<(RecordId, String, String)>,
}

struct Board {
    chrome: Chrome,
    object: ObjectDef,
    field: FieldDef,
    sum_field: Option<FieldDef>,
    columns: Vec<Column>,
    /// The workspace's number format: sums and amounts are shown grouped in it.
    format: NumberFormat,
}

fn read_board(
    ws: &Workspace,
    token: &Session,
    key: &str,
    field: Option<&str>,
    sum: Option<&str>,
    filter: &str,
) -> Result<Board, WebError> {
    let object = ws
        .object_named(key)
        .map_err(|_| WebError::NotFound(format!("object '{key}'")))?
        .clone();
    let selects: Vec<&FieldDef> = object.active_fields().filter(|f| f.kind == FieldKind::Select).collect();
    let field = field
        .and_then(|n| selects.iter().find(|f| f.key == n).copied())
        .or_else(|| selects.first().copied())
        .cloned()
        .ok_or_else(|| WebError::BadRequest(format!("{} has no select field to make a board of", object.label)))?;
    let sum_field = sum
        .and_then(|n| object.find_field(n))
        .or_else(|| object.active_fields().find(|f| f.kind == FieldKind::Currency))
        .filter(|f| f.kind == FieldKind::Currency)
        .cloned();
    let options: Vec<_> = field.options.iter().filter(|o| !o.archived).collect();
    let mut columns: Vec<Column> = std::iter::once(None)
        .chain(options.iter().map(|o| Some((o.id, o.label.clone(), o.color.clone()))))
        .map(|option| Column {
            option,
            count: 0,
            sums: BTreeMap::new(),
            cards: Vec::new(),
        })
        .collect();
    let detail = object
        .active_fields()
        .find(|f| {
            f.id != field.id && Some(f.id) != object.display_field().map(|d| d.id) && f.kind != FieldKind::LongText
        })
        .cloned();
    let mut cards: Vec<(usize, RecordId)> = Vec::new();
    let only = matching(ws, &object, filter)?;
    ws.for_each_row(object.id, |id, row| {
        if only.as_ref().is_some_and(|ids| !ids.contains(&id)) {
            return;
        }
        let at = match ws.cell(&field, row).value {
            Some(Value::Option(o)) => columns
                .iter()
                .position(|c| c.option.as_ref().is_some_and(|(id, _, _)| *id == o))
                .unwrap_or(0),
            _ => 0,
        };
        let column = &mut columns[at];
        column.count += 1;
        if let Some(sf) = &sum_field
            && let Some(Value::Currency(m)) = ws.cell(sf, row).value
        {
            let sum = column.sums.entry(m.code.clone()).or_default();
            // Exact decimals; a sum past ±7.9e28 keeps its last exact value.
            *sum = sum.checked_add(m.amount).unwrap_or(*sum);
        }
        if column.cards.len() < CARDS_PER_COLUMN {
            column.cards.push((id, String::new(), String::new()));
            cards.push((at, id));
        }
    })?;
    for column in &mut columns {
        for card in &mut column.cards {
            card.1 = ws.record_name(card.0);
            if let (Some(f), Ok(row)) = (&detail, ws.row(card.0)) {
                card.2 = card_detail(ws, f, &row);
            }
        }
    }
    // The "no value" column only when it has cards.
    if columns[0].count == 0 {
        columns.remove(0);
    }
    Ok(Board {
        chrome: Chrome::read(ws, token),
        object,
        field,
        sum_field,
        columns,
        format: ws.number_format(),
    })
}

/// A card's second line: the detail field's value, amounts and numbers with their
/// thousands grouped in the workspace's number format (it reads back as typed).
fn card_detail(ws: &Workspace, field: &FieldDef, row: &kith_core::Row) -> String {
    let format = ws.number_format();
    let cell = ws.cell(field, row);
    match &cell.value {
        Some(Value::Currency(m)) => money(m, &format),
        Some(Value::Number(_)) if field.kind == FieldKind::Number => {
            // The display is the number in the format without grouping; group its digits.
            format.grouped(&cell.display.replace(format.decimal, "."))
        }
        _ => cell.display,
    }
}

/// The records a board's filter keeps (`None`: no filter, every record).
fn matching(ws: &Workspace, object: &ObjectDef, filter: &str) -> Result<Option<HashSet<RecordId>>, WebError> {
    if filter.trim().is_empty() {
        return Ok(None);
    }
    let mut query = kith_core::Query::new(object.id);
    query.filter = Some(ws.parse_filter(object.id, filter)?);
    query.limit = 1_000;
    let mut ids = HashSet::new();
    loop {
        let page = ws.query(&query)?;
        ids.extend(page.ids);
        match page.next {
            Some(next) => query.after = Some(next),
            None => return Ok(Some(ids)),
        }
    }
}

/// GET /o/{object}/board?field=KEY&sum=KEY&filter=TEXT
pub(crate) async fn board(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let pairs = query_pairs(raw.as_deref());
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let (field, sum) = (get("field"), get("sum"));
    let filter = get("filter").unwrap_or_default();
    let shown_filter = filter.clone();
    let token = state.session();
    let k = key.clone();
    let b = state
        .ws
        .call(move |ws| read_board(ws, &token, &k, field.as_deref(), sum.as_deref(), &filter))
        .await??;
    let here = format!(
        "/o/{key}/board?{}",
        to_query(&[("field", &b.field.key), ("filter", &shown_filter)])
    );
    let toast = Toast::from_query(&pairs, &here);
    let saved = get("view").and_then(|id| b.chrome.views.iter().find(|v| v.id == id).cloned());
    let body = render(&b, &key, &here, saved.as_ref(), &shown_filter);
    Ok(page(
        &b.chrome,
        &format!("{} board", b.object.label),
        Active::Object(b.object.id),
        toast.as_ref(),
        body,
    )
    .into_response())
}

fn render(b: &Board, key: &str, here: &str, saved: Option<&SavedView>, filter: &str) -> Markup {
    let options: Vec<&(OptionId, String, String)> = b.columns.iter().filter_map(|c| c.option.as_ref()).collect();
    html! {
        header.page-head {
            h1 { (b.object.label) @if let Some(v) = saved { span.view-name { " · " (v.name) } } }
            nav.view-switch aria-label="View type" {
                a href={"/o/" (key) "?" (to_query(&[("filter", filter)]))} { "Table" }
                a href=(here) aria-current="page" { "Board" }
            }
            form.board-field method="get" action={"/o/" (key) "/board"} {
                input type="hidden" name="filter" value=(filter);
                label { "Columns by " select name="field" data-autosubmit {
                    @for f in b.object.active_fields().filter(|f| f.kind == FieldKind::Select) {
                        option value=(f.key) selected[f.id == b.field.id] { (f.label) }
                    }
                } }
                noscript { button type="submit" { "Show" } }
            }
            (view_menu(&b.chrome, key, "board", [("filter", filter), ("sort", ""), ("field", &b.field.key), ("columns", "")], saved, &format!("/o/{key}/board")))
        }
        div.board data-field=(b.field.key) {
            @for c in &b.columns {
                @let label = c.option.as_ref().map_or("(none)", |(_, l, _)| l.as_str());
                section.column data-option=(label) aria-label=(label) {
                    header {
                        @if let Some((_, l, color)) = &c.option { span class=(color_class(color)) { (l) } } @else { span.pill.gray { "(none)" } }
                        span.count { (c.count) }
                        @if b.sum_field.is_some() {
                            @for (code, total) in &c.sums { span.sum { (money(&kith_core::Money { amount: *total, code: code.clone() }, &b.format)) } }
                        }
                    }
                    ol.cards {
                        @for (id, name, detail) in &c.cards {
                            li.card draggable="true" data-record=(id) {
                                a href={"/r/" (id)} { (name) }
                                @if !detail.is_empty() { span.detail { (detail) } }
                                form.move method="post" action={"/r/" (id) "/move"} {
                                    (b.chrome.token_field())
                                    input type="hidden" name="field" value=(b.field.key);
                                    input type="hidden" name="back" value=(here);
                                    label.visually-hidden for={"move-" (id)} { "Move " (name) " to" }
                                    select id={"move-" (id)} name="option" {
                                        @for (_, l, _) in &options { option value=(l) selected[l == label] { (l) } }
                                    }
                                    button.small type="submit" { "Move" }
                                }
                            }
                        }
                    }
                    @if (c.cards.len() as u64) < c.count { p.more { "+ " (c.count - c.cards.len() as u64) " more" } }
                }
            }
        }
    }
}

/// POST /r/{record}/move: `field` (a select field's key) and `option` (a label).
pub(crate) async fn move_card(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    form: FormPairs,
) -> Result<Redirect, WebError> {
    let id = parse_id(&id)?;
    let back = safe_back(form.get("back"));
    let field = form.require("field")?.to_string();
    let option = form.require("option")?.to_string();
    let label = option.clone();
    let (name, undo) = state
        .ws
        .call(move |ws| -> Result<_, WebError> {
            // A card move is a record update: the same operation as `PATCH
            // /api/records/{id}` and `kith record update`.
            let request = crate::app::records::UpdateRequest {
                id: id.to_string(),
                values: vec![(field, option)],
                skip_unchanged: true,
            };
            let changed = crate::app::records::update(ws, &request)?;
            Ok((ws.record_name(id), changed.undo.as_deref().and_then(Undo::decode)))
        })
        .await??;
    Ok(redirect_with(&back, &format!("{name} moved to {label}"), undo.as_ref()))
}
