//! The schema document: reading it into a [`Schema`] and writing schema changes.
//!
//! ```text
//! { kind: "schema", number_format?: "1,234.56",
//!   config_docs: { "<doc id>": { kind, name, created_at } }, objects: { "<object id>": { key, label, order, archived,
//!     fields: { "<field id>": { key, label, type, required, unique, order, archived,
//!       options: { "<option id>": { label, color, order, archived } },
//!       target?, many, currency, max_rating, previous_types: [type, ...],
//!       // computed fields (type formula | lookup | rollup), all set when the field is made:
//!       result_type?, formula?, relation?, source_field?, aggregate?, rollup_filter? } } } } }
//! ```
//!
//! Everything is keyed by random ids, so two devices adding fields concurrently both
//! keep theirs, and a rename is a label change that merges like any other edit. Every
//! map is created together with its parent (an object with its `fields`, a field with
//! its `options`), so two devices never create the same map; maps that older versions
//! did create twice are read merged and healed (`crate::merged`).
//!
//! Stability: this layout is what every replica holds.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, Automerge, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};

use super::model::{Aggregate, Computed, ConfigDoc, FieldDef, FieldKind, ObjectDef, Rollup, Schema, SelectOption};
use crate::{DocKind, merged};

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

// Readers below take a *node*: the maps that concurrent changes may have created under
// one key, winner first (`crate::merged`). A document with no such conflict has
// one-map nodes.

fn get_str<D: ReadDoc>(doc: &D, node: &[ObjId], key: &str) -> Option<String> {
    merged::scalar(doc, node, key).and_then(|s| s.as_str().map(str::to_string))
}

fn get_i64<D: ReadDoc>(doc: &D, node: &[ObjId], key: &str) -> Option<i64> {
    match merged::scalar(doc, node, key)? {
        ScalarValue::Int(n) => Some(n),
        ScalarValue::Uint(n) => i64::try_from(n).ok(),
        ScalarValue::F64(n) => Some(n as i64),
        _ => None,
    }
}

fn get_bool<D: ReadDoc>(doc: &D, node: &[ObjId], key: &str) -> bool {
    matches!(merged::scalar(doc, node, key), Some(ScalarValue::Boolean(true)))
}

/// The entries of a node that are maps, each as its own node.
fn entries<D: ReadDoc>(doc: &D, node: &[ObjId]) -> Vec<(String, Vec<ObjId>)> {
    merged::keys(doc, node)
        .into_iter()
        .filter_map(|key| {
            let child = merged::child_maps(doc, node, &key);
            (!child.is_empty()).then_some((key, child))
        })
        .collect()
}

/// Reads the whole schema. Entries that do not parse (written by a newer Kith, say) are
/// skipped rather than failing the workspace. Maps that concurrent changes created
/// twice are read as one (their entries merged), so no device's entry is hidden.
pub(crate) fn hydrate(doc: &Automerge) -> Schema {
    let mut objects = Vec::new();
    let root = [ROOT];
    let objects_node = merged::child_maps(doc, &root, "objects");
    for (id, obj) in entries(doc, &objects_node) {
        let Ok(id) = id.parse::<ObjectId>() else {
            continue;
        };
        let mut fields = Vec::new();
        let fields_node = merged::child_maps(doc, &obj, "fields");
        for (fid, f) in entries(doc, &fields_node) {
            if let Some(field) = read_field(doc, &fid, &f) {
                fields.push(field);
            }
        }
        settle_same_names(&mut fields);
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
    let members_node = merged::child_maps(doc, &root, "members");
    for key in merged::keys(doc, &members_node) {
        if let Some(user) = get_str(doc, &members_node, &key) {
            members.insert(key, user);
        }
    }
    let number_format = get_str(doc, &root, "number_format")
        .and_then(|f| f.parse().ok())
        .unwrap_or_default();
    let mut config_docs = Vec::new();
    let manifest = merged::child_maps(doc, &root, CONFIG_DOCS);
    if !manifest.is_empty() {
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

fn read_field(doc: &Automerge, id: &str, f: &[ObjId]) -> Option<FieldDef> {
    let id: FieldId = id.parse().ok()?;
    let type_name = get_str(doc, f, "type")?;
    let computed = read_computed(doc, f, &type_name);
    let kind: FieldKind = match &computed {
        Some(_) => get_str(doc, f, "result_type")
            .and_then(|t| t.parse().ok())
            .unwrap_or(FieldKind::Text),
        None => type_name.parse().ok()?,
    };
    let mut options = Vec::new();
    let options_node = merged::child_maps(doc, f, "options");
    for (oid, o) in entries(doc, &options_node) {
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
    options.sort_by(|a, b| a.order.cmp(&b.order).then(a.id.cmp(&b.id)));
    let previous_kinds = match merged::first_list(doc, f, "previous_types") {
        Some(list) => doc
            .list_range(&list, ..)
            .filter_map(|item| match item.value {
                automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(s)) => s.parse().ok(),
                _ => None,
            })
            .collect(),
        None => Vec::new(),
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
        merged_into: None,
        clashing_key: None,
        merged_options: std::collections::BTreeMap::new(),
        computed,
    })
}

/// The definition of a computed field (`type` formula, lookup or rollup). A computed
/// type whose settings are missing or unreadable reads as a formula that yields nothing.
fn read_computed(doc: &Automerge, f: &[ObjId], type_name: &str) -> Option<Computed> {
    let field = |key: &str| get_str(doc, f, key).and_then(|s| s.parse::<FieldId>().ok());
    match type_name {
        "formula" => Some(Computed::Formula {
            formula: get_str(doc, f, "formula").unwrap_or_default(),
        }),
        "lookup" => match (field("relation"), field("source_field")) {
            (Some(relation), Some(target)) => Some(Computed::Lookup { relation, target }),
            _ => Some(Computed::Formula { formula: String::new() }),
        },
        "rollup" => {
            let aggregate = get_str(doc, f, "aggregate").and_then(|a| a.parse::<Aggregate>().ok());
            match (field("relation"), aggregate) {
                (Some(relation), Some(aggregate)) => Some(Computed::Rollup(Rollup {
                    relation,
                    aggregate,
                    target: field("source_field"),
                    filter: get_str(doc, f, "rollup_filter").filter(|s| !s.trim().is_empty()),
                })),
                _ => Some(Computed::Formula { formula: String::new() }),
            }
        }
        _ => None,
    }
}

/// Writes a computed field's definition into its (new) field map.
fn put_computed(doc: &mut AutoCommit, f: &ObjId, field: &FieldDef, computed: &Computed) -> AmResult<()> {
    doc.put(f, "type", computed.type_name())?;
    doc.put(f, "result_type", field.kind.as_str())?;
    match computed {
        Computed::Formula { formula } => doc.put(f, "formula", formula.as_str())?,
        Computed::Lookup { relation, target } => {
            doc.put(f, "relation", relation.to_string())?;
            doc.put(f, "source_field", target.to_string())?;
        }
        Computed::Rollup(r) => {
            doc.put(f, "relation", r.relation.to_string())?;
            doc.put(f, "aggregate", r.aggregate.as_str())?;
            if let Some(target) = r.target {
                doc.put(f, "source_field", target.to_string())?;
            }
            doc.put(f, "rollup_filter", r.filter.as_deref().unwrap_or(""))?;
        }
    }
    Ok(())
}

/// Replaces a computed field's definition (an edit: every property is a scalar of the
/// field map, so concurrent edits of different properties merge).
pub(crate) fn set_computed(doc: &mut AutoCommit, object: ObjectId, field: &FieldDef) -> AmResult<()> {
    let Some(computed) = &field.computed else {
        return Ok(());
    };
    let f = field_map(doc, object, field.id)?;
    put_computed(doc, &f, field, computed)
}

/// Fields of one object that share a key, and options of one field that share a label,
/// can only come from devices adding them at the same time (each device refuses a
/// duplicate). They are read the same way on every replica, with no coordination:
/// the earliest id keeps the name; a later field is shown under the first free
/// `<key>_<n>` and, if it has the same type, becomes an archived alias of the earlier one
/// (`merged_into`: its values are moved there), else a clash to settle (`clashing_key`
/// keeps its own key); a later option is read as the earlier one.
fn settle_same_names(fields: &mut [FieldDef]) {
    let mut by_id: Vec<usize> = (0..fields.len()).collect();
    by_id.sort_by_key(|&i| fields[i].id);
    let mut taken: std::collections::BTreeSet<String> = fields.iter().map(|f| f.key.clone()).collect();
    let mut first: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for i in by_id {
        let Some(&kept) = first.get(&fields[i].key) else {
            first.insert(fields[i].key.clone(), i);
            continue;
        };
        let (a, b) = (&fields[kept], &fields[i]);
        let key = b.key.clone();
        if a.kind == b.kind && a.many == b.many && a.target == b.target && a.computed.is_none() && b.computed.is_none()
        {
            let into = a.id;
            fields[i].merged_into = Some(into);
            fields[i].archived = true;
        } else {
            fields[i].clashing_key = Some(key.clone());
        }
        // Either way it is shown under a free key: no two fields share one.
        let free = (2..)
            .map(|n| format!("{key}_{n}"))
            .find(|k| !taken.contains(k))
            .unwrap_or_default();
        taken.insert(free.clone());
        fields[i].key = free;
    }
    for field in fields.iter_mut() {
        let mut kept: Vec<SelectOption> = Vec::with_capacity(field.options.len());
        let mut by_id = std::mem::take(&mut field.options);
        by_id.sort_by_key(|o| o.id);
        for option in by_id {
            let label = crate::text::fold(&option.label);
            match kept.iter().find(|k| crate::text::fold(&k.label) == label) {
                Some(k) => {
                    field.merged_options.insert(option.id, k.id);
                }
                None => kept.push(option),
            }
        }
        kept.sort_by(|a, b| a.order.cmp(&b.order).then(a.id.cmp(&b.id)));
        field.options = kept;
    }
}

/// A container of an existing entity. Every container is created together with its
/// parent (see `put_object`, `put_field`, `ensure_root`), so this only creates one for
/// documents written before that rule; if two devices do so concurrently, readers merge
/// the two maps and `heal` folds them together.
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

/// Writes a whole new object with its `fields` map (and its fields). The map is created
/// here, with the object, never later by whichever device adds the first field: two
/// devices doing that offline would create two competing maps.
pub(crate) fn put_object(doc: &mut AutoCommit, object: &ObjectDef) -> AmResult<()> {
    let objects = ensure_map(doc, &ROOT, "objects")?;
    let obj = doc.put_object(&objects, object.id.to_string(), ObjType::Map)?;
    doc.put(&obj, "key", object.key.as_str())?;
    doc.put(&obj, "label", object.label.as_str())?;
    doc.put(&obj, "order", object.order)?;
    doc.put(&obj, "archived", object.archived)?;
    let fields = doc.put_object(&obj, "fields", ObjType::Map)?;
    for field in &object.fields {
        put_field_in(doc, &fields, field)?;
    }
    Ok(())
}

/// Writes a whole new field (with its options).
pub(crate) fn put_field(doc: &mut AutoCommit, object: ObjectId, field: &FieldDef) -> AmResult<()> {
    let obj = object_map(doc, object)?;
    let fields = ensure_map(doc, &obj, "fields")?;
    put_field_in(doc, &fields, field)
}

/// Writes a new field into an object's `fields` map, with its `options` map (every
/// field gets one: any field can become a select by retyping) and `previous_types`.
fn put_field_in(doc: &mut AutoCommit, fields: &ObjId, field: &FieldDef) -> AmResult<()> {
    let f = doc.put_object(fields, field.id.to_string(), ObjType::Map)?;
    doc.put(&f, "key", field.key.as_str())?;
    doc.put(&f, "label", field.label.as_str())?;
    match &field.computed {
        Some(computed) => put_computed(doc, &f, field, computed)?,
        None => doc.put(&f, "type", field.kind.as_str())?,
    }
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
    let options = doc.put_object(&f, "options", ObjType::Map)?;
    for option in &field.options {
        put_option_in(doc, &options, option)?;
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
    let f = field_map(doc, object, field)?;
    let options = ensure_map(doc, &f, "options")?;
    put_option_in(doc, &options, option)
}

fn put_option_in(doc: &mut AutoCommit, options: &ObjId, option: &SelectOption) -> AmResult<()> {
    let o = doc.put_object(options, option.id.to_string(), ObjType::Map)?;
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

/// Marks the document as a schema document and gives it its `objects` and `members`
/// maps and its configuration manifest, in the same change as the root (the workspace's
/// first change: no other device can create them).
pub(crate) fn ensure_root(doc: &mut AutoCommit) -> AmResult<()> {
    doc.put(ROOT, crate::doc_kind::KIND, DocKind::Schema.as_str())?;
    ensure_map(doc, &ROOT, CONFIG_DOCS)?;
    ensure_map(doc, &ROOT, "objects")?;
    ensure_map(doc, &ROOT, "members").map(|_| ())
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

/// Whether the schema document holds maps that concurrent changes created twice and
/// whose entries the winning map lacks (see `crate::merged`).
pub(crate) fn needs_heal<D: ReadDoc>(doc: &D) -> bool {
    merged::needs_heal(doc, &ROOT)
}

/// Folds such maps into their winners (the caller commits it as `heal`).
pub(crate) fn heal(doc: &mut AutoCommit) -> AmResult<bool> {
    merged::heal(doc, &ROOT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::ActorId;

    /// A schema whose object has no `fields` map (as versions before the container rule
    /// could leave it), then two devices that each add a field offline, creating the map
    /// twice; then each adds an option to the select field, creating `options` twice.
    fn conflicted_schema() -> (AutoCommit, ObjectId, [FieldId; 2], [OptionId; 2]) {
        let mut a = AutoCommit::new().with_actor(ActorId::random());
        ensure_root(&mut a).unwrap();
        let object = ObjectId::new();
        let objects = child_map(&a, &ROOT, "objects").unwrap();
        let obj = a.put_object(&objects, object.to_string(), ObjType::Map).unwrap();
        a.put(&obj, "key", "visits").unwrap();
        a.put(&obj, "label", "Visits").unwrap();
        a.commit();
        let mut b = a.fork().with_actor(ActorId::random());
        let legacy_field = |doc: &mut AutoCommit, key: &str, kind: &str| {
            let fields = doc.put_object(&obj, "fields", ObjType::Map).unwrap();
            let id = FieldId::new();
            let f = doc.put_object(&fields, id.to_string(), ObjType::Map).unwrap();
            doc.put(&f, "key", key).unwrap();
            doc.put(&f, "label", key).unwrap();
            doc.put(&f, "type", kind).unwrap();
            doc.commit();
            (id, f)
        };
        let (when, when_map) = legacy_field(&mut a, "when", "select");
        let (outcome, _) = legacy_field(&mut b, "outcome", "text");
        a.merge(&mut b).unwrap();
        let mut b = a.fork().with_actor(ActorId::random());
        let legacy_option = |doc: &mut AutoCommit, label: &str| {
            let options = doc.put_object(&when_map, "options", ObjType::Map).unwrap();
            let id = OptionId::new();
            let o = doc.put_object(&options, id.to_string(), ObjType::Map).unwrap();
            doc.put(&o, "label", label).unwrap();
            doc.commit();
            id
        };
        let high = legacy_option(&mut a, "High");
        let low = legacy_option(&mut b, "Low");
        a.merge(&mut b).unwrap();
        (a, object, [when, outcome], [high, low])
    }

    fn check(doc: &Automerge, object: ObjectId, fields: [FieldId; 2], options: [OptionId; 2]) {
        let schema = hydrate(doc);
        let obj = schema.object(object).expect("object");
        for f in fields {
            assert!(obj.field(f).is_some(), "field {f} missing");
        }
        let when = obj.field(fields[0]).expect("when");
        assert_eq!(when.key, "when");
        for o in options {
            assert!(when.option(o).is_some(), "option {o} missing");
        }
    }

    #[test]
    fn a_schema_whose_maps_were_created_twice_reads_every_entry() {
        let (mut doc, object, fields, options) = conflicted_schema();
        assert!(needs_heal(&doc));
        check(doc.document(), object, fields, options);
    }

    #[test]
    fn healing_a_schema_leaves_every_entry_in_the_winning_maps() {
        let (mut doc, object, fields, options) = conflicted_schema();
        assert!(heal(&mut doc).unwrap());
        doc.commit();
        assert!(!needs_heal(&doc));
        // Read through winners only: what the old reader saw.
        let objects = child_map(&doc, &ROOT, "objects").unwrap();
        let obj = child_map(&doc, &objects, &object.to_string()).unwrap();
        let fields_map = child_map(&doc, &obj, "fields").unwrap();
        for f in fields {
            assert!(child_map(&doc, &fields_map, &f.to_string()).is_some());
        }
        let when = child_map(&doc, &fields_map, &fields[0].to_string()).unwrap();
        let options_map = child_map(&doc, &when, "options").unwrap();
        for o in options {
            assert!(child_map(&doc, &options_map, &o.to_string()).is_some());
        }
        check(doc.document(), object, fields, options);
    }

    #[test]
    fn new_objects_and_fields_are_written_with_their_containers() {
        let mut doc = AutoCommit::new();
        ensure_root(&mut doc).unwrap();
        assert!(child_map(&doc, &ROOT, "members").is_some());
        let object = ObjectDef {
            id: ObjectId::new(),
            key: "visits".into(),
            label: "Visits".into(),
            order: 0,
            archived: false,
            fields: Vec::new(),
        };
        put_object(&mut doc, &object).unwrap();
        let field = FieldDef::new("when", "When", FieldKind::Datetime);
        put_field(&mut doc, object.id, &field).unwrap();
        let objects = child_map(&doc, &ROOT, "objects").unwrap();
        let obj = child_map(&doc, &objects, &object.id.to_string()).unwrap();
        let fields = child_map(&doc, &obj, "fields").unwrap();
        let f = child_map(&doc, &fields, &field.id.to_string()).unwrap();
        assert!(child_map(&doc, &f, "options").is_some());
    }
}
