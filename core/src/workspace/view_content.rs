//! Saved views name their object, filter, sort, board field and columns by id in their document
//! (docs/storage-format.md, "A view"), so renaming an object, a field or an option never
//! changes what a view lists. Callers write and read views with today's names: the
//! configuration-document calls convert a view's content on the way in and out.

use std::collections::BTreeMap;

use super::Workspace;
use crate::query::{field_ref, filter_to_shown, filter_to_stored, sort_to_shown, sort_to_stored};
use crate::{FieldId, ObjectId};

const OBJECT: &str = "object";
const FILTER: &str = "filter";
const SORT: &str = "sort";
/// A board's select field.
const FIELD: &str = "field";
/// The table's chosen columns: fields, comma-separated, in order.
const COLUMNS: &str = "columns";

impl Workspace {
    /// The object a view's `object` value names: an id (the stored form) or a key or
    /// label (views saved by older versions).
    fn view_object(&self, text: &str) -> Option<ObjectId> {
        self.schema.find_object(text).map(|o| o.id)
    }

    /// A view's content edit with names replaced by ids; `current` is the object of the
    /// view being edited (when the edit does not set one). Names that do not resolve stay
    /// as written.
    pub(super) fn view_content_to_stored(
        &self,
        current: Option<ObjectId>,
        content: &[(&str, Option<&str>)],
    ) -> Vec<(String, Option<String>)> {
        let object = content
            .iter()
            .find(|(k, _)| *k == OBJECT)
            .and_then(|(_, v)| *v)
            .and_then(|v| self.view_object(v))
            .or(current);
        content
            .iter()
            .map(|(key, value)| {
                let stored = value.map(|v| match (*key, object) {
                    (OBJECT, Some(o)) => o.to_string(),
                    (FILTER, Some(o)) if !v.trim().is_empty() => filter_to_stored(&self.schema, o, v),
                    (SORT, Some(o)) if !v.trim().is_empty() => sort_to_stored(&self.schema, o, v),
                    (FIELD, Some(o)) if !v.trim().is_empty() => self
                        .schema
                        .object(o)
                        .and_then(|obj| field_ref(obj, v))
                        .map_or_else(|| v.to_string(), |f| f.id.to_string()),
                    (COLUMNS, Some(o)) => self.columns_converted(o, v, |f| f.id.to_string()),
                    _ => v.to_string(),
                });
                (key.to_string(), stored)
            })
            .collect()
    }

    /// A view's stored content with today's object and field keys and option labels.
    pub(super) fn view_content_to_shown(&self, content: &mut BTreeMap<String, String>) {
        let Some(object) = content.get(OBJECT).and_then(|o| self.view_object(o)) else {
            return;
        };
        let Some(obj) = self.schema.object(object) else {
            return;
        };
        content.insert(OBJECT.to_string(), obj.key.clone());
        if let Some(filter) = content.get_mut(FILTER) {
            *filter = filter_to_shown(&self.schema, object, filter);
        }
        if let Some(sort) = content.get_mut(SORT) {
            *sort = sort_to_shown(&self.schema, object, sort);
        }
        if let Some(field) = content.get_mut(FIELD)
            && let Some(def) = field.parse::<FieldId>().ok().and_then(|id| obj.field(id))
        {
            *field = def.key.clone();
        }
        if let Some(columns) = content.get_mut(COLUMNS) {
            *columns = self.columns_converted(object, columns, |f| f.key.clone());
        }
    }

    /// A view's `columns` (comma-separated fields) with each field that resolves written
    /// by `as_text` (its id to store, its key to show); the rest stay as written.
    fn columns_converted(
        &self,
        object: ObjectId,
        columns: &str,
        as_text: impl Fn(&crate::FieldDef) -> String,
    ) -> String {
        let obj = self.schema.object(object);
        columns
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| {
                obj.and_then(|o| field_ref(o, c))
                    .map_or_else(|| c.to_string(), &as_text)
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The object a stored view is of, read from its document as stored.
    pub(super) fn stored_view_object(&self, content: &BTreeMap<String, String>) -> Option<ObjectId> {
        content.get(OBJECT).and_then(|o| self.view_object(o))
    }
}
