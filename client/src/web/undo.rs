//! Undo after every action. A handler that changes something redirects to a page with
//! `done=<what happened>&undo=<how to take it back>` in the URL; the page shows a toast
//! with an Undo button that posts the `undo` spec here. Each spec reverts exactly the
//! change or change group the action made, through the workspace's revert APIs.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Redirect;
use kith_core::{GroupId, RecordId, Workspace};
use maud::{Markup, html};

use super::form::{FormPairs, to_query};
use super::layout::Chrome;
use super::{AppState, WebError};
use crate::app::AppError;
use crate::app::records::{self, RecordRequest, RestoreRequest};
use crate::app::revert::{RevertRequest, revert as app_revert};

/// How to take one action back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Undo {
    /// Revert one change (a record edit, a card move, a schema change).
    Change(String),
    /// Revert a change group (a bulk edit, an import, a revert).
    Group(GroupId),
    /// Take a deleted record out of the trash.
    Restore(RecordId),
    /// Put a record (back) in the trash: undoes a restore or a create.
    Delete(RecordId),
}

impl Undo {
    pub(crate) fn encode(&self) -> String {
        match self {
            Undo::Change(hash) => format!("change:{hash}"),
            Undo::Group(g) => format!("group:{g}"),
            Undo::Restore(r) => format!("restore:{r}"),
            Undo::Delete(r) => format!("delete:{r}"),
        }
    }

    pub(crate) fn decode(text: &str) -> Option<Undo> {
        let (kind, arg) = text.split_once(':')?;
        match kind {
            "change" if !arg.is_empty() && arg.chars().all(|c| c.is_ascii_hexdigit()) => {
                Some(Undo::Change(arg.to_string()))
            }
            "group" => arg.parse().ok().map(Undo::Group),
            "restore" => arg.parse().ok().map(Undo::Restore),
            "delete" => arg.parse().ok().map(Undo::Delete),
            _ => None,
        }
    }

    /// Carries the undo out through the same operations as `/api/revert`,
    /// `/api/records/{id}/restore` and `/delete` (`crate::app`); returns how to undo the
    /// undo (redo), when there is one.
    fn apply(&self, ws: &mut Workspace) -> Result<Option<Undo>, AppError> {
        let revert = |ws: &mut Workspace, request: RevertRequest| -> Result<Option<Undo>, AppError> {
            let done = app_revert(ws, &request)?;
            Ok(Undo::decode(&format!("group:{}", done.group)))
        };
        let redo = match self {
            Undo::Change(hash) => {
                return revert(
                    ws,
                    RevertRequest {
                        change: Some(hash.clone()),
                        ..RevertRequest::default()
                    },
                );
            }
            Undo::Group(g) => {
                return revert(
                    ws,
                    RevertRequest {
                        group: Some(g.to_string()),
                        ..RevertRequest::default()
                    },
                );
            }
            Undo::Restore(r) => records::restore(
                ws,
                &RestoreRequest {
                    id: r.to_string(),
                    set: Vec::new(),
                },
            )?,
            Undo::Delete(r) => records::delete(ws, &RecordRequest { id: r.to_string() })?,
        };
        Ok(redo.undo.as_deref().and_then(Undo::decode))
    }
}

/// The message and undo spec a page shows after an action.
#[derive(Debug, Clone)]
pub(crate) struct Toast {
    pub(crate) message: String,
    pub(crate) undo: Option<Undo>,
    /// The page the toast is on (where Undo comes back to).
    pub(crate) back: String,
}

impl Toast {
    /// Reads `done` and `undo` from a page's query pairs.
    pub(crate) fn from_query(pairs: &[(String, String)], back: &str) -> Option<Toast> {
        let message = pairs.iter().find(|(k, _)| k == "done")?.1.clone();
        let undo = pairs
            .iter()
            .find(|(k, _)| k == "undo")
            .and_then(|(_, v)| Undo::decode(v));
        Some(Toast {
            message,
            undo,
            back: back.to_string(),
        })
    }

    pub(crate) fn render(&self, chrome: &Chrome) -> Markup {
        html! {
            div.toast role="status" aria-live="polite" {
                span { (self.message) }
                @if let Some(undo) = &self.undo {
                    form method="post" action="/undo" {
                        (chrome.token_field())
                        input type="hidden" name="undo" value=(undo.encode());
                        input type="hidden" name="back" value=(self.back);
                        button.undo type="submit" title="Undo (Ctrl+Z)" { "Undo" }
                    }
                }
            }
        }
    }
}

/// `where` with the toast's parameters added (`where` may have a query already).
pub(crate) fn redirect_with(target: &str, message: &str, undo: Option<&Undo>) -> Redirect {
    let spec = undo.map(Undo::encode).unwrap_or_default();
    let query = to_query(&[("done", message), ("undo", &spec)]);
    let sep = if target.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{target}{sep}{query}"))
}

/// Keeps only local paths as redirect targets (no open redirects).
pub(crate) fn safe_back(back: Option<&str>) -> String {
    match back {
        Some(b) if b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') => strip_toast(b),
        _ => "/".to_string(),
    }
}

/// A URL without a previous toast's `done` / `undo` parameters.
fn strip_toast(url: &str) -> String {
    let Some((path, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let kept: Vec<(String, String)> = super::form::query_pairs(Some(query))
        .into_iter()
        .filter(|(k, _)| k != "done" && k != "undo")
        .collect();
    if kept.is_empty() {
        return path.to_string();
    }
    let refs: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    format!("{path}?{}", to_query(&refs))
}

/// POST /undo: `undo` (a spec) and `back` (the page to return to).
pub(crate) async fn undo(State(state): State<Arc<AppState>>, form: FormPairs) -> Result<Redirect, WebError> {
    let spec = form.require("undo")?;
    let undo = Undo::decode(spec).ok_or_else(|| WebError::BadRequest(format!("cannot undo '{spec}'")))?;
    let back = safe_back(form.get("back"));
    let redo = state.ws.call(move |ws| undo.apply(ws)).await??;
    Ok(redirect_with(&back, "Undone", redo.as_ref()))
}

/// POST /revert: `change` (a change hash) or `group`, from a history timeline.
pub(crate) async fn revert(State(state): State<Arc<AppState>>, form: FormPairs) -> Result<Redirect, WebError> {
    let undo = match (form.get("change"), form.get("group")) {
        (Some(c), _) => Undo::decode(&format!("change:{c}")),
        (None, Some(g)) => Undo::decode(&format!("group:{g}")),
        _ => None,
    }
    .ok_or_else(|| WebError::BadRequest("say which change to revert".into()))?;
    let back = safe_back(form.get("back"));
    let redo = state.ws.call(move |ws| undo.apply(ws)).await??;
    Ok(redirect_with(&back, "Change reverted", redo.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_undo_spec_reads_back_as_itself() {
        let r = RecordId::new();
        let g = GroupId::new();
        for u in [
            Undo::Change("abcdef0123".into()),
            Undo::Group(g),
            Undo::Restore(r),
            Undo::Delete(r),
        ] {
            assert_eq!(Undo::decode(&u.encode()), Some(u));
        }
        assert_eq!(Undo::decode("change:not hex"), None);
        assert_eq!(Undo::decode("nonsense"), None);
    }

    #[test]
    fn redirects_stay_on_this_server() {
        assert_eq!(safe_back(Some("https://evil.example/")), "/");
        assert_eq!(safe_back(Some("//evil.example/")), "/");
        assert_eq!(
            safe_back(Some("/o/deals?filter=x&done=Saved&undo=group:1")),
            "/o/deals?filter=x"
        );
    }
}
