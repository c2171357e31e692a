//! The schema, now or as it was: `kith schema show`, `GET /api/schema`; its history:
//! `kith schema history`, `GET /api/schema/history`.

use kith_core::{HistoryEntry, Schema, Workspace};
use serde::{Deserialize, Serialize, Serializer};

use super::AppError;
use super::history::history_json;

/// `at` (ms since 1970): the schema as it was then.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SchemaRequest {
    pub(crate) at: Option<i64>,
}

/// The whole schema with ids: every object (archived ones included, with `archived`),
/// its fields and their options, the members and the configuration documents.
pub(crate) fn show(ws: &Workspace, req: &SchemaRequest) -> Result<Schema, AppError> {
    Ok(match req.at {
        Some(time) => ws.schema_at(time)?,
        None => ws.schema().clone(),
    })
}

/// Every schema change, oldest first; serializes like a record's history, with
/// `changes` for `fields`.
#[derive(Debug)]
pub(crate) struct SchemaHistory {
    pub(crate) entries: Vec<HistoryEntry>,
}

impl Serialize for SchemaHistory {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        history_json(&self.entries, true).serialize(s)
    }
}

pub(crate) fn history(ws: &Workspace) -> Result<SchemaHistory, AppError> {
    Ok(SchemaHistory {
        entries: ws.schema_history()?,
    })
}
