//! Validation rules: per object, a condition (a yes/no formula) records must meet to be
//! saved, with the message people see when they do not. Each rule is a configuration
//! document of kind `rule` (so rules sync, merge, have history and revert), holding in
//! its content: `object` (id), `condition` (the formula's stored form, fields by id),
//! `message`, `fields` (ids of the fields it concerns, comma-separated) and `enabled`.
//!
//! Rules are checked on local writes only (create, update, restore, bulk edit, import),
//! inside the write transaction, against the record as it would be saved. Records that
//! arrive by sync are never refused: one that breaks a rule after a merge is listed by
//! [`Workspace::rule_breaks`], computed from `rows`.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::Workspace;
use crate::error::{Error, Result};
use crate::formula::{self, Formula, FormulaEnv};
use crate::record::Row;
use crate::schema::{ObjectDef, Schema};
use crate::value::{Stored, Value};
use crate::{DocId, DocKind, FieldId, ObjectId, RecordId, field_type};

const OBJECT: &str = "object";
const CONDITION: &str = "condition";
const MESSAGE: &str = "message";
const FIELDS: &str = "fields";
const ENABLED: &str = "enabled";

/// A validation rule as read from its document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    pub id: DocId,
    pub object: ObjectId,
    /// The condition's stored form (fields by id).
    pub condition: String,
    pub message: String,
    /// Fields the rule concerns: where its message is shown.
    pub fields: Vec<FieldId>,
    pub enabled: bool,
    /// Removed rules are archived (and can be brought back by reverting).
    pub archived: bool,
}

/// A record that breaks a rule (after a merge, or made before the rule).
#[derive(Debug, Clone, Serialize)]
pub struct RuleBreak {
    pub record: RecordId,
    pub record_name: String,
    pub object: ObjectId,
    pub object_key: String,
    pub rule: DocId,
    pub message: String,
    /// Keys of the fields the rule concerns.
    pub fields: Vec<String>,
}

/// A rule ready to check: the rule and its compiled condition.
#[derive(Clone)]
pub(super) struct ActiveRule {
    pub(super) rule: Rule,
    pub(super) condition: Formula,
}

/// Each object's active rules, compiled, so a write does not read every rule document
/// again. Filled on first use per object; emptied after any commit that may have changed
/// a rule or the schema (local, reverted or synced: see `Changes::may_change_rules`).
#[derive(Default)]
pub(super) struct RulesCache(
    RefCell<HashMap<ObjectId, Vec<ActiveRule>>>,
    /// Every object's rules, ready for row writes to keep `rule_breaks` current.
    pub(super) RefCell<Option<std::sync::Arc<super::rule_breaks::RuleChecks>>>,
);

impl RulesCache {
    pub(super) fn clear(&self) {
        self.0.borrow_mut().clear();
        self.1.borrow_mut().take();
    }

    fn get(&self, object: ObjectId) -> Option<Vec<ActiveRule>> {
        self.0.borrow().get(&object).cloned()
    }

    fn put(&self, object: ObjectId, rules: Vec<ActiveRule>) {
        self.0.borrow_mut().insert(object, rules);
    }
}

impl Rule {
    fn read(content: &super::ConfigContent) -> Option<Rule> {
        let c = &content.content;
        Some(Rule {
            id: content.id,
            object: c.get(OBJECT)?.parse().ok()?,
            condition: c.get(CONDITION).cloned().unwrap_or_default(),
            message: c.get(MESSAGE).cloned().unwrap_or_default(),
            fields: c
                .get(FIELDS)
                .map(|f| f.split(',').filter_map(|id| id.trim().parse().ok()).collect())
                .unwrap_or_default(),
            enabled: c.get(ENABLED).is_none_or(|e| e != "false"),
            archived: content.archived,
        })
    }
}

fn field_ids(fields: &[FieldId]) -> String {
    fields.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

/// The values a formula sees for a record: its row read through the current types,
/// lookups through `related` (the row of a related record).
pub(crate) struct RowEnv<'a> {
    pub(crate) schema: &'a Schema,
    pub(crate) object: &'a ObjectDef,
    pub(crate) values: &'a BTreeMap<FieldId, Stored>,
    pub(crate) related: &'a dyn Fn(ObjectId, RecordId) -> Option<Row>,
    pub(crate) today: i32,
}

impl FormulaEnv for RowEnv<'_> {
    fn value(&self, field: FieldId) -> Option<Value> {
        let def = self.object.field(field)?;
        field_type::read(def, self.values.get(&field)?)
    }

    fn lookup(&self, relation: FieldId, target: FieldId) -> Option<Value> {
        let def = self.object.field(relation)?;
        let target_object = self.schema.object(def.target?)?;
        let Value::Records(ids) = self.value(relation)? else {
            return None;
        };
        let row = (self.related)(target_object.id, *ids.first()?)?;
        field_type::read(target_object.field(target)?, row.get(target)?)
    }

    fn today(&self) -> i32 {
        self.today
    }
}

/// Whether a record breaks a rule: its condition is *no*. Unknown (a comparison with an
/// empty field: `amount < 1000000` with no amount) and error values do not break it.
pub(super) fn breaks(condition: &Formula, env: &dyn FormulaEnv) -> bool {
    matches!(condition.eval(env), Ok(Some(Value::Bool(false))))
}

/// Checks `rules` against a record's values as they would be saved: the first rule that
/// is *no* refuses the write.
pub(super) fn check_rules(
    rules: &[ActiveRule],
    schema: &Schema,
    object: &ObjectDef,
    values: &BTreeMap<FieldId, Stored>,
    related: &dyn Fn(ObjectId, RecordId) -> Option<Row>,
    today: i32,
) -> Result<()> {
    if rules.is_empty() {
        return Ok(());
    }
    let env = RowEnv {
        schema,
        object,
        values,
        related,
        today,
    };
    for active in rules {
        if breaks(&active.condition, &env) {
            return Err(Error::RuleBroken {
                object: object.key.clone(),
                fields: active
                    .rule
                    .fields
                    .iter()
                    .filter_map(|f| object.field(*f).map(|d| d.key.clone()))
                    .collect(),
                message: active.rule.message.clone(),
            });
        }
    }
    Ok(())
}

impl Workspace {
    /// Adds a validation rule to `object`: `condition` is a yes/no formula as people
    /// write it (`stage != "Won" or not is_empty(close_date)`), checked now against the
    /// schema; `fields` are where the message is shown.
    pub fn add_rule(&mut self, object: ObjectId, condition: &str, message: &str, fields: &[FieldId]) -> Result<DocId> {
        let (stored, fields) = self.checked_rule(object, condition, message, fields)?;
        let object_id = object.to_string();
        let fields = field_ids(&fields);
        self.create_config_doc_with(
            DocKind::Rule,
            message.trim(),
            &[
                (OBJECT, object_id.as_str()),
                (CONDITION, stored.as_str()),
                (MESSAGE, message.trim()),
                (FIELDS, fields.as_str()),
                (ENABLED, "true"),
            ],
        )
    }

    fn checked_rule(
        &self,
        object: ObjectId,
        condition: &str,
        message: &str,
        fields: &[FieldId],
    ) -> Result<(String, Vec<FieldId>)> {
        let obj = self.object_def(object)?;
        let formula = formula::compile(condition, obj, &self.schema)?;
        if formula.result_type() != formula::FormulaType::Bool {
            return Err(Error::Formula(formula::FormulaError::at(
                condition,
                0,
                format!(
                    "a rule's condition must be yes or no, and this one gives {}",
                    formula.result_type()
                ),
            )));
        }
        if message.trim().is_empty() {
            return Err(Error::InvalidRule("a rule needs a message (--message \"...\")".into()));
        }
        for field in fields {
            self.object_def(object)?.field(*field).ok_or_else(|| {
                Error::from(crate::SchemaError::UnknownField {
                    object: obj.key.clone(),
                    field: field.to_string(),
                })
            })?;
        }
        // With no fields given, the message shows beside the fields the condition reads.
        let fields = if fields.is_empty() {
            formula.fields_read().to_vec()
        } else {
            fields.to_vec()
        };
        Ok((formula.stored(), fields))
    }

    /// Every rule (of `object`, or all), oldest first; removed ones included (see
    /// `archived`).
    pub fn rules(&self, object: Option<ObjectId>) -> Result<Vec<Rule>> {
        Ok(self
            .config_contents(&DocKind::Rule)?
            .iter()
            .filter_map(Rule::read)
            .filter(|r| object.is_none_or(|o| r.object == o))
            .collect())
    }

    /// One rule by id (or the start of its id).
    pub fn rule(&self, id: DocId) -> Result<Rule> {
        let content = self.config_doc(id)?;
        if content.kind != DocKind::Rule {
            return Err(Error::ConfigDocNotFound(id.to_string()));
        }
        Rule::read(&content).ok_or_else(|| Error::ConfigDocNotFound(id.to_string()))
    }

    /// A rule's condition as people read it (current field names), or why it no longer
    /// fits the schema (a field it reads was retyped): such a rule is not enforced.
    pub fn rule_condition(&self, rule: &Rule) -> std::result::Result<String, String> {
        let obj = self
            .schema
            .object(rule.object)
            .ok_or_else(|| format!("object {} no longer exists", rule.object))?;
        Formula::from_stored(&rule.condition, obj, &self.schema)
            .map(|f| f.display(obj, &self.schema))
            .map_err(|e| e.to_string())
    }

    /// Changes a rule's condition, message or fields (those given), as one change.
    /// Answers the change's hash (what `revert_change` takes).
    pub fn edit_rule(
        &mut self,
        id: DocId,
        condition: Option<&str>,
        message: Option<&str>,
        fields: Option<&[FieldId]>,
    ) -> Result<Option<String>> {
        let rule = self.rule(id)?;
        let shown;
        let condition = match condition {
            Some(c) => c,
            None => {
                shown = self.rule_condition(&rule).map_err(Error::InvalidRule)?;
                shown.as_str()
            }
        };
        let message = message.unwrap_or(&rule.message);
        let given_fields = fields.unwrap_or(&rule.fields);
        let (stored, fields) = self.checked_rule(rule.object, condition, message, given_fields)?;
        let fields = field_ids(&fields);
        let message = message.trim();
        let name = (message != rule.message).then_some(message);
        self.update_config_doc(
            id,
            name,
            &[
                (CONDITION, Some(stored.as_str())),
                (MESSAGE, Some(message)),
                (FIELDS, Some(fields.as_str())),
            ],
        )
    }

    /// Turns a rule off (it stays, unenforced) or on again.
    pub fn set_rule_enabled(&mut self, id: DocId, enabled: bool) -> Result<Option<String>> {
        self.rule(id)?;
        self.update_config_doc(id, None, &[(ENABLED, Some(if enabled { "true" } else { "false" }))])
    }

    /// Removes a rule: its document is archived, so reverting brings it back.
    pub fn remove_rule(&mut self, id: DocId) -> Result<Option<String>> {
        self.rule(id)?;
        self.archive_config_doc(id, true)
    }

    /// The enabled rules of `object` whose conditions fit the current schema (from the
    /// cache, read and compiled on first use).
    pub(super) fn active_rules(&self, object: ObjectId) -> Result<Vec<ActiveRule>> {
        if !self.config_docs().iter().any(|c| c.kind == DocKind::Rule) {
            return Ok(Vec::new());
        }
        if let Some(rules) = self.rules_cache.get(object) {
            return Ok(rules);
        }
        let rules = self.read_active_rules(object)?;
        self.rules_cache.put(object, rules.clone());
        Ok(rules)
    }

    fn read_active_rules(&self, object: ObjectId) -> Result<Vec<ActiveRule>> {
        let Some(obj) = self.schema.object(object) else {
            return Ok(Vec::new());
        };
        Ok(self
            .rules(Some(object))?
            .into_iter()
            .filter(|r| r.enabled && !r.archived)
            .filter_map(|rule| {
                let condition = Formula::from_stored(&rule.condition, obj, &self.schema).ok()?;
                Some(ActiveRule { rule, condition })
            })
            .collect())
    }

    /// Today, for rule conditions (from the workspace clock, so tests are deterministic).
    pub(super) fn rule_today(&self) -> i32 {
        crate::time_fmt::date_of((self.clock)())
    }

    /// Live records that break an enabled rule (of `object`, or of every object with
    /// rules): after a merge of offline edits, or made before the rule. Read from the
    /// `rule_breaks` table (see `rule_breaks.rs`); [`Self::rule_breaks_first`] bounds it.
    pub fn rule_breaks(&self, object: Option<ObjectId>) -> Result<Vec<RuleBreak>> {
        self.rule_breaks_first(object, usize::MAX)
    }
}
