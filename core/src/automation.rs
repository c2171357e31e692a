//! Automation definitions: what an automation document's `definition` holds (JSON), read
//! and written by people (`kith automation add --from rule.json`) and by the web editor.
//!
//! ```json
//! { "object": "deals",
//!   "trigger": { "changed": { "field": "stage", "to": "Won" } },
//!   "condition": "amount > 1000",
//!   "actions": [ { "set": { "probability": "100" } },
//!                { "create_task": { "title": "Invoice {name}", "due_in_days": 3 } } ] }
//! ```
//!
//! Fields and objects are named by key; a filter is the filter language's text. Action
//! values are field inputs (as typed on the CLI) in which `{record}` (the triggering
//! record's id), `{today}` / `{today+3}` / `{today-1}` (dates) and `{field_key}` (the
//! triggering record's value, as shown) are replaced when the automation runs.
//!
//! Stability: this JSON is part of every automation document.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::record::Row;
use crate::schema::ObjectDef;
use crate::{RecordId, field_type, time_fmt};

/// How deep a chain of automations triggering automations may go before it is stopped.
pub const MAX_CHAIN_DEPTH: u32 = 5;

/// What an automation document says to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutomationDef {
    /// The key of the object whose records trigger it.
    pub object: String,
    pub trigger: Trigger,
    /// A filter (the filter language) the record must pass after the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    pub actions: Vec<Action>,
}

/// What makes an automation run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A record of the object is created on this device.
    Created,
    /// A field's value changes; optionally only from / to a value (as shown; `""` is empty).
    Changed {
        field: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
    },
    /// A record starts matching a filter (was created matching it, or an edit made it match).
    Matches { filter: String },
    /// A date field reaches a point: `offset_days` after it (`-3`: three days before).
    /// Checked by `kith automation tick`, `kith serve` and `kith sync --watch` every minute;
    /// runs once per record and date, for dates reached after the automation was made.
    Date {
        field: String,
        #[serde(default)]
        offset_days: i32,
    },
    /// Only when someone presses its button on the record page (or `kith automation run`).
    Manual,
}

/// The object a `create_task` action that names none creates its task in.
pub const TASKS: &str = "tasks";

/// One thing an automation does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Sets fields of the triggering record (`""` clears one).
    Set(BTreeMap<String, String>),
    /// Creates a record of `object` with these values.
    CreateRecord {
        object: String,
        values: BTreeMap<String, String>,
    },
    /// Creates a task related to the triggering record.
    CreateTask {
        title: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due_in_days: Option<i32>,
        /// The tasks object: stored by id (so renaming it keeps the action working),
        /// shown by its key. `None` (a new definition that does not say, or one saved
        /// before this field existed) means the object keyed `tasks` (see [`TASKS`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        object: Option<String>,
    },
    /// Adds a record to a relation field of the triggering record.
    Link { field: String, record: String },
    /// Removes a record from a relation field of the triggering record.
    Unlink { field: String, record: String },
}

impl AutomationDef {
    /// Reads a definition from JSON, with a message saying what is wrong.
    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("not an automation definition: {e}"))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl Trigger {
    /// How the trigger is shown in lists and the run log.
    pub fn describe(&self) -> String {
        match self {
            Trigger::Created => "record created".to_string(),
            Trigger::Changed { field, from, to } => {
                let mut s = format!("{field} changed");
                if let Some(f) = from {
                    s.push_str(&format!(" from '{f}'"));
                }
                if let Some(t) = to {
                    s.push_str(&format!(" to '{t}'"));
                }
                s
            }
            Trigger::Matches { filter } => format!("starts matching {filter}"),
            Trigger::Date { field, offset_days } => match offset_days {
                0 => format!("{field} is reached"),
                d if *d < 0 => format!("{} days before {field}", -d),
                d => format!("{d} days after {field}"),
            },
            Trigger::Manual => "manual".to_string(),
        }
    }
}

impl Action {
    pub fn describe(&self) -> String {
        let pairs = |m: &BTreeMap<String, String>| {
            m.iter()
                .map(|(k, v)| format!("{k} = '{v}'"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Action::Set(m) => format!("set {}", pairs(m)),
            Action::CreateRecord { object, values } => format!("create {object} ({})", pairs(values)),
            Action::CreateTask { title, due_in_days, .. } => match due_in_days {
                Some(d) => format!("create task '{title}' due in {d} days"),
                None => format!("create task '{title}'"),
            },
            Action::Link { field, record } => format!("add '{record}' to {field}"),
            Action::Unlink { field, record } => format!("remove '{record}' from {field}"),
        }
    }
}

/// A v7-shaped id (time `ms`, then a hash of `parts`) that every device derives alike:
/// date-triggered runs and the records they create get these, so two devices running the
/// same run make the same documents. (FNV-1a; ids, not secrets.)
pub(crate) fn derived_id(ms: i64, parts: &[&[u8]]) -> [u8; 16] {
    let fnv = |seed: u64| {
        let mut h = seed;
        for part in parts {
            for b in part.iter().chain(&[0xFF]) {
                h ^= u64::from(*b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        h
    };
    let (a, b) = (fnv(0xcbf2_9ce4_8422_2325), fnv(0x6c62_272e_07bb_0142));
    let mut id = [0u8; 16];
    id[..6].copy_from_slice(&ms.to_be_bytes()[2..]);
    id[6..11].copy_from_slice(&a.to_be_bytes()[..5]);
    id[11..].copy_from_slice(&b.to_be_bytes()[..5]);
    id[6] = 0x70 | (id[6] & 0x0F);
    id[8] = 0x80 | (id[8] & 0x3F);
    id
}

/// A field's value as shown, "" when empty (what `from` / `to` compare with).
pub(crate) fn shown(object: &ObjectDef, row: Option<&Row>, key: &str) -> Option<String> {
    let field = object.find_field(key)?;
    Some(
        row.and_then(|r| r.get(field.id))
            .filter(|s| !s.is_empty())
            .map(|s| match field_type::read(field, s) {
                Some(v) => field_type::display(field, &v),
                None => s.raw_text(),
            })
            .unwrap_or_default(),
    )
}

/// Replaces `{record}`, `{today}`, `{today+N}`, `{today-N}` and `{field_key}` in `text`.
/// Unknown names stay as written.
pub(crate) fn expand(text: &str, object: &ObjectDef, record: RecordId, row: &Row, today: i32) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = after[..end].trim();
        match replacement(name, object, record, row, today) {
            Some(r) => out.push_str(&r),
            None => out.push_str(&rest[start..start + end + 2]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn replacement(name: &str, object: &ObjectDef, record: RecordId, row: &Row, today: i32) -> Option<String> {
    if name == "record" {
        return Some(record.to_string());
    }
    if let Some(offset) = name.strip_prefix("today") {
        let days: i32 = match offset.trim() {
            "" => 0,
            o => o.replace(' ', "").parse().ok()?,
        };
        return Some(time_fmt::format_date(today.saturating_add(days)));
    }
    shown(object, Some(row), name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_definition_reads_back_from_its_json() {
        let text = r#"{"object":"deals","trigger":{"changed":{"field":"stage","to":"Won"}},
            "condition":"amount > 1000",
            "actions":[{"set":{"probability":"100"}},{"create_task":{"title":"Invoice {name}","due_in_days":3}}]}"#;
        let def = AutomationDef::from_json(text).unwrap();
        assert_eq!(def.trigger.describe(), "stage changed to 'Won'");
        assert_eq!(AutomationDef::from_json(&def.to_json()).unwrap(), def);
        let created = AutomationDef::from_json(r#"{"object":"deals","trigger":"created","actions":[]}"#).unwrap();
        assert_eq!(created.trigger, Trigger::Created);
        assert!(AutomationDef::from_json(r#"{"object":"deals","trigger":"sometimes","actions":[]}"#).is_err());
    }

    #[test]
    fn templates_name_the_record_today_and_its_fields() {
        let objects = crate::schema::standard_objects();
        let deals = objects.iter().find(|o| o.key == "deals").unwrap();
        let name = deals.find_field("name").unwrap();
        let row = Row {
            object: deals.id,
            created_at: 0,
            created_by: "ada".into(),
            updated_at: 0,
            deleted_at: None,
            values: [(name.id, crate::Stored::Str("Big one".into()))].into(),
            conflicts: BTreeMap::new(),
        };
        let id = RecordId::new();
        let today = time_fmt::parse_date("2026-12-01").unwrap();
        assert_eq!(
            expand("Call {name} by {today+3} ({record}) {nope} {", deals, id, &row, today),
            format!("Call Big one by 2026-12-04 ({id}) {{nope}} {{")
        );
    }
}
