//! Saved views: a name for a table or board state (object, filter, sort, board field,
//! table columns).
//!
//! Each view is a configuration document of kind `view` (kith-core), so views sync to
//! every device like records do. A view with an `owner` is that user's own and shows only
//! in their sidebar; one without is shared with the workspace. Deleting a view archives
//! its document; the toast's Undo reverts that change. Views kept by older versions in this
//! device's `ui.views` setting move into documents once, when the UI starts.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Redirect;
use kith_core::{DocKind, Workspace};

use super::form::{FormPairs, to_query};
use super::undo::{Undo, redirect_with, safe_back};
use super::{AppState, WebError};
use crate::app::views::{self, SaveViewRequest, ViewRequest};

/// The setting older versions kept the views in (JSON), migrated by [`migrate`].
const LEGACY_SETTING: &str = "ui.views";

pub(crate) use crate::app::views::SavedView;

impl SavedView {
    /// The address that shows this view.
    pub(crate) fn url(&self) -> String {
        let path = if self.kind == "board" {
            format!("/o/{}/board", self.object)
        } else {
            format!("/o/{}", self.object)
        };
        let q = to_query(&[
            ("filter", &self.filter),
            ("sort", &self.sort),
            ("field", &self.field),
            ("columns", &self.columns),
            ("view", &self.id),
        ]);
        format!("{path}?{q}")
    }
}

/// The views this device's user sees (the sidebar): the workspace's and their own, not
/// archived, in the order they were saved.
pub(crate) fn load(ws: &Workspace) -> Vec<SavedView> {
    views::visible(ws).unwrap_or_default()
}

/// Moves views kept in the legacy `ui.views` setting into view documents (shared), then
/// clears the setting; done once, the setting is gone afterwards.
pub(crate) fn migrate(ws: &mut Workspace) -> kith_core::Result<()> {
    let json = ws.setting(LEGACY_SETTING)?.unwrap_or_default();
    if json.is_empty() {
        return Ok(());
    }
    let legacy: Vec<SavedView> = serde_json::from_str(&json).unwrap_or_default();
    for view in legacy {
        ws.create_config_doc_with(DocKind::View, &view.name, &view.content())?;
    }
    ws.set_setting(LEGACY_SETTING, "")?;
    Ok(())
}

/// POST /views: `name`, `object`, `kind`, `filter`, `sort`, `field`, `columns`, `mine` (a view of
/// the user's own; else shared); updates a view of the same name and object.
pub(crate) async fn create(State(state): State<Arc<AppState>>, form: FormPairs) -> Result<Redirect, WebError> {
    let get = |k: &str| form.get(k).unwrap_or_default().trim().to_string();
    let request = SaveViewRequest {
        name: get("name"),
        object: get("object"),
        kind: if get("kind") == "board" { "board" } else { "table" }.into(),
        filter: get("filter"),
        sort: get("sort"),
        field: get("field"),
        columns: get("columns"),
        mine: !get("mine").is_empty(),
    };
    let view = state
        .ws
        .call(move |ws| -> Result<SavedView, WebError> {
            let done = views::save(ws, &request)?;
            Ok(views::find(ws, &done.id)?)
        })
        .await??;
    Ok(redirect_with(&view.url(), &format!("View “{}” saved", view.name), None))
}

/// POST /views/{id}/delete
pub(crate) async fn delete(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    form: FormPairs,
) -> Result<Redirect, WebError> {
    let back = safe_back(form.get("back"));
    let done = state
        .ws
        .call(move |ws| views::remove(ws, &ViewRequest { view: id }))
        .await??;
    let undo = done
        .undo
        .as_deref()
        .and_then(|u| u.strip_prefix("change:"))
        .map(|c| Undo::Change(c.to_string()));
    Ok(redirect_with(&back, &done.message, undo.as_ref()))
}
