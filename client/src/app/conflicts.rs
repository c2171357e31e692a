//! Conflicts: fields that concurrent edits left with several values, unique values a
//! merge duplicated, fields added with one key on two devices, values of merged fields.
//! `kith conflicts`, `GET /api/conflicts`.

use kith_core::time_fmt::format_datetime;
use kith_core::{ConflictView, MergedValueClash, RuleBreak, UniqueClash, Workspace};
use serde::{Deserialize, Serialize, Serializer};

use super::AppError;
use super::history::short_change;
use crate::output::JsonObject;

/// Only `object`'s (key, label or id).
#[derive(Debug, Deserialize)]
pub(crate) struct ConflictsRequest {
    pub(crate) object: Option<String>,
}

/// Every kind of conflict; serializes as one JSON array of items told apart by `kind`
/// (`value`, `unique`, `schema`, `merged_field`, `rule`).
#[derive(Debug)]
pub(crate) struct Conflicts {
    pub(crate) values: Vec<ConflictView>,
    pub(crate) unique: Vec<UniqueClash>,
    pub(crate) names: Vec<KeyClash>,
    pub(crate) merged: Vec<MergedValueClash>,
    /// Records that break a validation rule (after a merge: local writes are refused).
    pub(crate) breaks: Vec<RuleBreak>,
    items: Vec<JsonObject>,
}

impl Serialize for Conflicts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.items.serialize(s)
    }
}

pub(crate) fn list(ws: &Workspace, req: &ConflictsRequest) -> Result<Conflicts, AppError> {
    let object = match &req.object {
        Some(name) => Some(ws.object_named(name)?.id),
        None => None,
    };
    let values = ws.conflicts(object)?;
    let unique = ws.unique_clashes(object)?;
    let names = key_clashes(ws, object);
    let merged = ws.merged_value_clashes(object)?;
    let breaks = ws.rule_breaks(object)?;
    let items = values
        .iter()
        .map(|c| conflict_json(ws, c))
        .chain(unique.iter().map(|c| clash_json(ws, c)))
        .chain(names.iter().map(KeyClash::json))
        .chain(merged.iter().map(merged_json))
        .chain(breaks.iter().map(break_json))
        .collect();
    Ok(Conflicts {
        values,
        unique,
        names,
        merged,
        breaks,
        items,
    })
}

/// `{kind: "rule", record, object, rule, message, fields}`.
fn break_json(b: &RuleBreak) -> JsonObject {
    let mut j = JsonObject::default();
    j.push("kind", "rule");
    j.push("record", b.record.to_string());
    j.push("object", b.object_key.clone());
    j.push("rule", b.rule.to_string());
    j.push("message", b.message.clone());
    j.push("fields", b.fields.clone());
    j
}

/// `{kind: "merged_field", record, object, field, value, alias, alias_value}`.
fn merged_json(c: &MergedValueClash) -> JsonObject {
    let mut j = JsonObject::default();
    j.push("kind", "merged_field");
    j.push("record", c.record.to_string());
    j.push("object", c.object_key.clone());
    j.push("field", c.field_key.clone());
    j.push("value", c.kept.clone());
    j.push("alias", c.alias_key.clone());
    j.push("alias_value", c.other.clone());
    j
}

/// Two fields added with one key but different types at the same time (both kept, the
/// later shown under a free key until the user renames or archives one).
#[derive(Debug)]
pub(crate) struct KeyClash {
    pub(crate) object: String,
    pub(crate) key: String,
    pub(crate) kept: String,
    pub(crate) kept_kind: String,
    pub(crate) shown_as: String,
    pub(crate) kind: String,
}

impl KeyClash {
    /// `{kind: "schema", object, key, kept, kept_type, shown_as, type}`.
    fn json(&self) -> JsonObject {
        let mut j = JsonObject::default();
        j.push("kind", "schema");
        j.push("object", self.object.clone());
        j.push("key", self.key.clone());
        j.push("kept", self.kept.clone());
        j.push("kept_type", self.kept_kind.clone());
        j.push("shown_as", self.shown_as.clone());
        j.push("type", self.kind.clone());
        j
    }
}

fn key_clashes(ws: &Workspace, object: Option<kith_core::ObjectId>) -> Vec<KeyClash> {
    let mut out = Vec::new();
    for obj in ws
        .schema()
        .objects
        .iter()
        .filter(|o| object.is_none_or(|id| id == o.id))
    {
        for f in obj.active_fields() {
            let Some(key) = &f.clashing_key else { continue };
            let Some(kept) = obj.fields.iter().find(|k| &k.key == key) else {
                continue;
            };
            out.push(KeyClash {
                object: obj.key.clone(),
                key: key.clone(),
                kept: kept.key.clone(),
                kept_kind: kept.kind.to_string(),
                shown_as: f.key.clone(),
                kind: f.kind.to_string(),
            });
        }
    }
    out
}

/// `{kind: "unique", object, field, field_label, value, records: [{record, record_name}]}`.
fn clash_json(ws: &Workspace, c: &UniqueClash) -> JsonObject {
    let mut j = JsonObject::default();
    j.push("kind", "unique");
    j.push("object", c.object_key.clone());
    j.push("field", c.field_key.clone());
    j.push("field_label", c.field_label.clone());
    j.push("value", c.value.clone());
    let records = c
        .records
        .iter()
        .map(|r| {
            let mut record = JsonObject::default();
            record.push("record", r.to_string());
            record.push("record_name", ws.record_name(*r));
            record
        })
        .collect();
    j.push_objects("records", records);
    j
}

/// The key of a conflicted field (its id when the schema no longer has it).
pub(crate) fn field_key(ws: &Workspace, c: &ConflictView) -> String {
    ws.schema()
        .object(c.object)
        .and_then(|o| o.field(c.field))
        .map_or_else(|| c.field.to_string(), |f| f.key.clone())
}

/// `{kind: "value", record, record_name, object, field, field_label, values: [{n, value,
/// author, time, change, shown}]}`.
fn conflict_json(ws: &Workspace, c: &ConflictView) -> JsonObject {
    let mut j = JsonObject::default();
    j.push("kind", "value");
    j.push("record", c.record.to_string());
    j.push("record_name", c.record_name.clone());
    j.push("object", c.object_key.clone());
    j.push("field", field_key(ws, c));
    j.push("field_label", c.field_label.clone());
    let values = c
        .values
        .iter()
        .enumerate()
        .map(|(n, v)| {
            let mut value = JsonObject::default();
            value.push("n", n + 1);
            value.push("value", v.display.clone());
            value.push("author", v.author.clone());
            value.push("time", format_datetime(v.time));
            value.push("change", short_change(&v.change).to_string());
            value.push("shown", n == 0);
            value
        })
        .collect();
    j.push_objects("values", values);
    j
}
