//! The smaller pages: home, search, trash, conflicts and sync state.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use kith_core::{RecordId, Workspace};
use maud::html;

use super::form::query_pairs;
use super::layout::{Active, Chrome, page};
use super::undo::Toast;
use super::{AppState, WebError};

/// Search results shown at most.
pub(crate) const SEARCH_LIMIT: usize = 20;

/// GET /: the first object's table.
pub(crate) async fn home(State(state): State<Arc<AppState>>) -> Result<Redirect, WebError> {
    let first = state
        .ws
        .call(|ws| ws.schema().active_objects().next().map(|o| o.key.clone()))
        .await?;
    Ok(Redirect::to(
        &first.map_or_else(|| "/schema".to_string(), |k| format!("/o/{k}")),
    ))
}

/// Search hits as (record, name, object label).
pub(crate) fn search_hits(ws: &Workspace, q: &str) -> Vec<(RecordId, String, String)> {
    if q.trim().is_empty() {
        return Vec::new();
    }
    ws.search(q, None, SEARCH_LIMIT)
        .unwrap_or_default()
        .into_iter()
        .map(|h| {
            let label = ws
                .schema()
                .object(h.object)
                .map(|o| o.label.clone())
                .unwrap_or_default();
            (h.record, ws.record_name(h.record), label)
        })
        .collect()
}

fn param(raw: &Option<String>, name: &str) -> String {
    query_pairs(raw.as_deref())
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_default()
}

/// GET /search?q=
pub(crate) async fn search(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Result<Response, WebError> {
    let q = param(&raw, "q");
    let token = state.session();
    let text = q.clone();
    let (chrome, hits) = state
        .ws
        .call(move |ws| (Chrome::read(ws, &token), search_hits(ws, &text)))
        .await?;
    let body = html! {
        h1 { "Search" }
        form method="get" action="/search" {
            label { "Words " input type="search" name="q" value=(q); }
            button type="submit" { "Search" }
        }
        @if !q.is_empty() && hits.is_empty() { p.empty { "Nothing matches “" (q) "”." } }
        ul.hits { @for (id, name, object) in &hits { li { a href={"/r/" (id)} { (name) } " " span.muted { (object) } } } }
    };
    Ok(page(&chrome, "Search", Active::Search, None, body).into_response())
}

/// GET /trash
pub(crate) async fn trash(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Result<Response, WebError> {
    let token = state.session();
    let (chrome, records) = state
        .ws
        .call(move |ws| -> Result<_, WebError> {
            let records: Vec<(RecordId, String, String)> = ws
                .trash(None, 200)?
                .into_iter()
                .map(|r| (r.id, ws.record_name(r.id), r.object_key))
                .collect();
            Ok((Chrome::read(ws, &token), records))
        })
        .await??;
    let toast = Toast::from_query(&query_pairs(raw.as_deref()), "/trash");
    let body = html! {
        h1 { "Trash" }
        @if records.is_empty() {
            p.empty { "The trash is empty. Deleted records wait here, with their history, until you restore them." }
        } @else {
            table.records { thead { tr { th { "Record" } th { "Object" } th { "" } } } tbody {
                @for (id, name, object) in &records {
                    tr { td { a href={"/r/" (id)} { (name) } } td { (object) } td {
                        form method="post" action={"/r/" (id) "/restore"} { (chrome.token_field()) button type="submit" { "Restore" } }
                    } }
                }
            } }
        }
    };
    Ok(page(&chrome, "Trash", Active::Trash, toast.as_ref(), body).into_response())
}

/// GET /conflicts
pub(crate) async fn conflicts(State(state): State<Arc<AppState>>) -> Result<Response, WebError> {
    let token = state.session();
    let (chrome, list, breaks) = state
        .ws
        .call(move |ws| -> Result<_, WebError> {
            Ok((Chrome::read(ws, &token), ws.conflicts(None)?, ws.rule_breaks(None)?))
        })
        .await??;
    let body = html! {
        h1 { "Conflicts" }
        @if !breaks.is_empty() {
            section.rule-breaks aria-label="Records that break a rule" {
                h2 { "Records that break a validation rule" }
                p.muted { "Edits merged from devices that were offline, each valid on its own. Edit the record to settle it." }
                table.records { thead { tr { th { "Record" } th { "Rule" } th { "Fields" } } } tbody {
                    @for b in &breaks {
                        tr { td { a href={"/r/" (b.record)} { (b.record_name) } } td { (b.message) } td { (b.fields.join(", ")) } }
                    }
                } }
            }
        }
        @if list.is_empty() {
            p.empty { "No conflicts. When edits made on two devices at once leave a field with competing values, it is listed here to settle." }
        } @else {
            table.records { thead { tr { th { "Record" } th { "Field" } th { "Competing values" } } } tbody {
                @for c in &list {
                    tr { td { a href={"/r/" (c.record)} { (c.record_name) } } td { (c.field_label) }
                        td { @for v in &c.values { span.chip { (v.display) " (" (v.author) ")" } " " } } }
                }
            } }
        }
    };
    Ok(page(&chrome, "Conflicts", Active::Conflicts, None, body).into_response())
}

/// GET /sync: the relay, pending changes, last sync, search backlog.
pub(crate) async fn sync(State(state): State<Arc<AppState>>, RawQuery(raw): RawQuery) -> Result<Response, WebError> {
    let token = state.session();
    let (chrome, local) = state
        .ws
        .call(move |ws| (Chrome::read(ws, &token), crate::sync::local_state(ws).ok()))
        .await?;
    let connector = state.sync.lock().map(|s| s.clone()).unwrap_or_default();
    let toast = Toast::from_query(&query_pairs(raw.as_deref()), "/sync");
    let body = html! {
        h1 { "Sync" }
        @match &local {
            None => p.error { "The sync state could not be read." },
            Some(l) => dl.facts {
                dt { "Relay" } dd { (l.remote.as_ref().map_or("none: this workspace is local only".to_string(), |r| r.url.clone())) }
                dt { "Connection" } dd {
                    @if !connector.running { "not running (no relay set)" }
                    @else if connector.last.is_empty() { "connecting…" }
                    @else { (connector.last) }
                }
                dt { "Changes waiting to be sent" } dd { (l.pending) }
                dt { "Last sync" } dd { @match l.last_sync_ms { Some(ms) => (super::layout::moment(ms)), None => "never" } }
                dt { "Records not yet in the search index" } dd { (l.search_backlog) }
            },
        }
        form.set-remote method="post" action="/sync/remote" {
            (chrome.token_field())
            h2 { @if local.as_ref().is_some_and(|l| l.remote.is_some()) { "Connect to another relay" } @else { "Connect to a relay" } }
            label { "Relay address " input type="url" name="url" required placeholder="https://relay.example:7070"; }
            label { "Token " input type="password" name="token" required autocomplete="off"; }
            button type="submit" { "Connect" }
        }
    };
    Ok(page(&chrome, "Sync", Active::Sync, toast.as_ref(), body).into_response())
}

/// POST /sync/remote: `url` and `token`; saved as `kith remote set` saves them, and the
/// connector starts (or restarts) with them.
pub(crate) async fn set_remote(
    State(state): State<Arc<AppState>>,
    form: super::form::FormPairs,
) -> Result<axum::response::Redirect, WebError> {
    let remote = crate::sync::Remote::new(form.require("url")?.trim(), form.require("token")?.trim())
        .map_err(|e| WebError::BadRequest(e.to_string()))?;
    state
        .ws
        .call(move |ws| remote.save(ws).map_err(|e| WebError::BadRequest(e.to_string())))
        .await??;
    state.relay_set.notify_one();
    Ok(super::undo::redirect_with("/sync", "Relay saved: connecting", None))
}
