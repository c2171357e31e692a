//! Saved views: a name for a table or board state (object, filter, sort, board field).
//!
//! Storage lives behind [`load`] and [`save`] only, so it can move onto the synced view
//! documents kith-core is getting (configuration documents of kind `view`). Until then a
//! view is kept in this device's workspace file (a setting), so it does not sync yet.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Redirect;
use kith_core::Workspace;
use serde::{Deserialize, Serialize};

use super::form::{FormPairs, to_query};
use super::undo::{redirect_with, safe_back};
use super::{AppState, WebError};

/// The setting that holds the views (JSON).
const SETTING: &str = "ui.views";

/// One saved view.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct SavedView {
    pub(crate) id: String,
    pub(crate) name: String,
    /// The object's key.
    pub(crate) object: String,
    /// `table` or `board`.
    pub(crate) kind: String,
    pub(crate) filter: String,
    pub(crate) sort: String,
    /// The board's select field (boards only).
    pub(crate) field: String,
}

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
            ("view", &self.id),
        ]);
        format!("{path}?{q}")
    }
}

/// Every saved view, in the order they were saved.
pub(crate) fn load(ws: &Workspace) -> Vec<SavedView> {
    ws.setting(SETTING)
        .ok()
        .flatten()
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

fn save(ws: &mut Workspace, views: &[SavedView]) -> Result<(), WebError> {
    let json = serde_json::to_string(views).map_err(|e| WebError::BadRequest(e.to_string()))?;
    ws.set_setting(SETTING, &json)?;
    Ok(())
}

/// POST /views: `name`, `object`, `kind`, `filter`, `sort`, `field`; replaces a view of
/// the same name and object.
pub(crate) async fn create(State(state): State<Arc<AppState>>, form: FormPairs) -> Result<Redirect, WebError> {
    let get = |k: &str| form.get(k).unwrap_or_default().trim().to_string();
    let name = get("name");
    if name.is_empty() {
        return Err(WebError::BadRequest("give the view a name".into()));
    }
    let kind = if get("kind") == "board" { "board" } else { "table" };
    let view = SavedView {
        id: uuid::Uuid::new_v4().simple().to_string()[..12].to_string(),
        name,
        object: get("object"),
        kind: kind.into(),
        filter: get("filter"),
        sort: get("sort"),
        field: get("field"),
    };
    let saved = view.clone();
    state
        .ws
        .call(move |ws| -> Result<(), WebError> {
            ws.object_named(&saved.object).map_err(kith_core::Error::from)?;
            let mut views = load(ws);
            views.retain(|v| !(v.name == saved.name && v.object == saved.object));
            views.push(saved);
            save(ws, &views)
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
    let name = state
        .ws
        .call(move |ws| -> Result<String, WebError> {
            let mut views = load(ws);
            let at = views
                .iter()
                .position(|v| v.id == id)
                .ok_or_else(|| WebError::NotFound(format!("view {id}")))?;
            let gone = views.remove(at);
            save(ws, &views)?;
            Ok(gone.name)
        })
        .await??;
    Ok(redirect_with(&back, &format!("View “{name}” deleted"), None))
}
