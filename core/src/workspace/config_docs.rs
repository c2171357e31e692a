//! Configuration documents (views, automations, reports, dashboards): each its own
//! document of its kind, listed in the schema document's manifest so every replica knows
//! them without looking at content.

use automerge::ROOT;
use automerge::transaction::Transactable;

use super::{Workspace, commit, corrupt, new_doc};
use crate::error::{Result, SchemaError, StoreError};
use crate::schema::ConfigDoc;
use crate::schema::doc as sdoc;
use crate::store::{self, DerivedTables, DocTables, LoadedDoc};
use crate::{DocId, DocKind};

impl Workspace {
    /// Creates a configuration document of `kind` (`{ kind, name, created_at,
    /// created_by }`) and lists it in the schema's manifest, in one transaction: either both
    /// happen or neither. Its content is written by the feature that owns the kind.
    pub fn create_config_doc(&mut self, kind: DocKind, name: &str) -> Result<DocId> {
        self.create_config_doc_with(kind, name, &[])
    }

    /// [`Self::create_config_doc`] with its content: the `content` map is created in the
    /// document's first change, together with its parent, holding `content`'s pairs.
    pub fn create_config_doc_with(&mut self, kind: DocKind, name: &str, content: &[(&str, &str)]) -> Result<DocId> {
        if !kind.is_config() {
            return Err(SchemaError::NotConfigKind(kind.to_string()).into());
        }
        // A view names its object and fields by id (callers give today's names).
        let converted: Vec<(String, String)> = if kind == DocKind::View {
            let edit: Vec<(&str, Option<&str>)> = content.iter().map(|(k, v)| (*k, Some(*v))).collect();
            self.view_content_to_stored(None, &edit)
                .into_iter()
                .filter_map(|(k, v)| Some((k, v?)))
                .collect()
        } else {
            Vec::new()
        };
        let pairs: Vec<(&str, &str)> = converted.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let content = if kind == DocKind::View { &pairs[..] } else { content };
        let id = DocId::new();
        let now = (self.clock)();
        let mut doc = new_doc(&self.device);
        let init = |doc: &mut automerge::AutoCommit| -> Result<(), automerge::AutomergeError> {
            doc.put(ROOT, crate::doc_kind::KIND, kind.as_str())?;
            doc.put(ROOT, "name", name)?;
            doc.put(ROOT, "created_at", automerge::ScalarValue::Timestamp(now))?;
            doc.put(ROOT, "created_by", self.device.user.as_str())?;
            let map = doc.put_object(ROOT, super::config_content::CONTENT, automerge::ObjType::Map)?;
            for (key, value) in content {
                doc.put(&map, *key, *value)?;
            }
            Ok(())
        };
        init(&mut doc).map_err(|e| corrupt(id, e))?;
        commit(&mut doc, "config", now);
        let mut loaded = LoadedDoc::new(doc);
        let entry = ConfigDoc {
            id,
            kind,
            name: name.to_string(),
            created_at: now,
        };
        let tx = self.store.write()?;
        let written = (|| {
            {
                let mut docs = DocTables::open(&tx)?;
                let added = store::persist_doc(&mut docs, id, &mut loaded)?;
                DerivedTables::open(&tx)?.index_changes(id, &added)?;
            }
            self.schema_edit_in(&tx, "schema", |doc| sdoc::register_config_doc(doc, &entry))?;
            tx.commit().map_err(StoreError::from)?;
            Ok(())
        })();
        if let Err(e) = written {
            self.abandon_schema_edit();
            return Err(e);
        }
        self.committed(super::Changes {
            schema: true,
            config: vec![id],
            ..super::Changes::local()
        });
        Ok(id)
    }

    /// The workspace's configuration documents, oldest first (of every kind, unknown ones
    /// included).
    pub fn config_docs(&self) -> &[ConfigDoc] {
        &self.schema.config_docs
    }
}
