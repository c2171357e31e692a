//! Automation definitions name objects and fields by id in their documents
//! (docs/storage-format.md, "An automation"), so renaming an object, a field or an option
//! never breaks one. People, the CLI and the editor write and read them with today's
//! names: [`Workspace::create_automation`] and friends convert on the way in, and
//! [`Workspace::automations`] on the way out. A definition saved by an older version
//! (names) reads as before and takes the stored form on its next edit.

use std::collections::BTreeMap;

use super::Workspace;
use super::automation_formulas::formula_source;
use crate::automation::{Action, AutomationDef, TASKS, Trigger};
use crate::formula::Formula;
use crate::query::{field_ref, filter_to_shown, filter_to_stored, stored_field, stored_field_id};
use crate::query::{value_to_shown, value_to_stored};
use crate::schema::{ObjectDef, Schema};

/// Which way names are converted.
#[derive(Clone, Copy, PartialEq)]
enum Way {
    /// Today's names → ids.
    ToStored,
    /// Ids → today's names.
    ToShown,
}

struct Names<'a> {
    schema: &'a Schema,
    way: Way,
}

impl<'a> Names<'a> {
    fn object(&self, text: &str) -> (String, Option<&'a ObjectDef>) {
        match self.schema.find_object(text) {
            Some(o) if self.way == Way::ToStored => (o.id.to_string(), Some(o)),
            Some(o) => (o.key.clone(), Some(o)),
            None => (text.to_string(), None),
        }
    }

    fn field(&self, object: Option<&ObjectDef>, text: &str) -> String {
        match object.and_then(|o| o.find_field(text)) {
            Some(f) if self.way == Way::ToStored => f.id.to_string(),
            Some(f) => f.key.clone(),
            None => text.to_string(),
        }
    }

    fn filter(&self, object: Option<&ObjectDef>, text: &str) -> String {
        match (object, self.way) {
            (Some(o), Way::ToStored) => filter_to_stored(self.schema, o.id, text),
            (Some(o), Way::ToShown) => filter_to_shown(self.schema, o.id, text),
            (None, _) => text.to_string(),
        }
    }

    /// A condition: a filter, or a formula written `= expression`.
    fn condition(&self, object: Option<&ObjectDef>, text: &str) -> String {
        match formula_source(text) {
            Some(source) => self.formula(object, source).unwrap_or_else(|| text.to_string()),
            None => self.filter(object, text),
        }
    }

    fn formula(&self, object: Option<&ObjectDef>, source: &str) -> Option<String> {
        let object = object?;
        let formula = Formula::from_stored(source, object, self.schema).ok()?;
        Some(match self.way {
            Way::ToStored => format!("= {}", formula.stored()),
            Way::ToShown => format!("= {}", formula.display(object, self.schema)),
        })
    }

    /// `{field}` templates (fields of the triggering record): `{<field id>}` stored, `{key}`
    /// shown. (Bare ids: older versions replace those too.)
    fn templates(&self, object: Option<&ObjectDef>, text: &str) -> String {
        let Some(object) = object else {
            return text.to_string();
        };
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            let Some(end) = after.find('}') else {
                break;
            };
            let inner = &after[..end];
            let whole = &rest[start..start + end + 2];
            let converted = match self.way {
                Way::ToStored if inner.trim() != "record" && !inner.trim().starts_with("today") => {
                    object.find_field(inner).map(|f| format!("{{{}}}", stored_field(f.id)))
                }
                Way::ToShown => stored_field_id(inner)
                    .and_then(|_| field_ref(object, inner))
                    .map(|f| format!("{{{}}}", f.key)),
                Way::ToStored => None,
            };
            out.push_str(converted.as_deref().unwrap_or(whole));
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    /// A value an action writes into `field` of `target`: a formula over the triggering
    /// record, an option of a select field, or an input with templates.
    fn value(&self, trigger: Option<&ObjectDef>, target: Option<&ObjectDef>, field: &str, value: &str) -> String {
        if let Some(source) = formula_source(value) {
            return self.formula(trigger, source).unwrap_or_else(|| value.to_string());
        }
        if let Some(def) = target.and_then(|o| o.find_field(field)) {
            let option = match self.way {
                Way::ToStored => value_to_stored(def, value),
                Way::ToShown => value_to_shown(def, value),
            };
            if option != value {
                return option;
            }
        }
        self.templates(trigger, value)
    }

    /// A create_task action's object: stored, the id of the object it names (`tasks`
    /// when it names none, so a definition saved from then on survives renaming it);
    /// shown, that object's key today. Unresolved names stay as they are (saving checks
    /// them first).
    fn tasks_object(&self, object: Option<&str>) -> Option<String> {
        match (object, self.way) {
            (None, Way::ToShown) => None,
            (object, _) => Some(self.object(object.unwrap_or(TASKS)).0),
        }
    }

    fn values(
        &self,
        trigger: Option<&ObjectDef>,
        target: Option<&ObjectDef>,
        values: &BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        values
            .iter()
            .map(|(k, v)| (self.field(target, k), self.value(trigger, target, k, v)))
            .collect()
    }

    fn definition(&self, def: &AutomationDef) -> AutomationDef {
        let (object, obj) = self.object(&def.object);
        let option = |field: &str, v: &Option<String>| {
            let def = obj.and_then(|o| o.find_field(field));
            v.as_ref().map(|v| match (def, self.way) {
                (Some(d), Way::ToStored) => value_to_stored(d, v),
                (Some(d), Way::ToShown) => value_to_shown(d, v),
                (None, _) => v.clone(),
            })
        };
        let trigger = match &def.trigger {
            Trigger::Changed { field, from, to } => Trigger::Changed {
                field: self.field(obj, field),
                from: option(field, from),
                to: option(field, to),
            },
            Trigger::Matches { filter } => Trigger::Matches {
                filter: self.filter(obj, filter),
            },
            Trigger::Date { field, offset_days } => Trigger::Date {
                field: self.field(obj, field),
                offset_days: *offset_days,
            },
            other => other.clone(),
        };
        let actions = def
            .actions
            .iter()
            .map(|action| match action {
                Action::Set(values) => Action::Set(self.values(obj, obj, values)),
                Action::CreateRecord { object, values } => {
                    let (object, target) = self.object(object);
                    Action::CreateRecord {
                        object,
                        values: self.values(obj, target, values),
                    }
                }
                Action::CreateTask {
                    title,
                    due_in_days,
                    object,
                } => Action::CreateTask {
                    title: self.templates(obj, title),
                    due_in_days: *due_in_days,
                    object: self.tasks_object(object.as_deref()),
                },
                Action::Link { field, record } => Action::Link {
                    field: self.field(obj, field),
                    record: self.templates(obj, record),
                },
                Action::Unlink { field, record } => Action::Unlink {
                    field: self.field(obj, field),
                    record: self.templates(obj, record),
                },
            })
            .collect();
        AutomationDef {
            object,
            trigger,
            condition: def.condition.as_ref().map(|c| self.condition(obj, c)),
            actions,
        }
    }
}

impl Workspace {
    /// `def` (today's names) as its document stores it: objects, fields and options by id.
    pub(super) fn automation_to_stored(&self, def: &AutomationDef) -> AutomationDef {
        Names {
            schema: &self.schema,
            way: Way::ToStored,
        }
        .definition(def)
    }

    /// A stored definition with today's object and field keys and option labels.
    pub(super) fn automation_to_shown(&self, def: &AutomationDef) -> AutomationDef {
        Names {
            schema: &self.schema,
            way: Way::ToShown,
        }
        .definition(def)
    }
}
