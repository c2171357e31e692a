//! Saved views (`kith view …`, the sidebar and the table and board pages, `/api/views…`):
//! list, show, save, edit, remove and run. A view is a name for a table or board state
//! (object, filter, sort, board field, table columns); it is a configuration document of kind `view`
//! (kith-core stores its object and fields by id and answers with today's names), so it
//! syncs like records do. A view with an `owner` is that user's own and only they see it;
//! one without is the workspace's. Removing a view archives its document: the change's
//! undo brings it back. A view is named by its name (case-insensitive) or its id.

use kith_core::{ConfigChange, ConfigContent, DocId, DocKind, Workspace};
use serde::{Deserialize, Serialize};

use super::records::{self, ListRequest, RecordPage};
use super::reports::last_change;
use super::{AppError, Changed};

/// A view as every answer shows it: `{"id", "name", "object", "kind", "filter",
/// "sort", "field", "columns", "owner"}` (`owner` null: the workspace's; `columns` ""
/// the table's default columns).
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
    /// The table's columns: field keys, comma-separated, in order ("": the default).
    #[serde(default)]
    pub(crate) columns: String,
    /// The user whose own view it is; None: shared with the workspace.
    #[serde(default)]
    pub(crate) owner: Option<String>,
}

impl SavedView {
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
            columns: get("columns"),
            owner: doc.content.get("owner").cloned(),
        }
    }

    /// The document's content (everything but the name).
    pub(crate) fn content(&self) -> Vec<(&str, &str)> {
        let mut pairs = vec![
            ("object", self.object.as_str()),
            ("kind", self.kind.as_str()),
            ("filter", self.filter.as_str()),
            ("sort", self.sort.as_str()),
            ("field", self.field.as_str()),
            ("columns", self.columns.as_str()),
        ];
        if let Some(owner) = &self.owner {
            pairs.push(("owner", owner.as_str()));
        }
        pairs
    }
}

/// The views this device's user sees: the workspace's and their own, not archived, in
/// the order they were saved.
pub(crate) fn visible(ws: &Workspace) -> Result<Vec<SavedView>, AppError> {
    let user = ws.device().user.clone();
    Ok(ws
        .config_contents(&DocKind::View)?
        .into_iter()
        .filter(|d| !d.archived)
        .map(SavedView::from_doc)
        .filter(|v| v.owner.as_ref().is_none_or(|o| *o == user))
        .collect())
}

/// `{"views": [view, …]}`.
#[derive(Debug, Serialize)]
pub(crate) struct ViewList {
    pub(crate) views: Vec<SavedView>,
}

pub(crate) fn list(ws: &Workspace) -> Result<ViewList, AppError> {
    Ok(ViewList { views: visible(ws)? })
}

/// A view, by name or id.
#[derive(Debug, Deserialize)]
pub(crate) struct ViewRequest {
    pub(crate) view: String,
}

/// The visible view named `name` (case-insensitive) or with that id; two of one name
/// (on different objects) must be named by id.
pub(crate) fn find(ws: &Workspace, name: &str) -> Result<SavedView, AppError> {
    let name = name.trim();
    let views = visible(ws)?;
    if let Some(v) = views.iter().find(|v| v.id == name) {
        return Ok(v.clone());
    }
    let mut named = views
        .into_iter()
        .filter(|v| v.name.to_lowercase() == name.to_lowercase());
    match (named.next(), named.next()) {
        (Some(v), None) => Ok(v),
        (Some(a), Some(b)) => Err(AppError::Invalid(format!(
            "several views are named “{name}” ({} on {}, {} on {}); name it by its id",
            a.id, a.object, b.id, b.object
        ))),
        (None, _) => Err(AppError::NotFound(format!(
            "no view “{name}” (`kith view list` shows them)"
        ))),
    }
}

/// A view's definition and its changes, oldest first (ids for `kith revert`).
#[derive(Debug, Serialize)]
pub(crate) struct ViewShown {
    #[serde(flatten)]
    pub(crate) view: SavedView,
    pub(crate) history: Vec<ConfigChange>,
}

pub(crate) fn show(ws: &Workspace, req: &ViewRequest) -> Result<ViewShown, AppError> {
    let view = find(ws, &req.view)?;
    Ok(ViewShown {
        history: ws.config_history(parse_id(&view.id)?)?,
        view,
    })
}

/// A view to save: `kind` `table` (the default) or `board`; `field` the board's select
/// field; `mine`: the user's own view (else the workspace's). A view of the same name on
/// the same object is updated rather than doubled.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SaveViewRequest {
    pub(crate) name: String,
    pub(crate) object: String,
    #[serde(default)]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) filter: String,
    #[serde(default)]
    pub(crate) sort: String,
    #[serde(default)]
    pub(crate) field: String,
    /// The table's columns: field keys, comma-separated, in order.
    #[serde(default)]
    pub(crate) columns: String,
    #[serde(default)]
    pub(crate) mine: bool,
}

pub(crate) fn save(ws: &mut Workspace, req: &SaveViewRequest) -> Result<Changed, AppError> {
    let name = req.name.trim();
    if name.is_empty() {
        return Err(AppError::Invalid("give the view a name".into()));
    }
    let draft = SavedView {
        id: String::new(),
        name: name.to_string(),
        object: req.object.trim().to_string(),
        kind: req.kind.trim().to_string(),
        filter: req.filter.trim().to_string(),
        sort: req.sort.trim().to_string(),
        field: req.field.trim().to_string(),
        columns: req.columns.trim().to_string(),
        owner: req.mine.then(|| ws.device().user.clone()),
    };
    let view = checked(ws, draft)?;
    let same = visible(ws)?
        .into_iter()
        .find(|v| v.name.to_lowercase() == view.name.to_lowercase() && v.object == view.object);
    match same {
        Some(old) => {
            let change = write(ws, &old, &view)?;
            Ok(Changed {
                id: old.id,
                message: format!("View saved: “{}”", view.name),
                undo: change.map(|c| format!("change:{c}")),
            })
        }
        None => {
            let id = ws.create_config_doc_with(DocKind::View, &view.name, &view.content())?;
            Ok(Changed {
                id: id.to_string(),
                message: format!("View saved: “{}”", view.name),
                undo: last_change(ws, id),
            })
        }
    }
}

/// A change of `view`: each part given replaces what it had (`filter: ""` removes the
/// filter); `mine` makes it the user's own (true) or the workspace's (false).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct EditViewRequest {
    pub(crate) view: String,
    pub(crate) name: Option<String>,
    pub(crate) object: Option<String>,
    pub(crate) kind: Option<String>,
    pub(crate) filter: Option<String>,
    pub(crate) sort: Option<String>,
    pub(crate) field: Option<String>,
    pub(crate) columns: Option<String>,
    pub(crate) mine: Option<bool>,
}

pub(crate) fn edit(ws: &mut Workspace, req: &EditViewRequest) -> Result<Changed, AppError> {
    let old = find(ws, &req.view)?;
    let mut view = old.clone();
    let set = |part: &mut String, new: &Option<String>| {
        if let Some(new) = new {
            *part = new.trim().to_string();
        }
    };
    if let Some(name) = &req.name {
        let name = name.trim();
        if name.is_empty() {
            return Err(AppError::Invalid("a view's name cannot be empty".into()));
        }
        view.name = name.to_string();
    }
    set(&mut view.object, &req.object);
    set(&mut view.kind, &req.kind);
    set(&mut view.filter, &req.filter);
    set(&mut view.sort, &req.sort);
    set(&mut view.field, &req.field);
    set(&mut view.columns, &req.columns);
    if let Some(mine) = req.mine {
        view.owner = mine.then(|| ws.device().user.clone());
    }
    let view = checked(ws, view)?;
    let clash = visible(ws)?
        .into_iter()
        .any(|v| v.id != old.id && v.object == view.object && v.name.to_lowercase() == view.name.to_lowercase());
    if clash {
        return Err(AppError::Invalid(format!(
            "another view of {} is named “{}”",
            view.object, view.name
        )));
    }
    let change = write(ws, &old, &view)?;
    Ok(Changed {
        id: old.id,
        message: match change {
            Some(_) => format!("View saved: “{}”", view.name),
            None => format!("View “{}” already reads that way; nothing changed", view.name),
        },
        undo: change.map(|c| format!("change:{c}")),
    })
}

/// Removes a view: its document is archived; `undo` brings it back.
pub(crate) fn remove(ws: &mut Workspace, req: &ViewRequest) -> Result<Changed, AppError> {
    let view = find(ws, &req.view)?;
    let change = ws.archive_config_doc(parse_id(&view.id)?, true)?;
    Ok(Changed {
        id: view.id,
        message: format!("View deleted: “{}”", view.name),
        undo: change.map(|c| format!("change:{c}")),
    })
}

/// A page of a view's records: `after` (the `next` of the previous page), `limit`.
#[derive(Debug, Deserialize)]
pub(crate) struct RunViewRequest {
    pub(crate) view: String,
    pub(crate) after: Option<String>,
    pub(crate) limit: Option<usize>,
}

/// The records a view shows, as the table page reads them (its object, filter and
/// sort; a board shows the same records in columns): the shape of `kith record list`.
pub(crate) fn run(ws: &Workspace, req: &RunViewRequest) -> Result<RecordPage, AppError> {
    let view = find(ws, &req.view)?;
    records::list(
        ws,
        &ListRequest {
            object: view.object,
            filters: vec![view.filter],
            sort: Some(view.sort),
            after: req.after.clone(),
            limit: req.limit,
        },
    )
}

/// The view with its object named by key and its kind, filter, sort and board field
/// checked against the schema: nothing is written for a view that would not open.
fn checked(ws: &Workspace, mut view: SavedView) -> Result<SavedView, AppError> {
    if view.object.is_empty() {
        return Err(AppError::Invalid("a view needs an object".into()));
    }
    let object = ws.object_named(&view.object)?;
    view.object = object.key.clone();
    view.kind = match view.kind.as_str() {
        "" | "table" => "table".into(),
        "board" => "board".into(),
        other => {
            return Err(AppError::Invalid(format!(
                "a view is a table or a board, not “{other}”"
            )));
        }
    };
    if !view.filter.is_empty() {
        ws.parse_filter(object.id, &view.filter)?;
    }
    if !view.sort.is_empty() {
        ws.parse_sort(object.id, &view.sort)?;
    }
    if !view.field.is_empty() {
        let field = object
            .active_fields()
            .find(|f| f.key == view.field || f.label.to_lowercase() == view.field.to_lowercase())
            .ok_or_else(|| AppError::Invalid(format!("{} has no field “{}”", object.key, view.field)))?;
        if field.kind != kith_core::FieldKind::Select {
            return Err(AppError::Invalid(format!(
                "a board groups by a select field; {} is not one",
                field.key
            )));
        }
        view.field = field.key.clone();
    }
    view.columns = checked_columns(object, &view.columns)?;
    Ok(view)
}

/// `columns` (fields by key or label, comma-separated) as the active fields' keys, each
/// once, in order; a field the object does not have (or has archived) is refused.
fn checked_columns(object: &kith_core::ObjectDef, columns: &str) -> Result<String, AppError> {
    let mut keys: Vec<&str> = Vec::new();
    for name in columns.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        let field = object
            .active_fields()
            .find(|f| f.key == name || f.label.to_lowercase() == name.to_lowercase())
            .ok_or_else(|| AppError::Invalid(format!("{} has no field “{name}” to show as a column", object.key)))?;
        if !keys.contains(&field.key.as_str()) {
            keys.push(&field.key);
        }
    }
    Ok(keys.join(","))
}

/// Writes what differs between `old` and `new` over `old`'s document: one change, or
/// none when it already reads so (a revert then takes back only what was changed).
fn write(ws: &mut Workspace, old: &SavedView, new: &SavedView) -> Result<Option<String>, AppError> {
    let id = parse_id(&old.id)?;
    let before = old.content();
    // Another object: the filter, sort, field and columns name its fields, so all are written anew.
    let moved = new.object != old.object;
    let mut content: Vec<(&str, Option<&str>)> = new
        .content()
        .into_iter()
        .filter(|pair| moved || !before.contains(pair))
        .map(|(k, v)| (k, Some(v)))
        .collect();
    if new.owner.is_none() && old.owner.is_some() {
        content.push(("owner", None));
    }
    let name = (new.name != old.name).then_some(new.name.as_str());
    if name.is_none() && content.is_empty() {
        return Ok(None);
    }
    Ok(ws.update_config_doc(id, name, &content)?)
}

fn parse_id(id: &str) -> Result<DocId, AppError> {
    id.parse()
        .map_err(|_| AppError::NotFound(format!("no view “{id}” (`kith view list` shows them)")))
}
