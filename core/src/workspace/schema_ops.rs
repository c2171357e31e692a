//! Schema operations. Each is one commit on the schema document and one write
//! transaction; when a change alters what an object's indexes hold (archiving, retyping,
//! reordering options) the same transaction rebuilds them from `rows`.

use std::collections::BTreeSet;

use automerge::AutoCommit;

use super::{Workspace, commit, corrupt};
use crate::error::{Result, SchemaError, StoreError};
use crate::schema::doc::{self as sdoc, Prop};
use crate::schema::{FieldDef, FieldKind, ObjectDef, SelectOption, is_valid_key};
use crate::store::{self, DerivedTables, DocTables};

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

/// The commit message of a change that folds competing maps together.
pub(super) const HEAL: &str = "heal";

const COLORS: [&str; 8] = ["gray", "blue", "green", "yellow", "orange", "red", "purple", "pink"];

/// What an object's derived keys depend on; when it changes the indexes are rebuilt.
type Signature = Vec<(
    FieldId,
    FieldKind,
    bool,
    bool,
    Vec<(OptionId, i64, String)>,
    Vec<(OptionId, OptionId)>,
)>;

fn derivation_signature(object: &ObjectDef) -> Signature {
    object
        .fields
        .iter()
        .map(|f| {
            let options = f.options.iter().map(|o| (o.id, o.order, o.label.clone())).collect();
            // Options read as another (same label added on two devices) index as it.
            let merged = f.merged_options.iter().map(|(a, b)| (*a, *b)).collect();
            (f.id, f.kind, f.archived, f.many, options, merged)
        })
        .collect()
}

/// Rebuilds the index entries of every object whose definition changed in a way that
/// changes them (objects new to `after` may already have rows, from other devices).
pub(super) fn rebuild_changed_objects(
    derived: &mut DerivedTables<'_>,
    before: &crate::Schema,
    after: &crate::Schema,
    now: i64,
) -> Result<()> {
    for object in &after.objects {
        match before.object(object.id) {
            Some(old) if derivation_signature(old) == derivation_signature(object) => {}
            Some(old) => store::rebuild_object(derived, old, object)?,
            None => store::rebuild_object(derived, &super::remote::unknown_object(object.id), object)?,
        }
    }
    // Computed fields added or edited (here or on another device): their objects' rows,
    // and the rows reading those, are recomputed in batches.
    let changed = super::derive::objects_with_changed_definitions(before, after);
    super::derive::recompute_objects(&super::derive::Deriver::new(after, now), derived, &changed)?;
    Ok(())
}

impl Workspace {
    /// The object named `name` (key, label or id).
    pub fn object_named(&self, name: &str) -> Result<&ObjectDef, SchemaError> {
        self.schema
            .find_object(name)
            .ok_or_else(|| SchemaError::UnknownObject(name.to_string()))
    }

    /// The field named `name` (key, label or id) of an object.
    pub fn field_named(&self, object: ObjectId, name: &str) -> Result<&FieldDef, SchemaError> {
        let obj = self.object_def(object)?;
        obj.find_field(name).ok_or_else(|| SchemaError::UnknownField {
            object: obj.key.clone(),
            field: name.to_string(),
        })
    }

    pub(crate) fn object_def(&self, object: ObjectId) -> Result<&ObjectDef, SchemaError> {
        self.schema
            .object(object)
            .ok_or_else(|| SchemaError::UnknownObject(object.to_string()))
    }

    pub(super) fn field_def(&self, object: ObjectId, field: FieldId) -> Result<&FieldDef, SchemaError> {
        let obj = self.object_def(object)?;
        obj.field(field).ok_or_else(|| SchemaError::UnknownField {
            object: obj.key.clone(),
            field: field.to_string(),
        })
    }

    /// Applies `edit` to the schema document as one change, persists it, rebuilds indexes
    /// it affects, and re-reads the schema. On error nothing is written and the schema
    /// document is reloaded from the store.
    fn schema_write(
        &mut self,
        edit: impl FnOnce(&mut AutoCommit) -> Result<(), automerge::AutomergeError>,
    ) -> Result<()> {
        self.schema_write_with("schema", edit)
    }

    /// Like `schema_write`, with the commit message given (reverts name their group).
    pub(super) fn schema_write_with(
        &mut self,
        message: &str,
        edit: impl FnOnce(&mut AutoCommit) -> Result<(), automerge::AutomergeError>,
    ) -> Result<()> {
        let tx = self.store.write()?;
        self.schema_edit_in(&tx, message, edit)?;
        if let Err(e) = tx.commit() {
            self.abandon_schema_edit();
            return Err(StoreError::from(e).into());
        }
        self.committed(super::Changes {
            schema: true,
            ..super::Changes::local()
        });
        Ok(())
    }

    /// Applies `edit` to the schema document as one change inside `tx` (persisted,
    /// indexes rebuilt) and makes it the schema in memory, so that later writes of the
    /// same transaction see it. A caller whose transaction then fails must call
    /// `abandon_schema_edit`; on its own error this does so itself.
    pub(super) fn schema_edit_in(
        &mut self,
        tx: &redb::WriteTransaction,
        message: &str,
        edit: impl FnOnce(&mut AutoCommit) -> Result<(), automerge::AutomergeError>,
    ) -> Result<()> {
        if !self.has_schema_doc() {
            return Err(StoreError::MissingMeta("schema: this replica has not received it yet (run kith sync)").into());
        }
        if self.schema_doc.is_none() {
            self.load_schema()?;
        }
        let id = self.schema_doc_id;
        let Some(mut loaded) = self.schema_doc.take() else {
            return Err(StoreError::MissingMeta("schema document").into());
        };
        let result = (|| {
            // Maps an older version created twice are folded together first (a change
            // of its own), so that the edit below, which writes into the winning map,
            // is not shadowed by entries only the losing one holds.
            if sdoc::heal(&mut loaded.doc).map_err(|e| corrupt(id, e))? {
                commit(&mut loaded.doc, HEAL, (self.clock)());
            }
            edit(&mut loaded.doc).map_err(|e| corrupt(id, e))?;
            commit(&mut loaded.doc, message, (self.clock)());
            let after = sdoc::hydrate(loaded.doc.document());
            let mut docs = DocTables::open(tx)?;
            let added = store::persist_doc(&mut docs, id, &mut loaded)?;
            let mut derived = self.derived_tables(tx)?;
            derived.index_changes(id, &added)?;
            rebuild_changed_objects(&mut derived, &self.schema, &after, (self.clock)())?;
            Ok(after)
        })();
        match result {
            Ok(after) => {
                self.schema = after;
                self.schema_doc = Some(loaded);
                Ok(())
            }
            Err(e) => {
                self.abandon_schema_edit();
                Err(e)
            }
        }
    }

    /// Forgets an uncommitted schema edit: the in-memory document and schema hold it, so
    /// both are read again from the store.
    pub(super) fn abandon_schema_edit(&mut self) {
        // If even reading fails, the next schema write reloads (schema_doc is None).
        if self.load_schema().is_err() {
            self.schema_doc = None;
        }
    }

    /// Folds maps that concurrent changes created twice (by versions before every
    /// container was created with its parent) back into one, as one `heal` change that
    /// syncs. Reading already merges them; this makes the fix part of the workspace.
    /// Returns whether there was anything to heal.
    pub fn heal_schema(&mut self) -> Result<bool> {
        if !self.has_schema_doc() {
            return Ok(false);
        }
        if self.schema_doc.is_none() {
            self.load_schema()?;
        }
        match &self.schema_doc {
            Some(loaded) if sdoc::needs_heal(&loaded.doc) => {}
            _ => return Ok(false),
        }
        self.schema_write_with(HEAL, |doc| sdoc::heal(doc).map(|_| ()))?;
        Ok(true)
    }

    fn check_object_key(&self, key: &str, except: Option<ObjectId>) -> Result<(), SchemaError> {
        if !is_valid_key(key) {
            return Err(SchemaError::InvalidKey(key.to_string()));
        }
        if let Some(o) = self
            .schema
            .objects
            .iter()
            .find(|o| o.key == key && Some(o.id) != except)
            && o.archived
        {
            return Err(SchemaError::ArchivedKey {
                what: "object",
                key: key.to_string(),
                restore: key.to_string(),
            });
        }
        if self.schema.objects.iter().any(|o| o.key == key && Some(o.id) != except) {
            return Err(SchemaError::DuplicateKey {
                what: "object",
                key: key.to_string(),
            });
        }
        Ok(())
    }

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

    /// How people write numbers in this workspace (default `1,234.56`).
    pub fn number_format(&self) -> crate::NumberFormat {
        self.schema.number_format
    }

    /// Sets how people write numbers in this workspace; synced like any schema change.
    /// Stored values do not change: only how input is read (and exports are written).
    pub fn set_number_format(&mut self, format: crate::NumberFormat) -> Result<()> {
        self.schema_write(|doc| sdoc::set_number_format(doc, &format))
    }

    /// Adds an object with no fields.
    pub fn add_object(&mut self, key: &str, label: &str) -> Result<ObjectId> {
        self.add_object_with(key, label, Vec::new())
    }

    /// Adds an object with a `name` text field, the field its records are shown and
    /// found by (relations name records by it), written in the same change.
    pub fn add_object_with_name(&mut self, key: &str, label: &str) -> Result<ObjectId> {
        self.add_object_with(key, label, vec![FieldDef::new("name", "Name", FieldKind::Text)])
    }

    fn add_object_with(&mut self, key: &str, label: &str, fields: Vec<FieldDef>) -> Result<ObjectId> {
        self.check_object_key(key, None)?;
        if label.trim().is_empty() {
            return Err(SchemaError::EmptyLabel.into());
        }
        let object = ObjectDef {
            id: ObjectId::new(),
            key: key.to_string(),
            label: label.trim().to_string(),
            order: self
                .schema
                .objects
                .iter()
                .map(|o| o.order.saturating_add(1))
                .max()
                .unwrap_or(0),
            archived: false,
            fields,
        };
        let id = object.id;
        self.schema_write(|doc| sdoc::put_object(doc, &object))?;
        Ok(id)
    }

    /// Renames an object: a new label, a new key, or both.
    pub fn rename_object(&mut self, object: ObjectId, label: Option<&str>, key: Option<&str>) -> Result<()> {
        self.object_def(object)?;
        if let Some(key) = key {
            self.check_object_key(key, Some(object))?;
        }
        if label.is_some_and(|l| l.trim().is_empty()) {
            return Err(SchemaError::EmptyLabel.into());
        }
        self.schema_write(|doc| {
            if let Some(label) = label {
                sdoc::set_object_prop(doc, object, "label", Prop::Str(label.trim()))?;
            }
            if let Some(key) = key {
                sdoc::set_object_prop(doc, object, "key", Prop::Str(key))?;
            }
            Ok(())
        })
    }

    /// Archives (hides) or restores an object. Its records and their values are kept.
    pub fn set_object_archived(&mut self, object: ObjectId, archived: bool) -> Result<()> {
        self.object_def(object)?;
        self.schema_write(|doc| sdoc::set_object_prop(doc, object, "archived", Prop::Bool(archived)))
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
