//! Automation documents: a configuration document of kind `automation` whose content
//! holds `definition` (the JSON of [`AutomationDef`]) and `enabled` (`true`/`false`).

use super::Workspace;
use super::automation_formulas::formula_source;
use super::automations::Active;
use crate::automation::{Action, AutomationDef, TASKS, Trigger};
use crate::error::{Error, Result};
use crate::schema::{FieldKind, ObjectDef};
use crate::{DocId, DocKind, ObjectId};

const DEFINITION: &str = "definition";
const ENABLED: &str = "enabled";

/// An automation document as listed and edited.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Automation {
    pub id: DocId,
    pub name: String,
    pub enabled: bool,
    /// `None` when the stored definition cannot be read (`problem` says why).
    pub definition: Option<AutomationDef>,
    pub problem: Option<String>,
}

impl Workspace {
    /// Checks a definition against the schema: objects, fields and filters must resolve.
    pub fn check_automation(&self, def: &AutomationDef) -> std::result::Result<(), String> {
        let obj = self.object_named(&def.object).map_err(|e| e.to_string())?;
        let active = self.resolve(DocId::from_bytes([0; 16]), "", def.clone());
        if let Some(problem) = active.problem {
            return Err(problem);
        }
        for action in &def.actions {
            let fields: Vec<(&ObjectDef, &String)> = match action {
                Action::Set(m) => m.keys().map(|k| (obj, k)).collect(),
                Action::CreateRecord { object, values } => {
                    let target = self.object_named(object).map_err(|e| e.to_string())?;
                    values.keys().map(|k| (target, k)).collect()
                }
                Action::CreateTask { object, .. } => {
                    self.object_named(object.as_deref().unwrap_or(TASKS))
                        .map_err(|e| e.to_string())?;
                    Vec::new()
                }
                Action::Link { field, .. } | Action::Unlink { field, .. } => {
                    let def = obj
                        .find_field(field)
                        .ok_or_else(|| format!("{} has no field '{field}'", obj.key))?;
                    if def.kind != FieldKind::Relation {
                        return Err(format!("{}.{} is not a relation", obj.key, def.key));
                    }
                    Vec::new()
                }
            };
            for (o, key) in fields {
                if o.find_field(key).is_none() {
                    return Err(format!("{} has no field '{key}'", o.key));
                }
            }
            let values = match action {
                Action::Set(m) | Action::CreateRecord { values: m, .. } => m.values().collect(),
                _ => Vec::new(),
            };
            for source in values.into_iter().filter_map(|v| formula_source(v)) {
                crate::formula::compile(source, obj, &self.schema).map_err(|e| format!("formula '{source}': {e}"))?;
            }
        }
        Ok(())
    }

    /// Creates an automation document (enabled), after checking its definition.
    pub fn create_automation(&mut self, name: &str, def: &AutomationDef) -> Result<DocId> {
        self.check_automation(def).map_err(|reason| bad(name, reason))?;
        if self.automation_named(name).is_ok() {
            return Err(bad(name, "another automation has this name".into()));
        }
        let json = self.automation_to_stored(def).to_json();
        self.create_config_doc_with(
            DocKind::Automation,
            name,
            &[(DEFINITION, json.as_str()), (ENABLED, "true")],
        )
    }

    /// The automations (archived ones left out), oldest first.
    pub fn automations(&self) -> Result<Vec<Automation>> {
        Ok(self
            .config_contents(&DocKind::Automation)?
            .into_iter()
            .filter(|c| !c.archived)
            .map(|c| {
                let parsed = c
                    .content
                    .get(DEFINITION)
                    .map_or_else(|| Err("no definition".to_string()), |d| AutomationDef::from_json(d));
                Automation {
                    id: c.id,
                    name: c.name,
                    enabled: c.content.get(ENABLED).is_none_or(|e| e == "true"),
                    problem: parsed.as_ref().err().cloned(),
                    // Shown (and run) with today's names; the document holds ids.
                    definition: parsed.ok().map(|d| self.automation_to_shown(&d)),
                }
            })
            .collect())
    }

    /// An automation by name (case-insensitive) or document id.
    pub fn automation_named(&self, name: &str) -> Result<Automation> {
        let name = name.trim();
        self.automations()?
            .into_iter()
            .find(|a| a.name.eq_ignore_ascii_case(name) || a.id.to_string() == name)
            .ok_or_else(|| Error::AutomationNotFound(name.to_string()))
    }

    /// Renames an automation and/or replaces its definition (checked first).
    pub fn update_automation(&mut self, id: DocId, name: Option<&str>, def: Option<&AutomationDef>) -> Result<()> {
        let json = match def {
            Some(def) => {
                self.check_automation(def)
                    .map_err(|reason| bad(name.unwrap_or("automation"), reason))?;
                Some(self.automation_to_stored(def).to_json())
            }
            None => None,
        };
        let content: Vec<(&str, Option<&str>)> = json.iter().map(|j| (DEFINITION, Some(j.as_str()))).collect();
        self.update_config_doc(id, name, &content).map(|_| ())
    }

    /// Turns an automation on or off (a synced setting of its document).
    pub fn set_automation_enabled(&mut self, id: DocId, enabled: bool) -> Result<()> {
        let value = if enabled { "true" } else { "false" };
        self.update_config_doc(id, None, &[(ENABLED, Some(value))]).map(|_| ())
    }

    /// Removes an automation (archives its document: it can be reverted).
    pub fn remove_automation(&mut self, id: DocId) -> Result<()> {
        self.archive_config_doc(id, true).map(|_| ())
    }

    pub(super) fn resolve(&self, id: DocId, name: &str, def: AutomationDef) -> Active {
        let mut problem = None;
        let object = match self.schema.find_object(&def.object) {
            Some(o) => o.id,
            None => {
                problem = Some(format!("no object '{}'", def.object));
                ObjectId::from_bytes([0; 16])
            }
        };
        let condition = match (
            def.condition.as_deref().filter(|c| !c.trim().is_empty()),
            self.schema.object(object),
        ) {
            (Some(text), Some(obj)) => match self.compile_condition(obj, text) {
                Ok(c) => Some(c),
                Err(e) => {
                    problem.get_or_insert(e);
                    None
                }
            },
            _ => None,
        };
        let mut filter = |text: &str| match self.parse_filter(object, text) {
            Ok(f) => Some(f),
            Err(e) => {
                problem.get_or_insert(format!("filter '{text}': {e}"));
                None
            }
        };
        let trigger_filter = match &def.trigger {
            Trigger::Matches { filter: f } => filter(f),
            _ => None,
        };
        let trigger_field = match &def.trigger {
            Trigger::Changed { field, .. } | Trigger::Date { field, .. } => {
                let found = self
                    .schema
                    .object(object)
                    .and_then(|o| o.find_field(field))
                    .map(|f| f.id);
                if found.is_none() {
                    problem.get_or_insert(format!("{} has no field '{field}'", def.object));
                }
                found
            }
            _ => None,
        };
        Active {
            id,
            name: name.to_string(),
            object,
            def,
            condition,
            trigger_filter,
            trigger_field,
            problem,
        }
    }
}

pub(super) fn bad(name: &str, reason: String) -> Error {
    Error::BadAutomation {
        name: name.to_string(),
        reason,
    }
}
