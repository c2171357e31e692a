//! A record's history: `kith history RECORD`, `GET /api/records/{id}/history`. The JSON
//! shape of a history entry (also the schema history's, `kith schema history --json`).

use kith_core::time_fmt::format_datetime;
use kith_core::{ChangeKind, HistoryEntry, RecordId, Workspace};
use serde::{Deserialize, Serialize, Serializer};

use super::AppError;
use crate::output::JsonObject;

#[derive(Debug, Deserialize)]
pub(crate) struct HistoryRequest {
    /// The record: its id or short id.
    pub(crate) record: String,
}

/// Every change of a record, oldest first, each entry's fields in the order the object
/// lists them. Serializes as the JSON array of [`history_json`].
#[derive(Debug)]
pub(crate) struct History {
    pub(crate) record: RecordId,
    pub(crate) entries: Vec<HistoryEntry>,
}

impl Serialize for History {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        history_json(&self.entries, false).serialize(s)
    }
}

pub(crate) fn record_history(ws: &Workspace, req: &HistoryRequest) -> Result<History, AppError> {
    let id = ws.find_record_id(req.record.trim())?;
    let mut entries = ws.record_history(id)?;
    // Fields in the order the object lists them (archived and unknown ones last).
    if let Some(obj) = ws.schema().object(ws.row(id)?.object) {
        let position = |f: kith_core::FieldId| obj.fields.iter().position(|d| d.id == f).unwrap_or(usize::MAX);
        for entry in &mut entries {
            entry.fields.sort_by_key(|d| position(d.field));
        }
    }
    Ok(History { record: id, entries })
}

/// How many characters of a change hash are shown (and are enough for `kith revert`).
pub(crate) const SHORT_CHANGE: usize = 12;

/// The short form of a change hash.
pub(crate) fn short_change(change: &str) -> &str {
    change.get(..SHORT_CHANGE).unwrap_or(change)
}

/// What made a change, in words: edit, import, bulk edit, automation, revert, conflict
/// resolved, restore, schema change, ...
pub(crate) fn made_by(entry: &HistoryEntry) -> String {
    let mut parts = entry.message.split(':');
    let head = parts.next().unwrap_or_default();
    let what = match head {
        "edit" => "edit".to_string(),
        "import" => "import".to_string(),
        "bulk" => "bulk edit".to_string(),
        "automation" => "automation".to_string(),
        "resolve" => "conflict resolved".to_string(),
        "revert" => {
            let _group = parts.next();
            match parts.next() {
                Some(target) if !target.is_empty() => {
                    let kind = if target.contains('-') { "group" } else { "change" };
                    format!("revert of {kind} {target}")
                }
                _ => "revert".to_string(),
            }
        }
        "restore" => {
            let _group = parts.next();
            match parts.next().and_then(|t| t.parse::<i64>().ok()) {
                Some(time) => format!("restore to {}", format_datetime(time)),
                None => "restore".to_string(),
            }
        }
        "schema" => "schema change".to_string(),
        "member" => "member joined".to_string(),
        // Folding maps two devices created concurrently, or moving values of a field two
        // devices added with one key (docs/storage-format.md).
        "heal" => "merge healed".to_string(),
        _ if entry.kind == ChangeKind::Other && !head.is_empty() => head.to_string(),
        _ => entry.kind.as_str().to_string(),
    };
    if entry.synced {
        format!("{what}, from another device")
    } else {
        what
    }
}

/// History entries as JSON, oldest first; `schema`: the schema's history (its
/// entries have `changes` instead of `fields`, and no `created` / `deleted`).
pub(crate) fn history_json(entries: &[HistoryEntry], schema: bool) -> Vec<JsonObject> {
    entries
        .iter()
        .map(|entry| {
            let mut j = JsonObject::default();
            j.push("change", short_change(&entry.change).to_string());
            j.push("hash", entry.change.clone());
            j.push("time", format_datetime(entry.time));
            j.push("time_ms", entry.time);
            j.push("author", entry.author.clone());
            j.push("device", entry.device.clone());
            j.push("synced", entry.synced);
            j.push("made_by", made_by(entry));
            j.push("kind", serde_json::to_value(entry.kind).unwrap_or_default());
            j.push("message", entry.message.clone());
            j.push("group", entry.group.map(|g| g.to_string()));
            if !schema {
                j.push("created", entry.created);
                j.push("deleted", entry.deleted);
            }
            let fields: Vec<JsonObject> = entry
                .fields
                .iter()
                .map(|d| {
                    let mut f = JsonObject::default();
                    f.push("label", d.label.clone());
                    f.push("old", d.old.clone());
                    f.push("new", d.new.clone());
                    f
                })
                .collect();
            j.push_objects(if schema { "changes" } else { "fields" }, fields);
            j
        })
        .collect()
}
