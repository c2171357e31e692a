//! The content of configuration documents (views, ...): a `content` map of text values
//! created with the document, an `archived` flag instead of deletion (so it can be
//! reverted), each edit one change with the message `config` through the same write
//! path as record edits (outbox, change observers).

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ChangeHash, ObjType, ROOT, ReadDoc, ScalarValue, Value};

use super::{Workspace, commit, corrupt};
use crate::error::{Error, Result, StoreError};
use crate::store::{self, DerivedTables, DocTables};
use crate::{DocId, DocKind};

/// The map holding a configuration document's content.
pub(crate) const CONTENT: &str = "content";
/// Set (to the time) when the document is archived; absent or null when it is not.
const ARCHIVED: &str = "archived";
/// The message of configuration edits.
const CONFIG: &str = "config";

/// A configuration document as read from its document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigContent {
    pub id: DocId,
    pub kind: DocKind,
    pub name: String,
    /// Archived documents are kept (and can be brought back); lists leave them out.
    pub archived: bool,
    /// The kind's own properties, as text.
    pub content: BTreeMap<String, String>,
}

fn text(value: Option<(Value<'_>, automerge::ObjId)>) -> Option<String> {
    match value {
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// Reads a configuration document, now (`heads` None) or as it was at `heads`. None when
/// it is not a configuration document (or did not exist yet at `heads`).
pub(crate) fn read_at<D: ReadDoc>(doc: &D, id: DocId, heads: Option<&[ChangeHash]>) -> Option<ConfigContent> {
    let get = |obj: &automerge::ObjId, key: &str| match heads {
        Some(h) => doc.get_at(obj, key, h).ok().flatten(),
        None => doc.get(obj, key).ok().flatten(),
    };
    let kind: DocKind = text(get(&ROOT, crate::doc_kind::KIND))?.parse().ok()?;
    if !kind.is_config() {
        return None;
    }
    let name = text(get(&ROOT, "name")).unwrap_or_default();
    let archived =
        matches!(get(&ROOT, ARCHIVED), Some((Value::Scalar(s), _)) if !matches!(s.as_ref(), ScalarValue::Null));
    let mut content = BTreeMap::new();
    if let Some((Value::Object(ObjType::Map), map)) = get(&ROOT, CONTENT) {
        let keys: Vec<String> = match heads {
            Some(h) => doc.keys_at(&map, h).collect(),
            None => doc.keys(&map).collect(),
        };
        for key in keys {
            if let Some(value) = text(get(&map, &key)) {
                content.insert(key, value);
            }
        }
    }
    Some(ConfigContent {
        id,
        kind,
        name,
        archived,
        content,
    })
}

/// One edit of a configuration document.
#[derive(Debug, Default)]
struct ConfigEdit {
    name: Option<String>,
    archived: Option<bool>,
    /// Content keys to set (Some) or remove (None).
    content: Vec<(String, Option<String>)>,
}

impl ConfigEdit {
    fn is_empty(&self) -> bool {
        self.name.is_none() && self.archived.is_none() && self.content.is_empty()
    }
}

/// What differs between two readings of a configuration document, as the edit that takes
/// `to` back to `from`.
fn difference(from: &ConfigContent, to: &ConfigContent) -> ConfigEdit {
    let mut edit = ConfigEdit::default();
    if from.name != to.name {
        edit.name = Some(from.name.clone());
    }
    if from.archived != to.archived {
        edit.archived = Some(from.archived);
    }
    let keys: std::collections::BTreeSet<&String> = from.content.keys().chain(to.content.keys()).collect();
    for key in keys {
        if from.content.get(key) != to.content.get(key) {
            edit.content.push((key.clone(), from.content.get(key).cloned()));
        }
    }
    edit
}

/// The properties an edit writes, named as a revert conflict says them.
fn touched(edit: &ConfigEdit) -> Vec<String> {
    let mut out = Vec::new();
    if edit.name.is_some() {
        out.push("the name".to_string());
    }
    if edit.archived.is_some() {
        out.push("whether it is archived".to_string());
    }
    out.extend(edit.content.iter().map(|(k, _)| format!("its {k}")));
    out
}

fn apply(doc: &mut AutoCommit, edit: &ConfigEdit, now: i64) -> Result<(), automerge::AutomergeError> {
    if let Some(name) = &edit.name {
        doc.put(ROOT, "name", name.as_str())?;
    }
    match edit.archived {
        Some(true) => doc.put(ROOT, ARCHIVED, ScalarValue::Timestamp(now))?,
        Some(false) => doc.put(ROOT, ARCHIVED, ScalarValue::Null)?,
        None => {}
    }
    if edit.content.is_empty() {
        return Ok(());
    }
    let map = match doc.get(ROOT, CONTENT)? {
        Some((Value::Object(ObjType::Map), map)) => map,
        // Documents made before content existed (only `create_config_doc`'s header).
        _ => doc.put_object(ROOT, CONTENT, ObjType::Map)?,
    };
    for (key, value) in &edit.content {
        match value {
            Some(v) => doc.put(&map, key.as_str(), v.as_str())?,
            None => doc.delete(&map, key.as_str())?,
        }
    }
    Ok(())
}

impl Workspace {
    /// A configuration document's content, from the workspace's document cache when it is
    /// there (written or received lately), else read from the store.
    ///
    /// A view's content is answered with today's names (its document stores ids).
    pub fn config_doc(&self, id: DocId) -> Result<ConfigContent> {
        let mut doc = self.config_doc_as_stored(id)?;
        if doc.kind == DocKind::View {
            self.view_content_to_shown(&mut doc.content);
        }
        Ok(doc)
    }

    /// A configuration document's content as its document holds it.
    fn config_doc_as_stored(&self, id: DocId) -> Result<ConfigContent> {
        if let Some(loaded) = self.cache.peek(&id) {
            return read_at(&loaded.doc, id, None).ok_or_else(|| Error::ConfigDocNotFound(id.to_string()));
        }
        let doc = self
            .read_doc(id)?
            .ok_or_else(|| Error::ConfigDocNotFound(id.to_string()))?;
        read_at(&doc, id, None).ok_or_else(|| Error::ConfigDocNotFound(id.to_string()))
    }

    /// The configuration documents of `kind` in the manifest, oldest first, archived ones
    /// included; each is read on demand. One listed whose document has not arrived yet
    /// (the manifest synced first) is left out.
    pub fn config_contents(&self, kind: &DocKind) -> Result<Vec<ConfigContent>> {
        let mut out = Vec::new();
        for entry in self.config_docs().iter().filter(|c| &c.kind == kind) {
            match self.config_doc(entry.id) {
                Ok(c) => out.push(c),
                Err(Error::ConfigDocNotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Renames (when `name` is given) and sets (Some) or removes (None) content keys of a
    /// configuration document, as one change.
    /// Answers the change's hash (what `revert_change` takes), None when nothing was
    /// given to change.
    pub fn update_config_doc(
        &mut self,
        id: DocId,
        name: Option<&str>,
        content: &[(&str, Option<&str>)],
    ) -> Result<Option<String>> {
        let stored = self.config_doc_as_stored(id)?;
        let content = if stored.kind == DocKind::View {
            // A view names its object and fields by id (callers give today's names).
            self.view_content_to_stored(self.stored_view_object(&stored.content), content)
        } else {
            content
                .iter()
                .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
                .collect()
        };
        let edit = ConfigEdit {
            name: name.map(str::to_string),
            archived: None,
            content,
        };
        self.edit_config(id, CONFIG, &edit)
    }

    /// Archives a configuration document (`archived`), or brings it back: a flag, the
    /// document is never destroyed. Answers the change's hash, as `update_config_doc`.
    pub fn archive_config_doc(&mut self, id: DocId, archived: bool) -> Result<Option<String>> {
        let edit = ConfigEdit {
            archived: Some(archived),
            ..ConfigEdit::default()
        };
        self.edit_config(id, CONFIG, &edit)
    }

    /// Undoes `targets` (changes of configuration document `id`, newest last) as one new
    /// change (`message`): what they changed goes back to what it was before; undoing the
    /// creation archives the document. Refused, unless `force`, when a later change touched
    /// what they changed.
    pub(crate) fn revert_config_changes(
        &mut self,
        id: DocId,
        doc: &mut AutoCommit,
        targets: &[ChangeHash],
        message: &str,
        force: bool,
    ) -> Result<()> {
        let mut edit = ConfigEdit::default();
        for hash in targets.iter().rev() {
            let change = doc
                .get_change_by_hash(hash)
                .ok_or_else(|| Error::ChangeNotFound(hash.to_string()))?;
            let deps = change.deps().to_vec();
            let after = read_at(doc, id, Some(&[*hash])).ok_or_else(|| Error::ConfigDocNotFound(id.to_string()))?;
            let before = (!deps.is_empty()).then(|| read_at(doc, id, Some(&deps))).flatten();
            let undo = match before {
                Some(before) => difference(&before, &after),
                None => ConfigEdit {
                    archived: Some(true),
                    ..ConfigEdit::default()
                },
            };
            // The oldest target's value wins: it is what the document was before them all.
            if undo.name.is_some() {
                edit.name = undo.name;
            }
            if undo.archived.is_some() {
                edit.archived = undo.archived;
            }
            for (key, value) in undo.content {
                edit.content.retain(|(k, _)| *k != key);
                edit.content.push((key, value));
            }
        }
        if !force {
            self.refuse_config_conflict(id, doc, targets, &edit)?;
        }
        if edit.is_empty() {
            return Ok(());
        }
        self.edit_config(id, message, &edit).map(|_| ())
    }

    fn refuse_config_conflict(
        &self,
        id: DocId,
        doc: &mut AutoCommit,
        targets: &[ChangeHash],
        edit: &ConfigEdit,
    ) -> Result<()> {
        let reverted = touched(edit);
        let later: Vec<automerge::Change> = doc
            .get_changes(targets)
            .into_iter()
            .filter(|c| !targets.contains(&c.hash()))
            .collect();
        for change in &later {
            let (Some(before), Some(after)) = (
                read_at(doc, id, Some(change.deps())),
                read_at(doc, id, Some(&[change.hash()])),
            ) else {
                continue;
            };
            if let Some(what) = touched(&difference(&before, &after))
                .into_iter()
                .find(|w| reverted.contains(w))
            {
                return Err(Error::RevertConflict {
                    what: format!("{what} of {} “{}”", after.kind, after.name),
                    change: crate::history::hex(&change.hash())[..12].to_string(),
                    author: self.author_name(change.actor_id()),
                    time: crate::time_fmt::format_datetime(change.timestamp()),
                });
            }
        }
        Ok(())
    }

    /// Applies `edit` to a configuration document as one change and stores it (outbox
    /// included) in one transaction, then tells the change observers.
    fn edit_config(&mut self, id: DocId, message: &str, edit: &ConfigEdit) -> Result<Option<String>> {
        if edit.is_empty() {
            return Ok(None);
        }
        let tx = self.store.write()?;
        let docs = DocTables::open(&tx)?;
        let loaded = self.take_doc(&docs, id)?;
        drop(docs);
        let mut loaded = loaded.ok_or_else(|| Error::ConfigDocNotFound(id.to_string()))?;
        if read_at(loaded.doc.document(), id, None).is_none() {
            self.cache_doc(id, loaded);
            return Err(Error::ConfigDocNotFound(id.to_string()));
        }
        let now = (self.clock)();
        apply(&mut loaded.doc, edit, now).map_err(|e| corrupt(id, e))?;
        let hash = commit(&mut loaded.doc, message, now);
        {
            let mut docs = DocTables::open(&tx)?;
            let added = store::persist_doc(&mut docs, id, &mut loaded)?;
            DerivedTables::open(&tx)?.index_changes(id, &added)?;
        }
        tx.commit().map_err(StoreError::from)?;
        self.cache_doc(id, loaded);
        self.committed(super::Changes {
            config: vec![id],
            ..super::Changes::local()
        });
        Ok(hash.map(|h| h.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use crate::{CreateOptions, DocKind, Error, Value, Workspace};

    #[test]
    fn a_record_is_not_a_configuration_document_and_editing_it_as_one_changes_nothing() {
        let mut ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
        let people = ws.object_named("people").unwrap().id;
        let name = ws.field_named(people, "name").unwrap().id;
        let id = ws
            .create_record(people, vec![(name, Some(Value::Text("Ada".into())))])
            .unwrap();
        let outbox = ws.outbox_len().unwrap();
        assert!(matches!(ws.config_doc(id.into()), Err(Error::ConfigDocNotFound(_))));
        let refused = ws.update_config_doc(id.into(), Some("x"), &[("object", Some("people"))]);
        assert!(matches!(refused, Err(Error::ConfigDocNotFound(_))));
        assert!(matches!(
            ws.archive_config_doc(crate::DocId::new(), true),
            Err(Error::ConfigDocNotFound(_))
        ));
        assert_eq!(ws.outbox_len().unwrap(), outbox);
        assert_eq!(ws.record(id).unwrap().cells[0].display, "Ada");
    }

    #[test]
    fn a_view_reads_the_same_from_the_cache_and_from_the_store_and_removed_keys_are_gone() {
        let mut ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
        let id = ws
            .create_config_doc_with(DocKind::View, "Mine", &[("object", "people"), ("owner", "ada")])
            .unwrap();
        ws.update_config_doc(id, None, &[("owner", None), ("sort", Some("name"))])
            .unwrap();
        let cached = ws.config_doc(id).unwrap();
        ws.cache.clear();
        let stored = ws.config_doc(id).unwrap();
        assert_eq!(cached, stored);
        assert_eq!(stored.content.get("owner"), None);
        assert_eq!(stored.content["sort"], "name");
        assert_eq!(ws.config_contents(&DocKind::View).unwrap(), vec![stored]);
        assert!(ws.config_contents(&DocKind::Report).unwrap().is_empty());
    }

    #[test]
    fn reverting_a_view_edit_a_later_edit_touched_is_refused_unless_forced() {
        let mut ws = Workspace::in_memory(CreateOptions::new("ada")).unwrap();
        let id = ws
            .create_config_doc_with(DocKind::View, "V", &[("object", "people"), ("sort", "name")])
            .unwrap();
        let first = ws
            .update_config_doc(id, None, &[("sort", Some("-name"))])
            .unwrap()
            .unwrap();
        ws.update_config_doc(id, None, &[("sort", Some("email"))]).unwrap();
        let refused = ws.revert_change(&first, false);
        assert!(matches!(refused, Err(Error::RevertConflict { .. })), "{refused:?}");
        assert_eq!(ws.config_doc(id).unwrap().content["sort"], "email");
        let report = ws.revert_change(&first, true).unwrap();
        assert_eq!(ws.config_doc(id).unwrap().content["sort"], "name");
        // The revert is a group: reverting it puts back what was there before it.
        ws.revert_group(report.group, false).unwrap();
        assert_eq!(ws.config_doc(id).unwrap().content["sort"], "email");
        // Nothing to change is no change.
        assert_eq!(ws.update_config_doc(id, None, &[]).unwrap(), None);
    }
}
