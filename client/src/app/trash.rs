//! The trash: `kith trash list`, `GET /api/trash` (restoring is
//! [`records::restore`](super::records::restore)).

use kith_core::{RecordView, Workspace};
use serde::{Deserialize, Serialize};

use super::AppError;
use crate::output::JsonObject;
use crate::record_json::record_json;

/// How many records a trash listing shows when not told.
pub(crate) const DEFAULT_LIMIT: usize = 50;

/// Only `object`'s records (key, label or id), at most `limit`.
#[derive(Debug, Deserialize)]
pub(crate) struct TrashRequest {
    pub(crate) object: Option<String>,
    pub(crate) limit: usize,
}

/// `{"records": [record, …]}`, most recently deleted first.
#[derive(Debug, Serialize)]
pub(crate) struct TrashPage {
    pub(crate) records: Vec<JsonObject>,
    #[serde(skip)]
    pub(crate) views: Vec<RecordView>,
}

pub(crate) fn list(ws: &Workspace, req: &TrashRequest) -> Result<TrashPage, AppError> {
    if req.limit == 0 {
        return Err(AppError::Invalid("--limit must be at least 1".into()));
    }
    let object = match &req.object {
        Some(name) => Some(ws.object_named(name)?.id),
        None => None,
    };
    let views = ws.trash(object, req.limit)?;
    Ok(TrashPage {
        records: views.iter().map(|v| record_json(ws, v)).collect(),
        views,
    })
}
