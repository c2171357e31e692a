//! Validation rules: add, edit, enable / disable, remove and list (`kith rule …`, the
//! schema editor's rule forms, `/api/rules…`). A rule is a condition (a yes/no formula)
//! records of one object must meet to be saved, and the message shown when they do not.
//!
//! A change answers the rule as it is now, with `change` (the hash `kith revert` takes)
//! when something was written; a list answers `{"rules": [rule, …]}`.

use kith_core::{DocId, FieldId, ObjectId, Rule, Workspace};
use serde::{Deserialize, Serialize};

use super::AppError;

/// A rule as every answer shows it: `condition` with today's field names (a rule that no
/// longer fits the schema keeps its stored text and says why in `broken`), `fields` as
/// keys.
#[derive(Debug, Serialize)]
pub(crate) struct RuleJson {
    pub(crate) id: String,
    pub(crate) object: String,
    pub(crate) condition: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) broken: Option<String>,
    pub(crate) message: String,
    pub(crate) fields: Vec<String>,
    pub(crate) enabled: bool,
    pub(crate) removed: bool,
}

impl RuleJson {
    fn new(ws: &Workspace, rule: &Rule) -> Self {
        let (condition, broken) = match ws.rule_condition(rule) {
            Ok(shown) => (shown, None),
            Err(why) => (rule.condition.clone(), Some(why)),
        };
        let obj = ws.schema().object(rule.object);
        RuleJson {
            id: rule.id.to_string(),
            object: obj.map_or_else(|| rule.object.to_string(), |o| o.key.clone()),
            condition,
            broken,
            message: rule.message.clone(),
            fields: rule
                .fields
                .iter()
                .map(|f| {
                    obj.and_then(|o| o.field(*f))
                        .map_or_else(|| f.to_string(), |d| d.key.clone())
                })
                .collect(),
            enabled: rule.enabled,
            removed: rule.archived,
        }
    }

    /// `on`, `off` or `removed`.
    pub(crate) fn state(&self) -> &'static str {
        if self.removed {
            "removed"
        } else if self.enabled {
            "on"
        } else {
            "off"
        }
    }

    /// The last 8 hex digits of the id: ids start with their creation time, so their
    /// ends differ.
    pub(crate) fn short_id(&self) -> &str {
        &self.id[self.id.len().saturating_sub(8)..]
    }
}

/// What a rule change did: the rule now, and the change made (none when nothing
/// needed writing).
#[derive(Debug, Serialize)]
pub(crate) struct RuleChanged {
    #[serde(flatten)]
    pub(crate) rule: RuleJson,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) change: Option<String>,
    /// What was done, as a toast says it (`Rule disabled`); not in the JSON, whose
    /// `message` is the rule's.
    #[serde(skip)]
    pub(crate) done: String,
}

/// A new rule of `object`: records must meet `when`, else people see `message`, beside
/// `fields` (keys or labels; none: the fields the condition reads).
#[derive(Debug, Deserialize)]
pub(crate) struct AddRuleRequest {
    pub(crate) object: String,
    pub(crate) when: String,
    pub(crate) message: String,
    #[serde(default)]
    pub(crate) fields: Vec<String>,
}

pub(crate) fn add(ws: &mut Workspace, req: &AddRuleRequest) -> Result<RuleChanged, AppError> {
    let object = ws.object_named(&req.object)?.id;
    let fields = field_ids(ws, object, &req.fields)?;
    let id = ws.add_rule(object, &req.when, &req.message, &fields)?;
    let rule = ws.rule(id)?;
    Ok(RuleChanged {
        done: format!("Rule “{}” added", rule.message.trim()),
        rule: RuleJson::new(ws, &rule),
        change: None,
    })
}

/// A new condition, message or fields (each kept when not given) for `rule`.
#[derive(Debug, Deserialize)]
pub(crate) struct EditRuleRequest {
    pub(crate) rule: String,
    pub(crate) when: Option<String>,
    pub(crate) message: Option<String>,
    #[serde(default)]
    pub(crate) fields: Vec<String>,
}

pub(crate) fn edit(ws: &mut Workspace, req: &EditRuleRequest) -> Result<RuleChanged, AppError> {
    let id = find_rule(ws, &req.rule)?;
    let object = ws.rule(id)?.object;
    let fields = field_ids(ws, object, &req.fields)?;
    let fields = (!fields.is_empty()).then_some(fields.as_slice());
    let change = ws.edit_rule(id, req.when.as_deref(), req.message.as_deref(), fields)?;
    changed(ws, id, change, "Rule saved")
}

/// A rule, by its id or the start or end of it (at least 4 characters).
#[derive(Debug, Deserialize)]
pub(crate) struct RuleRequest {
    pub(crate) rule: String,
}

/// Enforces a rule again (`enabled`) or stops enforcing it (it is kept).
pub(crate) fn set_enabled(ws: &mut Workspace, req: &RuleRequest, enabled: bool) -> Result<RuleChanged, AppError> {
    let id = find_rule(ws, &req.rule)?;
    let change = ws.set_rule_enabled(id, enabled)?;
    changed(ws, id, change, if enabled { "Rule enabled" } else { "Rule disabled" })
}

/// Removes a rule: its document is archived, so reverting the change brings it back.
pub(crate) fn remove(ws: &mut Workspace, req: &RuleRequest) -> Result<RuleChanged, AppError> {
    let id = find_rule(ws, &req.rule)?;
    let change = ws.remove_rule(id)?;
    changed(ws, id, change, "Rule removed")
}

/// The rules of `object` (all objects when none), removed ones only with `all`.
#[derive(Debug, Deserialize)]
pub(crate) struct RulesRequest {
    pub(crate) object: Option<String>,
    #[serde(default)]
    pub(crate) all: bool,
}

/// `{"rules": [rule, …]}`.
#[derive(Debug, Serialize)]
pub(crate) struct RuleList {
    pub(crate) rules: Vec<RuleJson>,
}

pub(crate) fn list(ws: &Workspace, req: &RulesRequest) -> Result<RuleList, AppError> {
    let object = match &req.object {
        Some(name) => Some(ws.object_named(name)?.id),
        None => None,
    };
    Ok(RuleList {
        rules: ws
            .rules(object)?
            .iter()
            .filter(|r| req.all || !r.archived)
            .map(|r| RuleJson::new(ws, r))
            .collect(),
    })
}

fn changed(ws: &Workspace, id: DocId, change: Option<String>, done: &str) -> Result<RuleChanged, AppError> {
    Ok(RuleChanged {
        rule: RuleJson::new(ws, &ws.rule(id)?),
        change,
        done: done.to_string(),
    })
}

fn field_ids(ws: &Workspace, object: ObjectId, names: &[String]) -> Result<Vec<FieldId>, AppError> {
    names
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
        .map(|n| Ok(ws.field_named(object, n)?.id))
        .collect()
}

/// A rule named by its id, or by its first or last characters (at least 4; `kith rule
/// list` shows the last 8).
fn find_rule(ws: &Workspace, text: &str) -> Result<DocId, AppError> {
    let text = text.trim().to_ascii_lowercase();
    if let Ok(id) = text.parse::<DocId>() {
        return Ok(id);
    }
    let rules = ws.rules(None)?;
    let found: Vec<&Rule> = rules
        .iter()
        .filter(|r| {
            let id = r.id.to_string();
            text.len() >= 4 && (id.starts_with(&text) || id.ends_with(&text))
        })
        .collect();
    match found.as_slice() {
        [one] => Ok(one.id),
        [] => Err(AppError::Invalid(format!(
            "no rule '{text}' (`kith rule list` shows their ids)"
        ))),
        _ => Err(AppError::Invalid(format!(
            "'{text}' is the start of more than one rule's id; give more characters"
        ))),
    }
}
