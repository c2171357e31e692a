//! Field and option operations on the schema: add, rename, reorder, archive, require,
//! make unique, retype a field; add, rename, recolor, reorder, archive an option. Each is
//! one commit on the schema document and one write transaction (`schema_ops.rs`).

use std::collections::BTreeSet;

use super::Workspace;
use crate::error::{Result, SchemaError};
use crate::schema::doc::{self as sdoc, Prop};
use crate::schema::{FieldDef, FieldKind, ObjectDef, SelectOption, is_valid_key};
use crate::{FieldId, ObjectId, OptionId, RecordId, field_type};

/// What a new field should be.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    pub required: bool,
    pub unique: bool,
    /// Select / multi-select option labels, in order.
    pub options: Vec<String>,
    /// Relation target object (`None`: any object).
    pub target: Option<ObjectId>,
    pub many: bool,
    /// Default currency code.
    pub currency: Option<String>,
    pub max_rating: Option<u8>,
}

impl FieldSpec {
    pub fn new(key: &str, label: &str, kind: FieldKind) -> Self {
        FieldSpec {
            key: key.to_string(),
            label: label.to_string(),
            kind,
            required: false,
            unique: false,
            options: Vec::new(),
            target: None,
            many: false,
            currency: None,
            max_rating: None,
        }
    }
}

/// What retyping a field did to its values. Nothing is ever dropped: values that do not
/// convert are kept as they were, shown as they are, and listed here.
#[derive(Debug, Clone, Default)]
pub struct RetypeReport {
    pub converted: usize,
    /// Records whose value does not convert, with the value as stored.
    pub unconverted: Vec<(RecordId, String)>,
}

const COLORS: [&str; 8] = ["gray", "blue", "green", "yellow", "orange", "red", "purple", "pink"];

impl Workspace {
    fn check_field_key(&self, object: &ObjectDef, key: &str, except: Option<FieldId>) -> Result<(), SchemaError> {
        if !is_valid_key(key) {
            return Err(SchemaError::InvalidKey(key.to_string()));
        }
        if let Some(f) = object.fields.iter().find(|f| f.key == key && Some(f.id) != except)
            && f.archived
        {
            return Err(SchemaError::ArchivedKey {
                what: "field",
                key: format!("{}.{key}", object.key),
                restore: format!("{} {key}", object.key),
            });
        }
        if object.fields.iter().any(|f| f.key == key && Some(f.id) != except) {
            return Err(SchemaError::DuplicateKey {
                what: "field",
                key: format!("{}.{key}", object.key),
            });
        }
        Ok(())
    }

    /// Adds a field at the end of an object's fields.
    pub fn add_field(&mut self, object: ObjectId, spec: FieldSpec) -> Result<FieldId> {
        self.add_field_with(object, spec, "schema")
    }

    /// Adds a field as part of an import's change group, so that reverting the import
    /// archives it again.
    pub fn add_field_in_group(&mut self, object: ObjectId, spec: FieldSpec, group: crate::GroupId) -> Result<FieldId> {
        self.add_field_with(object, spec, &format!("import:{group}"))
    }

    fn add_field_with(&mut self, object: ObjectId, spec: FieldSpec, message: &str) -> Result<FieldId> {
        let obj = self.object_def(object)?;
        self.check_field_key(obj, &spec.key, None)?;
        if spec.label.trim().is_empty() {
            return Err(SchemaError::EmptyLabel.into());
        }
        if let Some(target) = spec.target {
            self.object_def(target)?;
        }
        let invalid = |reason: &str| SchemaError::InvalidSetting {
            object: obj.key.clone(),
            field: spec.key.clone(),
            reason: reason.into(),
        };
        if spec.kind == FieldKind::Relation && spec.target.is_none() && !spec.many {
            // Allowed: a one-relation to any object. Nothing to check.
        }
        if let Some(code) = &spec.currency
            && !(code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic()))
        {
            return Err(invalid(&format!("'{code}' is not an ISO 4217 currency code")).into());
        }
        if spec.max_rating.is_some_and(|m| !(1..=10).contains(&m)) {
            return Err(invalid("the highest rating must be between 1 and 10").into());
        }
        if spec.required && self.count_all(object)? > 0 {
            return Err(SchemaError::RuleNotMet {
                object: obj.key.clone(),
                field: spec.key.clone(),
                rule: "required",
                reason: "existing records have no value for a new field; add it, fill it, then make it required".into(),
            }
            .into());
        }
        let mut field = FieldDef::new(&spec.key, spec.label.trim(), spec.kind);
        field.required = spec.required;
        field.unique = spec.unique;
        field.order = obj.fields.iter().map(|f| f.order.saturating_add(1)).max().unwrap_or(0);
        field.target = spec.target;
        field.many = spec.many;
        if let Some(code) = spec.currency {
            field.currency = code.to_ascii_uppercase();
        }
        if let Some(max) = spec.max_rating {
            field.max_rating = max;
        }
        field.options = new_options(&[], &spec.options);
        let id = field.id;
        self.schema_write_with(message, |doc| sdoc::put_field(doc, object, &field))?;
        Ok(id)
    }

    /// Renames a field: a new label, a new key, or both. Values are untouched (they are
    /// keyed by the field's id).
    pub fn rename_field(
        &mut self,
        object: ObjectId,
        field: FieldId,
        label: Option<&str>,
        key: Option<&str>,
    ) -> Result<()> {
        self.field_def(object, field)?;
        if let Some(key) = key {
            self.check_field_key(self.object_def(object)?, key, Some(field))?;
        }
        if label.is_some_and(|l| l.trim().is_empty()) {
            return Err(SchemaError::EmptyLabel.into());
        }
        self.schema_write(|doc| {
            if let Some(label) = label {
                sdoc::set_field_prop(doc, object, field, "label", Prop::Str(label.trim()))?;
            }
            if let Some(key) = key {
                sdoc::set_field_prop(doc, object, field, "key", Prop::Str(key))?;
            }
            Ok(())
        })
    }

    /// Moves a field to `position` (0-based) among the object's fields.
    pub fn reorder_field(&mut self, object: ObjectId, field: FieldId, position: usize) -> Result<()> {
        self.field_def(object, field)?;
        let mut ids: Vec<FieldId> = self
            .object_def(object)?
            .fields
            .iter()
            .map(|f| f.id)
            .filter(|id| *id != field)
            .collect();
        ids.insert(position.min(ids.len()), field);
        let current: Vec<(FieldId, i64)> = self
            .object_def(object)?
            .fields
            .iter()
            .map(|f| (f.id, f.order))
            .collect();
        self.schema_write(|doc| {
            for (i, id) in ids.iter().enumerate() {
                if current.iter().find(|(f, _)| f == id).map(|(_, o)| *o) != Some(i as i64) {
                    sdoc::set_field_prop(doc, object, *id, "order", Prop::Int(i as i64))?;
                }
            }
            Ok(())
        })
    }

    /// Archives (hides) or restores a field. Its values are kept either way.
    pub fn set_field_archived(&mut self, object: ObjectId, field: FieldId, archived: bool) -> Result<()> {
        self.field_def(object, field)?;
        self.schema_write(|doc| sdoc::set_field_prop(doc, object, field, "archived", Prop::Bool(archived)))
    }

    /// Makes a field required or not. Refused while live records have no value for it.
    pub fn set_field_required(&mut self, object: ObjectId, field: FieldId, required: bool) -> Result<()> {
        let def = self.field_def(object, field)?;
        if required {
            let empty = self.count_empty(field)?;
            if empty > 0 {
                return Err(SchemaError::RuleNotMet {
                    object: self.object_def(object)?.key.clone(),
                    field: def.key.clone(),
                    rule: "required",
                    reason: format!("{empty} record(s) have no value"),
                }
                .into());
            }
        }
        self.schema_write(|doc| sdoc::set_field_prop(doc, object, field, "required", Prop::Bool(required)))
    }

    /// Makes a field unique or not. Refused while two live records share a value.
    pub fn set_field_unique(&mut self, object: ObjectId, field: FieldId, unique: bool) -> Result<()> {
        let def = self.field_def(object, field)?;
        if unique && let Some(dup) = self.first_duplicate(object, field)? {
            return Err(SchemaError::RuleNotMet {
                object: self.object_def(object)?.key.clone(),
                field: def.key.clone(),
                rule: "unique",
                reason: format!("'{dup}' is used by more than one record"),
            }
            .into());
        }
        self.schema_write(|doc| sdoc::set_field_prop(doc, object, field, "unique", Prop::Bool(unique)))
    }

    /// Changes a field's type. Stored values are kept as they are and read through the
    /// new type; retyping back shows them exactly as before. Retyping text to a select
    /// with no options creates one option per distinct value.
    pub fn retype_field(
        &mut self,
        object: ObjectId,
        field: FieldId,
        kind: FieldKind,
        target: Option<ObjectId>,
    ) -> Result<RetypeReport> {
        let def = self.field_def(object, field)?.clone();
        if let Some(t) = target {
            self.object_def(t)?;
        }
        if let Some(computed) = &def.computed {
            let obj = self.object_def(object)?;
            return Err(SchemaError::InvalidSetting {
                object: obj.key.clone(),
                field: def.key.clone(),
                reason: format!(
                    "is a {}: its type follows from what it computes (change that with `kith field edit`)",
                    computed.type_name()
                ),
            }
            .into());
        }
        let from = def.kind;
        let mut created = Vec::new();
        if matches!(kind, FieldKind::Select | FieldKind::MultiSelect) && def.options.is_empty() {
            let mut seen = BTreeSet::new();
            let mut probe = def.clone();
            probe.kind = FieldKind::Text;
            self.for_each_row(object, |_, row| {
                if let Some(stored) = row.get(field)
                    && let Some(crate::Value::Text(s)) = field_type::read(&probe, stored)
                {
                    let s = s.trim().to_string();
                    if !s.is_empty() && seen.len() < 200 && !seen.iter().any(|x: &String| x.eq_ignore_ascii_case(&s)) {
                        seen.insert(s);
                    }
                }
            })?;
            created = new_options(&[], &seen.into_iter().collect::<Vec<_>>());
        }
        if from != kind || target.is_some() || !created.is_empty() {
            self.schema_write(|doc| {
                if from != kind {
                    sdoc::retype_field(doc, object, field, from, kind)?;
                }
                if let Some(t) = target {
                    sdoc::set_field_prop(doc, object, field, "target", Prop::Str(&t.to_string()))?;
                }
                for option in &created {
                    sdoc::put_option(doc, object, field, option)?;
                }
                Ok(())
            })?;
        }
        let def = self.field_def(object, field)?.clone();
        let mut report = RetypeReport::default();
        self.for_each_row(object, |record, row| {
            if let Some(stored) = row.get(field) {
                match field_type::read(&def, stored) {
                    Some(_) => report.converted += 1,
                    None => report.unconverted.push((record, stored.raw_text())),
                }
            }
        })?;
        Ok(report)
    }

    /// Adds options to a select or multi-select field.
    pub fn add_options(&mut self, object: ObjectId, field: FieldId, labels: &[String]) -> Result<Vec<OptionId>> {
        self.add_options_with(object, field, labels, "schema")
    }

    /// Adds options as part of an import's change group, so that reverting the import
    /// removes them too.
    pub fn add_options_in_group(
        &mut self,
        object: ObjectId,
        field: FieldId,
        labels: &[String],
        group: crate::GroupId,
    ) -> Result<Vec<OptionId>> {
        self.add_options_with(object, field, labels, &format!("import:{group}"))
    }

    fn add_options_with(
        &mut self,
        object: ObjectId,
        field: FieldId,
        labels: &[String],
        message: &str,
    ) -> Result<Vec<OptionId>> {
        let def = self.field_def(object, field)?;
        for label in labels {
            if label.trim().is_empty() {
                return Err(SchemaError::EmptyLabel.into());
            }
            if def.options.iter().any(|o| o.label.eq_ignore_ascii_case(label.trim())) {
                return Err(SchemaError::DuplicateKey {
                    what: "option",
                    key: label.trim().to_string(),
                }
                .into());
            }
        }
        let options = new_options(&def.options, labels);
        let ids = options.iter().map(|o| o.id).collect();
        self.schema_write_with(message, |doc| {
            options.iter().try_for_each(|o| sdoc::put_option(doc, object, field, o))
        })?;
        Ok(ids)
    }

    fn option_def(&self, object: ObjectId, field: FieldId, name: &str) -> Result<SelectOption> {
        let def = self.field_def(object, field)?;
        def.option_named(name).cloned().ok_or_else(|| {
            SchemaError::UnknownOption {
                object: self.object_def(object).map(|o| o.key.clone()).unwrap_or_default(),
                field: def.key.clone(),
                option: name.to_string(),
            }
            .into()
        })
    }

    /// Renames an option (values keep pointing at it: they hold its id).
    pub fn rename_option(&mut self, object: ObjectId, field: FieldId, option: &str, label: &str) -> Result<()> {
        let o = self.option_def(object, field, option)?;
        if label.trim().is_empty() {
            return Err(SchemaError::EmptyLabel.into());
        }
        self.schema_write(|doc| sdoc::set_option_prop(doc, object, field, o.id, "label", Prop::Str(label.trim())))
    }

    /// Sets an option's colour.
    pub fn recolor_option(&mut self, object: ObjectId, field: FieldId, option: &str, color: &str) -> Result<()> {
        let o = self.option_def(object, field, option)?;
        self.schema_write(|doc| sdoc::set_option_prop(doc, object, field, o.id, "color", Prop::Str(color)))
    }

    /// Moves an option to `position` (0-based); selects sort in option order.
    pub fn reorder_option(&mut self, object: ObjectId, field: FieldId, option: &str, position: usize) -> Result<()> {
        let o = self.option_def(object, field, option)?;
        let def = self.field_def(object, field)?;
        let current: Vec<(OptionId, i64)> = def.options.iter().map(|x| (x.id, x.order)).collect();
        let mut ids: Vec<OptionId> = current.iter().map(|(id, _)| *id).filter(|id| *id != o.id).collect();
        ids.insert(position.min(ids.len()), o.id);
        self.schema_write(|doc| {
            for (i, id) in ids.iter().enumerate() {
                if current.iter().find(|(x, _)| x == id).map(|(_, ord)| *ord) != Some(i as i64) {
                    sdoc::set_option_prop(doc, object, field, *id, "order", Prop::Int(i as i64))?;
                }
            }
            Ok(())
        })
    }

    /// Archives or restores an option: archived options cannot be chosen any more, and
    /// records that have them keep them.
    pub fn set_option_archived(
        &mut self,
        object: ObjectId,
        field: FieldId,
        option: &str,
        archived: bool,
    ) -> Result<()> {
        let o = self.option_def(object, field, option)?;
        self.schema_write(|doc| sdoc::set_option_prop(doc, object, field, o.id, "archived", Prop::Bool(archived)))
    }
}

/// New options after `existing`, coloured in turn.
fn new_options(existing: &[SelectOption], labels: &[String]) -> Vec<SelectOption> {
    // Orders come from synced documents and may be anything: saturate, never overflow.
    let start = existing.iter().map(|o| o.order.saturating_add(1)).max().unwrap_or(0);
    let first_color = start.rem_euclid(COLORS.len() as i64) as usize;
    labels
        .iter()
        .enumerate()
        .map(|(i, label)| SelectOption {
            id: OptionId::new(),
            label: label.trim().to_string(),
            color: COLORS[(first_color + i) % COLORS.len()].to_string(),
            order: start.saturating_add(i as i64),
            archived: false,
        })
        .collect()
}
