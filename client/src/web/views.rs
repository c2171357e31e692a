//! Saved views: a name for a table or board state (object, filter, sort, board field).
//!
//! Each view is a configuration document of kind `view` (kith-core), so views sync to
//! every device like records do. A view with an `owner` is that user's own and shows only
//! in their sidebar; one without is shared with the workspace. Deleting a view archives
//! its document; the toast's Undo reverts that change. Views kept by older versions in this
//! device's `ui.views` setting move into documents once, when the UI starts.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Redirect;
use kith_core::{ConfigContent, DocId, DocKind, Workspace};
use serde::{Deserialize, Serialize};

use super::form::{FormPairs, to_query};
use super::undo::{Undo, redirect_with, safe_back};
use super::{AppState, WebError};

/// The setting older versions kept the views in (JSON), migrated by [`migrate`].
const LEGACY_SETTING: &str = "ui.views";

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
    /// The user whose own view it is; None: shared with the workspace.
    #[serde(default)]
    pub(crate) owner: Option<String>,
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

    fn from_doc(doc: ConfigContent) -> Self {
        let get = |k: &str| doc.content.get(k).cloned().unwrap_or_default();
        SavedView {
            id: doc.id.to_string(),
            name: doc.name.clone(),
            object: get("object"),
            kind: if get("kind") == "board" {
                "board".into()
            } else {
                "table".into()
            },
            filter: get("filter"),
            sort: get("sort"),
            field: get("field"),
            owner: doc.content.get("owner").cloned(),
        }
    }

    /// The document's content (everything but the name).
    fn content(&self) -> Vec<(&str, &str)> {
        let mut pairs = vec![
            ("object", self.object.as_str()),
            ("kind", self.kind.as_str()),
            ("filter", self.filter.as_str()),
            ("sort", self.sort.as_str()),
            ("field", self.field.as_str()),
        ];
        if let Some(owner) = &self.owner {
            pairs.push(("owner", owner.as_str()));
        }
        pairs
    }
}

/// The views this device's user sees: shared ones and their own, not archived, in the
/// order they were saved.
pub(crate) fn load(ws: &Workspace) -> Vec<SavedView> {
    let user = ws.device().user.clone();
    ws.config_contents(&DocKind::View)
        .unwrap_or_default()
        .into_iter()
        .filter(|d| !d.archived)
        .map(SavedView::from_doc)
        .filter(|v| v.owner.as_ref().is_none_or(|o| *o == user))
        .collect()
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

/// POST /views: `name`, `object`, `kind`, `filter`, `sort`, `field`, `mine` (a view of
/// the user's own; else shared); updates a view of the same name and object.
pub(crate) async fn create(State(state): State<Arc<AppState>>, form: FormPairs) -> Result<Redirect, WebError> {
    let get = |k: &str| form.get(k).unwrap_or_default().trim().to_string();
    let name = get("name");
    if name.is_empty() {
        return Err(WebError::BadRequest("give the view a name".into()));
    }
    let kind = if get("kind") == "board" { "board" } else { "table" };
    let mine = !get("mine").is_empty();
    let draft = SavedView {
        id: String::new(),
        name,
        object: get("object"),
        kind: kind.into(),
        filter: get("filter"),
        sort: get("sort"),
        field: get("field"),
        owner: None,
    };
    let view = state
        .ws
        .call(move |ws| -> Result<SavedView, WebError> {
            ws.object_named(&draft.object).map_err(kith_core::Error::from)?;
            let mut view = draft;
            view.owner = mine.then(|| ws.device().user.clone());
            let same = load(ws)
                .into_iter()
                .find(|v| v.name == view.name && v.object == view.object);
            match same {
                Some(old) => {
                    let id = parse_id(&old.id)?;
                    let mut content: Vec<(&str, Option<&str>)> =
                        view.content().into_iter().map(|(k, v)| (k, Some(v))).collect();
                    if view.owner.is_none() {
                        content.push(("owner", None));
                    }
                    ws.update_config_doc(id, None, &content)?;
                    view.id = old.id;
                }
                None => {
                    view.id = ws
                        .create_config_doc_with(DocKind::View, &view.name, &view.content())?
                        .to_string()
                }
            }
            Ok(view)
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
    let (name, undo) = state
        .ws
        .call(move |ws| -> Result<(String, Option<Undo>), WebError> {
            let gone = load(ws)
                .into_iter()
                .find(|v| v.id == id)
                .ok_or_else(|| WebError::NotFound(format!("view {id}")))?;
            let change = ws.archive_config_doc(parse_id(&gone.id)?, true)?;
            Ok((gone.name, change.map(Undo::Change)))
        })
        .await??;
    Ok(redirect_with(&back, &format!("View “{name}” deleted"), undo.as_ref()))
}

fn parse_id(id: &str) -> Result<DocId, WebError> {
    id.parse().map_err(|_| WebError::NotFound(format!("view {id}")))
}
