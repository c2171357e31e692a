//! Taking back a change or a change group: `kith revert`, `POST /api/revert`, Undo.

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
