//! The configuration documents (views, automations, reports, dashboards) as the
//! schema's manifest lists them: `kith config list`, `GET /api/config`.

use kith_core::Workspace;
use kith_core::time_fmt::format_datetime;
use serde::Serialize;

use super::AppError;

/// `{"config_docs": [{"id", "kind", "name", "created_at", "archived"}]}`.
#[derive(Debug, Serialize)]
pub(crate) struct ConfigDocs {
    pub(crate) config_docs: Vec<ConfigDocItem>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ConfigDocItem {
    pub(crate) id: String,
    pub(crate) kind: String,
    /// The current name (read from the document; the manifest's until it arrives).
    pub(crate) name: String,
    pub(crate) created_at: String,
    pub(crate) archived: bool,
}

pub(crate) fn list(ws: &Workspace) -> Result<ConfigDocs, AppError> {
    let config_docs = ws
        .config_docs()
        .iter()
        .map(|d| {
            // A document not arrived yet (the manifest synced first) shows its manifest name.
            let (name, archived) = match ws.config_doc(d.id) {
                Ok(c) => (c.name, c.archived),
                Err(_) => (d.name.clone(), false),
            };
            ConfigDocItem {
                id: d.id.to_string(),
                kind: d.kind.to_string(),
                name,
                created_at: format_datetime(d.created_at),
                archived,
            }
        })
        .collect();
    Ok(ConfigDocs { config_docs })
}
