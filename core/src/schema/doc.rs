//! The schema document: reading it into a [`Schema`] and writing schema changes.
//!
//! ```text
//! { kind: "schema", number_format?: "1,234.56",
//!   config_docs: { "<doc id>": { kind, name, created_at } }, objects: { "<object id>": { key, label, order, archived,
//!     fields: { "<field id>": { key, label, type, required, unique, order, archived,
//!       options: { "<option id>": { label, color, order, archived } },
//!       target?, many, currency, max_rating, previous_types: [type, ...] } } } } }
//! ```
//!
//! Everything is keyed by random ids, so two devices adding fields concurrently both
//! keep theirs, and a rename is a label change that merges like any other edit.
//!
//! Stability: this layout is what every replica holds.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, Automerge, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};

use super::model::{ConfigDoc, FieldDef, FieldKind, ObjectDef, Schema, SelectOption};
use crate::DocKind;

/// The manifest of configuration documents: `{ "<doc id>": { kind, name, created_at } }`.
const CONFIG_DOCS: &str = "config_docs";
use crate::{FieldId, ObjectId, OptionId};

type AmResult<T> = Result<T, automerge::AutomergeError>;

fn child_map<D: ReadDoc>(doc: &D, parent: &ObjId, key: &str) -> Option<ObjId> {
    match doc.get(parent, key).ok()?? {
        (Value::Object(ObjType::Map), id) => Some(id),
        _ => None,
    }
}

fn get_str<D: ReadDoc>(doc: &D, obj: &ObjId, key: &str) -> Option<String> {
    match doc.get(obj, key).ok()?? {
        (Value::Scalar(s), _) => s.as_str().map(str::to_string),
        _ => None,
    }
}

fn get_i64<D: ReadDoc>(doc: &D, obj: &ObjId, key: &str) -> Option<i64> {
    match doc.get(obj, key).ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Int(n) => Some(*n),
            ScalarValue::Uint(n) => i64::try_from(*n).ok(),
            ScalarValue::F64(n) => Some(*n as i64),
            _ => None,
        },
        _ => None,
    }
}

fn get_bool<D: ReadDoc>(doc: &D, obj: &ObjId, key: &str) -> bool {
    matches!(doc.get(obj, key), Ok(Some((Value::Scalar(s), _))) if matches!(s.as_ref(), ScalarValue::Boolean(true)))
}

fn entries<D: ReadDoc>(doc: &D, map: &ObjId) -> Vec<(String, ObjId)> {
    doc.map_range(map, ..)
        .filter_map(|item| {
            let key = item.key.to_string();
            child_map(doc, map, &key).map(|id| (key, id))
        })
        .collect()
}

/// Reads the whole schema. Entries that do not parse (written by a newer Kith, say) are
/// skipped rather than failing the workspace.
pub(crate) fn hydrate(doc: &Automerge) -> Schema {
    let mut objects = Vec::new();
    let Some(objects_map) = child_map(doc, &ROOT, "objects") else {
        return Schema::default();
    };
    for (id, obj) in entries(doc, &objects_map) {
        let Ok(id) = id.parse::<ObjectId>() else {
            continue;
        };
        let mut fields = Vec::new();
        if let Some(fields_map) = child_map(doc, &obj, "fields") {
            for (fid, f) in entries(doc, &fields_map) {
                if let Some(field) = read_field(doc, &fid, &f) {
                    fields.push(field);
                }
            }
        }
        fields.sort_by(|a, b| a.order.cmp(&b.order).then(a.id.cmp(&b.id)));
        objects.push(ObjectDef {
            id,
            key: get_str(doc, &obj, "key").unwrap_or_default(),
            label: get_str(doc, &obj, "label").unwrap_or_default(),
            order: get_i64(doc, &obj, "order").unwrap_or(0),
            archived: get_bool(doc, &obj, "archived"),
            fields,
        });
    }
    objects.sort_by(|a, b| a.order.cmp(&b.order).then(a.id.cmp(&b.id)));
    let mut members = std::collections::BTreeMap::new();
    if let Some(map) = child_map(doc, &ROOT, "members") {
        for item in doc.map_range(&map, ..) {
            if let Some(user) = get_str(doc, &map, &item.key) {
                members.insert(item.key.to_string(), user);
            }
        }
    }
    let number_format = get_str(doc, &ROOT, "number_format")
        .and_then(|f| f.parse().ok())
        .unwrap_or_default();
    let mut config_docs = Vec::new();
    if let Some(manifest) = child_map(doc, &ROOT, CONFIG_DOCS) {
        for (id, entry) in entries(doc, &manifest) {
            let (Ok(id), Some(kind)) = (id.parse::<crate::DocId>(), get_str(doc, &entry, "kind")) else {
                continue;
            };
            config_docs.push(ConfigDoc {
                id,
                kind: kind.into(),
                name: get_str(doc, &entry, "name").unwrap_or_default(),
                created_at: get_i64(doc, &entry, "created_at").unwrap_or(0),
            });
        }
    }
    config_docs.sort_by_key(|c| (c.created_at, c.id));
    Schema {
        objects,
        members,
        number_format,
        config_docs,
    }
}

fn read_field(doc: &Automerge, id: &str, f: &ObjId) -> Option<FieldDef> {
    let id: FieldId = id.parse().ok()?;
    let kind: FieldKind = get_str(doc, f, "type")?.parse().ok()?;
    let mut options = Vec::new();
    if let Some(options_map) = child_map(doc, f, "options") {
        for (oid, o) in entries(doc, &options_map) {
            let Ok(oid) = oid.parse::<OptionId>() else {
                continue;
            };
            options.push(SelectOption {
                id: oid,
                label: get_str(doc, &o, "label").unwrap_or_default(),
                color: get_str(doc, &o, "color").unwrap_or_default(),
                order: get_i64(doc, &o, "order").unwrap_or(0),
                archived: get_bool(doc, &o, "archived"),
            });
        }
    }
    options.sort_by(|a, b| a.order.cmp(&b.order).then(a.id.cmp(&b.id)));
    let previous_kinds = match doc.get(f, "previous_types").ok().flatten() {
        Some((Value::Object(ObjType::List), list)) => doc
            .list_range(&list, ..)
            .filter_map(|item| match item.value {
                automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(s)) => s.parse().ok(),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Some(FieldDef {
        id,
        key: get_str(doc, f, "key").unwrap_or_default(),
        label: get_str(doc, f, "label").unwrap_or_default(),
        kind,
        required: get_bool(doc, f, "required"),
        unique: get_bool(doc, f, "unique"),
        order: get_i64(doc, f, "order").unwrap_or(0),
        archived: get_bool(doc, f, "archived"),
        options,
        target: get_str(doc, f, "target").and_then(|t| t.parse().ok()),
        many: get_bool(doc, f, "many"),
        currency: get_str(doc, f, "currency").unwrap_or_else(|| "USD".into()),
        max_rating: get_i64(doc, f, "max_rating").map_or(5, |n| n.clamp(1, 10) as u8),
        previous_kinds,
    })
}

fn ensure_map(doc: &mut AutoCommit, parent: &ObjId, key: &str) -> AmResult<ObjId> {
    match child_map(doc, parent, key) {
        Some(id) => Ok(id),
        None => doc.put_object(parent, key, ObjType::Map),
    }
}

fn object_map(doc: &mut AutoCommit, object: ObjectId) -> AmResult<ObjId> {
    let objects = ensure_map(doc, &ROOT, "objects")?;
    ensure_map(doc, &objects, &object.to_string())
}

fn field_map(doc: &mut AutoCommit, object: ObjectId, field: FieldId) -> AmResult<ObjId> {
    let obj = object_map(doc, object)?;
    let fields = ensure_map(doc, &obj, "fields")?;
    ensure_map(doc, &fields, &field.to_string())
}

fn option_map(doc: &mut AutoCommit, object: ObjectId, field: FieldId, option: OptionId) -> AmResult<ObjId> {
    let f = field_map(doc, object, field)?;
    let options = ensure_map(doc, &f, "options")?;
    ensure_map(doc, &options, &option.to_string())
}

/// Writes a whole new object (with its fields).
pub(crate) fn put_object(doc: &mut AutoCommit, object: &ObjectDef) -> AmResult<()> {
    let obj = object_map(doc, object.id)?;
    doc.put(&obj, "key", object.key.as_str())?;
    doc.put(&obj, "label", object.label.as_str())?;
    doc.put(&obj, "order", object.order)?;
    doc.put(&obj, "archived", object.archived)?;
    for field in &object.fields {
        put_field(doc, object.id, field)?;
    }
    Ok(())
}

/// Writes a whole new field (with its options).
pub(crate) fn put_field(doc: &mut AutoCommit, object: ObjectId, field: &FieldDef) -> AmResult<()> {
    let f = field_map(doc, object, field.id)?;
    doc.put(&f, "key", field.key.as_str())?;
    doc.put(&f, "label", field.label.as_str())?;
    doc.put(&f, "type", field.kind.as_str())?;
    doc.put(&f, "required", field.required)?;
    doc.put(&f, "unique", field.unique)?;
    doc.put(&f, "order", field.order)?;
    doc.put(&f, "archived", field.archived)?;
    if let Some(target) = field.target {
        doc.put(&f, "target", target.to_string())?;
    }
    doc.put(&f, "many", field.many)?;
    doc.put(&f, "currency", field.currency.as_str())?;
    doc.put(&f, "max_rating", field.max_rating as i64)?;
    doc.put_object(&f, "previous_types", ObjType::List)?;
    for option in &field.options {
        put_option(doc, object, field.id, option)?;
    }
    Ok(())
}

/// Writes a whole new option.
pub(crate) fn put_option(
    doc: &mut AutoCommit,
    object: ObjectId,
    field: FieldId,
    option: &SelectOption,
) -> AmResult<()> {
    let o = option_map(doc, object, field, option.id)?;
    doc.put(&o, "label", option.label.as_str())?;
    doc.put(&o, "color", option.color.as_str())?;
    doc.put(&o, "order", option.order)?;
    doc.put(&o, "archived", option.archived)?;
    Ok(())
}

/// A property of an object, field or option to set.
pub(crate) enum Prop<'a> {
    Str(&'a str),
    Int(i64),
    Bool(bool),
}

fn put_prop(doc: &mut AutoCommit, obj: &ObjId, key: &str, value: Prop<'_>) -> AmResult<()> {
    match value {
        Prop::Str(s) => doc.put(obj, key, s),
        Prop::Int(n) => doc.put(obj, key, n),
        Prop::Bool(b) => doc.put(obj, key, b),
    }
}

pub(crate) fn set_object_prop(doc: &mut AutoCommit, object: ObjectId, key: &str, value: Prop<'_>) -> AmResult<()> {
    let obj = object_map(doc, object)?;
    put_prop(doc, &obj, key, value)
}

pub(crate) fn set_field_prop(
    doc: &mut AutoCommit,
    object: ObjectId,
    field: FieldId,
    key: &str,
    value: Prop<'_>,
) -> AmResult<()> {
    let f = field_map(doc, object, field)?;
    put_prop(doc, &f, key, value)
}

pub(crate) fn set_option_prop(
    doc: &mut AutoCommit,
    object: ObjectId,
    field: FieldId,
    option: OptionId,
    key: &str,
    value: Prop<'_>,
) -> AmResult<()> {
    let o = option_map(doc, object, field, option)?;
    put_prop(doc, &o, key, value)
}

/// Changes a field's type, remembering the one it had.
pub(crate) fn retype_field(
    doc: &mut AutoCommit,
    object: ObjectId,
    field: FieldId,
    from: FieldKind,
    to: FieldKind,
) -> AmResult<()> {
    let f = field_map(doc, object, field)?;
    let list = match doc.get(&f, "previous_types")? {
        Some((Value::Object(ObjType::List), id)) => id,
        _ => doc.put_object(&f, "previous_types", ObjType::List)?,
    };
    let len = doc.length(&list);
    doc.insert(&list, len, from.as_str())?;
    doc.put(&f, "type", to.as_str())
}

/// Records which user a device's actor id belongs to.
pub(crate) fn put_member(doc: &mut AutoCommit, actor_hex: &str, user: &str) -> AmResult<()> {
    let members = ensure_map(doc, &ROOT, "members")?;
    doc.put(&members, actor_hex, user)
}

/// Sets the workspace's number format: a scalar on the root (no container, so devices
/// that set it concurrently simply settle on one value, like any edit).
pub(crate) fn set_number_format(doc: &mut AutoCommit, format: &crate::NumberFormat) -> AmResult<()> {
    doc.put(ROOT, "number_format", format.sample())
}

/// Marks the document as a schema document and gives it its `objects` map and its
/// configuration manifest, in the same change as the root.
pub(crate) fn ensure_root(doc: &mut AutoCommit) -> AmResult<()> {
    doc.put(ROOT, crate::doc_kind::KIND, DocKind::Schema.as_str())?;
    ensure_map(doc, &ROOT, CONFIG_DOCS)?;
    ensure_map(doc, &ROOT, "objects").map(|_| ())
}

/// Lists a configuration document in the manifest. A schema document made before the
/// manifest existed gets the map on its first registration.
pub(crate) fn register_config_doc(doc: &mut AutoCommit, entry: &ConfigDoc) -> AmResult<()> {
    let manifest = ensure_map(doc, &ROOT, CONFIG_DOCS)?;
    let e = doc.put_object(&manifest, entry.id.to_string(), ObjType::Map)?;
    doc.put(&e, "kind", entry.kind.as_str())?;
    doc.put(&e, "name", entry.name.as_str())?;
    doc.put(&e, "created_at", entry.created_at)
}

/// Whether a document is the schema document, by its kind (a device joining a workspace
/// learns which document holds the schema this way).
pub(crate) fn is_schema_doc(doc: &Automerge) -> bool {
    crate::doc_kind::kind_of(doc) == Some(DocKind::Schema)
}
