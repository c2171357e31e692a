//! Schema operations. Each is one commit on the schema document and one write
//! transaction; when a change alters what an object's indexes hold (archiving, retyping,
//! reordering options) the same transaction rebuilds them from `rows`. Here: the schema
//! write itself, healing, key checks, the number format and objects; field and option
//! operations are in `field_ops.rs`.

use automerge::AutoCommit;

use super::{Workspace, commit, corrupt};
use crate::error::{Result, SchemaError, StoreError};
use crate::schema::doc::{self as sdoc, Prop};
use crate::schema::{FieldDef, FieldKind, ObjectDef, is_valid_key};
use crate::store::{self, DerivedTables, DocTables};

use crate::{FieldId, ObjectId, OptionId};

/// The commit message of a change that folds competing maps together.
pub(super) const HEAL: &str = "heal";

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
    pub(super) fn schema_write(
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
}
