//! Adding and editing computed fields (formulas, lookups, rollups): resolving what a
//! person wrote against the schema, deciding the result type, refusing cycles. Saving
//! goes through the ordinary schema write, which recomputes the object's rows.

use super::Workspace;
use super::computed::{find_cycle, lookup_kind, owner_of, rollup_kind};
use crate::error::{Result, SchemaError};
use crate::schema::doc as sdoc;
use crate::schema::{Aggregate, Computed, FieldDef, FieldKind, ObjectDef, Rollup, Schema};
use crate::{FieldId, ObjectId};

/// A computed field's definition as a person writes it (names, not ids).
#[derive(Debug, Clone, PartialEq)]
pub enum ComputedSpec {
    /// A formula's source (`amount * 2`, `company.industry`).
    Formula(String),
    /// `relation.field`: a field of the record a relation field of this object holds.
    Lookup(String),
    /// `<via>.<field> <aggregate> [where <filter>]` or `<via> count [where <filter>]`;
    /// `<via>` is a relation field of this object, or an object whose relation field
    /// points here (`deals`, or `deals/company` when it has several).
    Rollup(String),
}

/// What a computed field resolves to: its definition, result type and currency.
pub(super) struct Resolved {
    pub(super) computed: Computed,
    pub(super) kind: FieldKind,
    pub(super) currency: Option<String>,
}

fn invalid(object: &ObjectDef, key: &str, reason: impl Into<String>) -> SchemaError {
    SchemaError::InvalidSetting {
        object: object.key.clone(),
        field: key.to_string(),
        reason: reason.into(),
    }
}

/// Resolves a lookup `relation.field` on `object`.
fn resolve_lookup(schema: &Schema, object: &ObjectDef, key: &str, text: &str) -> Result<Resolved, SchemaError> {
    let (relation, target) = text.trim().split_once('.').ok_or_else(|| {
        invalid(
            object,
            key,
            format!("a lookup is written relation.field (like company.industry), not '{text}'"),
        )
    })?;
    let rel = object
        .find_field(relation)
        .filter(|f| f.kind == FieldKind::Relation)
        .ok_or_else(|| {
            invalid(
                object,
                key,
                format!("'{relation}' is not a relation field of {}", object.key),
            )
        })?;
    let to = rel.target.and_then(|t| schema.object(t)).ok_or_else(|| {
        invalid(
            object,
            key,
            format!("relation '{}' may hold any object: a lookup needs one target", rel.key),
        )
    })?;
    let field = to
        .find_field(target)
        .ok_or_else(|| invalid(object, key, format!("{} has no field named '{target}'", to.key)))?;
    Ok(Resolved {
        computed: Computed::Lookup {
            relation: rel.id,
            target: field.id,
        },
        kind: lookup_kind(field),
        currency: Some(field.currency.clone()),
    })
}

/// Resolves a rollup `<via>[.<field>] <aggregate> [where <filter>]` on `object`.
fn resolve_rollup(schema: &Schema, object: &ObjectDef, key: &str, text: &str) -> Result<Resolved, SchemaError> {
    let bad = |reason: String| invalid(object, key, reason);
    let (head, filter) = match text.find(" where ") {
        Some(at) => (&text[..at], Some(text[at + 7..].trim().to_string())),
        None => (text, None),
    };
    let mut words = head.split_whitespace();
    let (Some(path), Some(aggregate), None) = (words.next(), words.next(), words.next()) else {
        return Err(bad(format!(
            "a rollup is written '<relation>.<field> <sum|avg|min|max> [where <filter>]' or '<relation> count [where <filter>]', not '{text}'"
        )));
    };
    let aggregate: Aggregate = aggregate.parse().map_err(bad)?;
    let (via, target) = match path.rsplit_once('.') {
        Some((via, target)) => (via, Some(target)),
        None => (path, None),
    };
    // The relation: a relation field of this object, else another object's relation
    // field pointing here (`deals`, or `deals/company` to pick one of several).
    let (relation, related): (&FieldDef, &ObjectDef) =
        match object.find_field(via).filter(|f| f.kind == FieldKind::Relation) {
            Some(rel) => {
                let to = rel.target.and_then(|t| schema.object(t)).ok_or_else(|| {
                    bad(format!(
                        "relation '{}' may hold any object: a rollup needs one target",
                        rel.key
                    ))
                })?;
                (rel, to)
            }
            None => {
                let (other, named) = match via.split_once('/') {
                    Some((o, r)) => (o, Some(r)),
                    None => (via, None),
                };
                let other = schema.find_object(other).ok_or_else(|| {
                    bad(format!(
                        "'{via}' is neither a relation field of {} nor an object",
                        object.key
                    ))
                })?;
                let pointing: Vec<&FieldDef> = other
                    .active_fields()
                    .filter(|f| f.kind == FieldKind::Relation && f.target.is_none_or(|t| t == object.id))
                    .filter(|f| named.is_none_or(|n| f.key.eq_ignore_ascii_case(n) || f.label.eq_ignore_ascii_case(n)))
                    .collect();
                match pointing.as_slice() {
                    [one] => (*one, other),
                    [] => {
                        return Err(bad(format!(
                            "no relation field of {} points to {}",
                            other.key, object.key
                        )));
                    }
                    several => {
                        let names: Vec<String> = several.iter().map(|f| format!("{}/{}", other.key, f.key)).collect();
                        return Err(bad(format!(
                            "several relations of {} point here: write one of {}",
                            other.key,
                            names.join(", ")
                        )));
                    }
                }
            }
        };
    let target = match target {
        Some(t) => Some(
            related
                .find_field(t)
                .ok_or_else(|| bad(format!("{} has no field named '{t}'", related.key)))?,
        ),
        None => None,
    };
    let kind = rollup_kind(aggregate, target).map_err(bad)?;
    if let Some(f) = &filter {
        let ast = crate::query::parse_filter(f).map_err(|e| bad(format!("filter: {e}")))?;
        let by_id = |_: Option<ObjectId>, name: &str| name.parse::<crate::RecordId>().map_err(|e| e.to_string());
        crate::query::resolve_filter_in(schema, related.id, &ast, &by_id).map_err(|e| bad(format!("filter: {e}")))?;
    }
    // Stored with fields and options by id: renaming them keeps the rollup's records.
    let filter = filter.map(|f| crate::query::filter_to_stored(schema, related.id, &f));
    Ok(Resolved {
        computed: Computed::Rollup(Rollup {
            relation: relation.id,
            aggregate,
            target: target.map(|t| t.id),
            filter,
        }),
        kind,
        currency: target.map(|t| t.currency.clone()),
    })
}

fn resolve(schema: &Schema, object: &ObjectDef, key: &str, spec: &ComputedSpec) -> Result<Resolved> {
    Ok(match spec {
        ComputedSpec::Lookup(text) => resolve_lookup(schema, object, key, text)?,
        ComputedSpec::Rollup(text) => resolve_rollup(schema, object, key, text)?,
        ComputedSpec::Formula(source) => super::formula_eval::resolve(schema, object, key, source)?,
    })
}

impl Workspace {
    /// Adds a computed field; its values are computed for every record at once.
    pub fn add_computed_field(
        &mut self,
        object: ObjectId,
        key: &str,
        label: &str,
        spec: &ComputedSpec,
    ) -> Result<FieldId> {
        let obj = self.object_def(object)?.clone();
        self.check_computed_key(&obj, key)?;
        if label.trim().is_empty() {
            return Err(SchemaError::EmptyLabel.into());
        }
        let resolved = resolve(&self.schema, &obj, key, spec)?;
        let mut field = FieldDef::new(key, label.trim(), resolved.kind);
        field.order = obj.fields.iter().map(|f| f.order.saturating_add(1)).max().unwrap_or(0);
        if let Some(code) = resolved.currency {
            field.currency = code;
        }
        field.computed = Some(resolved.computed);
        self.refuse_cycle(object, &field)?;
        let id = field.id;
        self.schema_write_with("schema", |doc| sdoc::put_field(doc, object, &field))?;
        Ok(id)
    }

    /// Replaces a computed field's definition (same kind of computation or another);
    /// its values are recomputed.
    pub fn edit_computed_field(&mut self, object: ObjectId, field: FieldId, spec: &ComputedSpec) -> Result<()> {
        let obj = self.object_def(object)?.clone();
        let mut def = self.field_def(object, field)?.clone();
        if def.computed.is_none() {
            return Err(invalid(&obj, &def.key, "is a stored field, not a computed one").into());
        }
        let resolved = resolve(&self.schema, &obj, &def.key, spec)?;
        def.kind = resolved.kind;
        if let Some(code) = resolved.currency {
            def.currency = code;
        }
        def.computed = Some(resolved.computed);
        self.refuse_cycle(object, &def)?;
        let currency = def.currency.clone();
        self.schema_write_with("schema", |doc| {
            sdoc::set_computed(doc, object, &def)?;
            sdoc::set_field_prop(doc, object, field, "currency", sdoc::Prop::Str(&currency))
        })
    }

    /// How a computed field is written, with today's keys and labels (`field list`,
    /// editors); `None` for a stored field.
    pub fn computed_source(&self, object: ObjectId, field: FieldId) -> Option<String> {
        let obj = self.schema.object(object)?;
        let def = obj.field(field)?;
        let name = |id: FieldId| owner_of(&self.schema, id).map_or_else(|| id.to_string(), |(_, f)| f.key.clone());
        Some(match def.computed.as_ref()? {
            Computed::Formula { formula } => super::formula_eval::display(&self.schema, obj, formula),
            Computed::Lookup { relation, target } => format!("{}.{}", name(*relation), name(*target)),
            Computed::Rollup(r) => {
                let via = match owner_of(&self.schema, r.relation) {
                    Some((o, f)) if o.id == object => f.key.clone(),
                    Some((o, f)) => format!("{}/{}", o.key, f.key),
                    None => r.relation.to_string(),
                };
                let path = match r.target {
                    Some(t) => format!("{via}.{}", name(t)),
                    None => via,
                };
                let mut out = format!("{path} {}", r.aggregate.as_str());
                if let Some(f) = &r.filter {
                    let related = match owner_of(&self.schema, r.relation) {
                        Some((o, f)) if o.id == object => f.target,
                        Some((o, _)) => Some(o.id),
                        None => None,
                    };
                    out.push_str(" where ");
                    match related {
                        Some(related) => out.push_str(&crate::query::filter_to_shown(&self.schema, related, f)),
                        None => out.push_str(f),
                    }
                }
                out
            }
        })
    }

    fn check_computed_key(&self, obj: &ObjectDef, key: &str) -> Result<(), SchemaError> {
        if !crate::schema::is_valid_key(key) {
            return Err(SchemaError::InvalidKey(key.to_string()));
        }
        if obj.fields.iter().any(|f| f.key == key) {
            return Err(SchemaError::DuplicateKey {
                what: "field",
                key: key.to_string(),
            });
        }
        Ok(())
    }

    /// Refuses a definition that would make computed fields read each other in a circle.
    fn refuse_cycle(&self, object: ObjectId, field: &FieldDef) -> Result<(), SchemaError> {
        let mut schema = self.schema.clone();
        let Some(obj) = schema.objects.iter_mut().find(|o| o.id == object) else {
            return Err(SchemaError::UnknownObject(object.to_string()));
        };
        match obj.fields.iter_mut().find(|f| f.id == field.id) {
            Some(existing) => *existing = field.clone(),
            None => obj.fields.push(field.clone()),
        }
        let key = obj.key.clone();
        let formulas = super::formula_eval::compile_all(&schema);
        match find_cycle(&schema, &formulas) {
            Some(cycle) => Err(SchemaError::InvalidSetting {
                object: key,
                field: field.key.clone(),
                reason: format!("circular reference: {cycle}"),
            }),
            None => Ok(()),
        }
    }
}

/// `meta` key: the day (days since 1970-01-01, i32 little-endian) formulas reading
/// `today()` were last computed for.
const COMPUTED_DAY: &str = "computed_day";

impl Workspace {
    /// Recomputes the formulas that read today's date if the date changed since they
    /// were computed (called when a workspace opens; long-running processes call it
    /// from time to time). Returns whether anything was recomputed.
    pub fn refresh_today_formulas(&mut self) -> Result<bool> {
        // Rules reading today() too: their breaks are recomputed on a new day.
        self.refresh_rule_breaks()?;
        let deriver = self.deriver();
        let objects: std::collections::BTreeSet<ObjectId> = self
            .schema
            .objects
            .iter()
            .filter(|o| {
                o.fields
                    .iter()
                    .any(|f| deriver.formulas.get(&f.id).is_some_and(|c| c.uses_today()))
            })
            .map(|o| o.id)
            .collect();
        if objects.is_empty() {
            return Ok(false);
        }
        let tx = self.store.read()?;
        let day = crate::store::get_meta(&tx, COMPUTED_DAY)?
            .and_then(|b| b.try_into().ok())
            .map(i32::from_le_bytes);
        drop(tx);
        if day == Some(deriver.today) {
            return Ok(false);
        }
        let changes = super::Changes {
            objects: objects.iter().copied().collect(),
            ..super::Changes::local()
        };
        self.write_telling(changes, |tx| {
            let mut derived = self.derived_tables(tx)?;
            super::derive::recompute_objects(&deriver, &mut derived, &objects)?;
            crate::store::set_meta(tx, COMPUTED_DAY, &deriver.today.to_le_bytes())?;
            Ok(())
        })?;
        Ok(true)
    }
}

/// What a computed definition yields on one record, before it is saved (editors show
/// it as people type).
#[derive(Debug, Clone, PartialEq)]
pub struct ComputedPreview {
    /// The record it was computed on (`None`: the object has no records).
    pub record: Option<crate::RecordId>,
    /// The result type.
    pub kind: FieldKind,
    /// The value as the field would show it (empty when it computes to nothing).
    pub display: String,
}

/// Related rows read from a read transaction (previews).
struct ReadRelated {
    rows: redb::ReadOnlyTable<&'static [u8], &'static [u8]>,
    index: redb::ReadOnlyTable<&'static [u8], ()>,
}

impl super::computed::Related for ReadRelated {
    fn live_row(&self, object: ObjectId, record: crate::RecordId) -> Option<crate::Row> {
        let bytes = self.rows.get(crate::store::row_key(object, record).as_slice()).ok()??;
        crate::store::decode_row(bytes.value()).ok()
    }

    fn holding(&self, relation: FieldId, def: &FieldDef, record: crate::RecordId) -> Vec<crate::RecordId> {
        let mut start = crate::store::index_key_prefix(relation);
        start.extend_from_slice(&crate::encoding::filter_value(
            def,
            &crate::Value::Records(vec![record]),
        ));
        let Some(end) = crate::encoding::prefix_end(&start) else {
            return Vec::new();
        };
        let Ok(range) = self.index.range(start.as_slice()..end.as_slice()) else {
            return Vec::new();
        };
        range
            .filter_map(|entry| {
                let (key, _) = entry.ok()?;
                let key = key.value();
                crate::RecordId::from_slice(&key[key.len().checked_sub(16)?..])
            })
            .collect()
    }
}

impl Workspace {
    /// Compiles a computed definition for `object` and computes it on `record` (or the
    /// object's first record) without saving anything. Errors are what saving would
    /// say (a formula's with line and column).
    pub fn preview_computed(
        &self,
        object: ObjectId,
        spec: &ComputedSpec,
        record: Option<crate::RecordId>,
    ) -> Result<ComputedPreview> {
        let obj = self.object_def(object)?.clone();
        let resolved = resolve(&self.schema, &obj, "preview", spec)?;
        let mut field = FieldDef::new("preview", "Preview", resolved.kind);
        if let Some(code) = resolved.currency {
            field.currency = code;
        }
        field.computed = Some(resolved.computed);
        let mut schema = self.schema.clone();
        if let Some(o) = schema.objects.iter_mut().find(|o| o.id == object) {
            o.fields.push(field.clone());
        }
        let record = match record {
            Some(r) => Some(r),
            None => self
                .query(&crate::Query {
                    limit: 1,
                    ..crate::Query::new(object)
                })?
                .ids
                .first()
                .copied(),
        };
        let Some(record) = record else {
            return Ok(ComputedPreview {
                record: None,
                kind: field.kind,
                display: String::new(),
            });
        };
        let mut row = self.row(record)?;
        let tx = self.store.read()?;
        let related = ReadRelated {
            rows: tx
                .open_table(crate::store::tables::ROWS)
                .map_err(crate::StoreError::from)?,
            index: tx
                .open_table(crate::store::tables::INDEX)
                .map_err(crate::StoreError::from)?,
        };
        let deriver = super::derive::Deriver::new(&schema, (self.clock)());
        deriver.compute(record, &mut row, &related);
        let display = row
            .get(field.id)
            .and_then(|s| crate::field_type::read(&field, s))
            .map(|v| crate::field_type::display(&field, &v))
            .unwrap_or_default();
        Ok(ComputedPreview {
            record: Some(record),
            kind: field.kind,
            display,
        })
    }
}
