//! The schema as a flat list of properties (`object … label`, `field … type`, …), so
//! two versions can be compared property by property: for schema history and for
//! reverting a schema change.

use std::collections::BTreeMap;

use crate::schema::Schema;
use crate::{FieldId, ObjectId, OptionId};

/// Where a schema property lives.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum SchemaProp {
    Object(ObjectId, &'static str),
    Field(ObjectId, FieldId, &'static str),
    Option(ObjectId, FieldId, OptionId, &'static str),
}

/// Every property of the schema with its value as text. `exists` marks an entity.
pub(crate) fn flatten(schema: &Schema) -> BTreeMap<SchemaProp, String> {
    let mut out = BTreeMap::new();
    for o in &schema.objects {
        let mut put = |prop, value: String| {
            out.insert(SchemaProp::Object(o.id, prop), value);
        };
        put("exists", "true".into());
        put("key", o.key.clone());
        put("label", o.label.clone());
        put("archived", o.archived.to_string());
        put("order", o.order.to_string());
        for f in &o.fields {
            let mut put = |prop, value: String| {
                out.insert(SchemaProp::Field(o.id, f.id, prop), value);
            };
            put("exists", "true".into());
            put("key", f.key.clone());
            put("label", f.label.clone());
            put("type", f.kind.as_str().into());
            put("required", f.required.to_string());
            put("unique", f.unique.to_string());
            put("archived", f.archived.to_string());
            put("order", f.order.to_string());
            put("target", f.target.map(|t| t.to_string()).unwrap_or_default());
            put("many", f.many.to_string());
            put("currency", f.currency.clone());
            put("max_rating", f.max_rating.to_string());
            for p in &f.options {
                let mut put = |prop, value: String| {
                    out.insert(SchemaProp::Option(o.id, f.id, p.id, prop), value);
                };
                put("exists", "true".into());
                put("label", p.label.clone());
                put("color", p.color.clone());
                put("order", p.order.to_string());
                put("archived", p.archived.to_string());
            }
        }
    }
    out
}
