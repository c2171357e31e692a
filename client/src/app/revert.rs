//! Taking back a change or a change group: `kith revert`, `POST /api/revert`, Undo; and
//! a record restored to a moment (`kith record restore --at`, the record page's "as of").

use kith_core::Workspace;
use serde::{Deserialize, Serialize};

use super::AppError;

/// `change` (a hash or its first characters, as history shows it) or `group` (an id or
/// its prefix); `force` reverts even over later edits of the same fields.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RevertRequest {
    pub(crate) change: Option<String>,
    pub(crate) group: Option<String>,
    #[serde(default)]
    pub(crate) force: bool,
}

/// What a revert did; `group` is the revert's own group (revert it to take it back).
#[derive(Debug, Serialize)]
pub(crate) struct Reverted {
    /// `change <hash>` or `group <id>`.
    pub(crate) reverted: String,
    pub(crate) group: String,
    pub(crate) records: usize,
    pub(crate) schema: bool,
}

pub(crate) fn revert(ws: &mut Workspace, req: &RevertRequest) -> Result<Reverted, AppError> {
    let (reverted, report) = match (&req.change, &req.group) {
        (_, Some(group)) => {
            let id = ws.find_group_id(group.trim())?;
            (format!("group {id}"), ws.revert_group(id, req.force)?)
        }
        (Some(change), None) => (
            format!("change {}", change.trim()),
            ws.revert_change(change.trim(), req.force)?,
        ),
        (None, None) => {
            return Err(AppError::Invalid(
                "name the change to revert (its id from `kith history`) or give --group ID".into(),
            ));
        }
    };
    Ok(Reverted {
        reverted,
        group: report.group.to_string(),
        records: report.records,
        schema: report.schema,
    })
}

/// A record (id or short id) and a moment (ms since 1970).
#[derive(Debug, Deserialize)]
pub(crate) struct RestoreAtRequest {
    pub(crate) id: String,
    pub(crate) at: i64,
}

/// `{"id", "at", "changed", "group"}`: whether anything differed, and the change group
/// that wrote the record back (`null` when nothing changed; revert it to undo).
#[derive(Debug, Serialize)]
pub(crate) struct RestoredAt {
    pub(crate) id: String,
    pub(crate) at: String,
    pub(crate) changed: bool,
    pub(crate) group: Option<String>,
}

pub(crate) fn restore_at(ws: &mut Workspace, req: &RestoreAtRequest) -> Result<RestoredAt, AppError> {
    let id = ws.find_record_id(req.id.trim())?;
    let report = ws.restore_record_at(id, req.at)?;
    let changed = report.records > 0;
    Ok(RestoredAt {
        id: id.to_string(),
        at: kith_core::time_fmt::format_datetime(req.at),
        changed,
        group: changed.then(|| report.group.to_string()),
    })
}
