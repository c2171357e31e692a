//! Full-text search across objects: `kith search`, `GET /api/search`.

use kith_core::Workspace;
use serde::{Deserialize, Serialize};

use super::AppError;

/// How many hits a search returns when not told.
pub(crate) const DEFAULT_LIMIT: usize = 20;

#[derive(Debug, Deserialize)]
pub(crate) struct SearchRequest {
    pub(crate) text: String,
    /// Only this object (key, label or id).
    pub(crate) object: Option<String>,
    pub(crate) limit: usize,
}

/// One record that matches.
#[derive(Debug, Serialize)]
pub(crate) struct Hit {
    pub(crate) id: String,
    /// The object's key.
    pub(crate) object: String,
    /// The object's label, to show.
    pub(crate) object_label: String,
    pub(crate) name: String,
    #[serde(skip)]
    pub(crate) record: kith_core::RecordId,
}

/// The hits, best first (an empty text finds nothing).
pub(crate) fn search(ws: &Workspace, req: &SearchRequest) -> Result<Vec<Hit>, AppError> {
    let object = req
        .object
        .as_deref()
        .map(|o| ws.object_named(o).map(|o| o.id))
        .transpose()?;
    if req.text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let hits = ws.search(&req.text, object, req.limit)?;
    Ok(hits
        .iter()
        .map(|h| {
            let (object, object_label) = ws.schema().object(h.object).map_or_else(
                || (h.object.to_string(), String::new()),
                |o| (o.key.clone(), o.label.clone()),
            );
            Hit {
                id: h.record.to_string(),
                object,
                object_label,
                name: ws.record_name(h.record),
                record: h.record,
            }
        })
        .collect())
}
