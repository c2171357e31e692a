//! Validation rules in the schema editor: per object, each rule's condition (a yes/no
//! formula, shown with current field names) and message, editable in place; disable,
//! enable, remove (archived, revertible) and add. Edits answer with an undo toast.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Redirect;
use kith_core::{ObjectDef, Workspace};
use maud::{Markup, html};

use super::form::FormPairs;
use super::layout::Chrome;
use super::undo::{Undo, redirect_with};
use super::{AppState, WebError};
use crate::app::rules::{self, AddRuleRequest, EditRuleRequest, RuleChanged, RuleJson, RuleRequest, RulesRequest};

/// A rule as the editor shows it: as `kith rule list` and `/api/rules` give it (its
/// condition with today's field names, or why it no longer fits the schema).
pub(crate) type ShownRule = RuleJson;

/// The rules of every object, removed ones left out (the list operation of `kith rule
/// list`).
pub(crate) fn shown_rules(ws: &Workspace) -> Result<Vec<ShownRule>, WebError> {
    Ok(rules::list(
        ws,
        &RulesRequest {
            object: None,
            all: false,
        },
    )?
    .rules)
}

pub(crate) fn rules_section(chrome: &Chrome, o: &ObjectDef, rules: &[ShownRule]) -> Markup {
    let mine: Vec<&ShownRule> = rules.iter().filter(|r| r.object == o.key).collect();
    html! {
        section.rules aria-label={"Validation rules of " (o.label)} {
            h3 { "Validation rules" }
            @if mine.is_empty() {
                p.muted { "None. A rule is a condition records must meet to be saved, such as "
                    code { "stage != \"Won\" or not is_empty([Close date])" } "." }
            }
            @for rule in &mine {
                div.rule data-rule=(rule.id) {
                    form.inline method="post" action="/schema/rule" {
                        (chrome.token_field())
                        input type="hidden" name="rule" value=(rule.id);
                        input type="hidden" name="action" value="edit";
                        label { "When " input type="text" name="when" size="40" required
                            value=(rule.condition)
                            aria-label={"Condition of rule " (rule.message)}; }
                        label { "else say " input type="text" name="message" size="30" required value=(rule.message)
                            aria-label={"Message of rule " (rule.message)}; }
                        button.small type="submit" { "Save" }
                    }
                    @if !rule.enabled { span.chip { "off" } }
                    @if let Some(why) = &rule.broken { p.field-error { "Not enforced: " (why) } }
                    (rule_action(chrome, rule, if rule.enabled { "disable" } else { "enable" },
                        if rule.enabled { "Disable" } else { "Enable" }))
                    (rule_action(chrome, rule, "remove", "Remove"))
                }
            }
            details.add-rule {
                summary { "+ Add a rule" }
                form method="post" action="/schema/rule" {
                    (chrome.token_field())
                    input type="hidden" name="object" value=(o.id);
                    input type="hidden" name="action" value="add";
                    label { "Records must meet " input type="text" name="when" size="40" required
                        placeholder="stage != \"Won\" or not is_empty([Close date])"; }
                    label { "Message " input type="text" name="message" size="30" required
                        placeholder="Close date is required when Stage is Won"; }
                    label { "Show it beside (field keys, optional) " input type="text" name="fields" placeholder="close_date"; }
                    button type="submit" { "Add rule" }
                }
            }
        }
    }
}

fn rule_action(chrome: &Chrome, rule: &RuleJson, action: &str, text: &str) -> Markup {
    html! {
        form.inline method="post" action="/schema/rule" {
            (chrome.token_field())
            input type="hidden" name="rule" value=(rule.id);
            input type="hidden" name="action" value=(action);
            button.small.secondary type="submit" aria-label={(text) " rule " (rule.message)} { (text) }
        }
    }
}

/// POST /schema/rule: `action` = add (with `object`, `when`, `message`, `fields`), edit
/// (with `rule`, `when`, `message`), disable, enable or remove (with `rule`): the
/// operations of `kith rule` and `/api/rules`.
pub(crate) async fn change_rule(State(state): State<Arc<AppState>>, form: FormPairs) -> Result<Redirect, WebError> {
    let action = form.require("action")?.to_string();
    let when = form.get("when").map(str::to_string);
    let message = form.get("message").map(str::to_string);
    let fields: Vec<String> = form
        .get("fields")
        .unwrap_or_default()
        .split([',', ' '])
        .map(str::to_string)
        .collect();
    let object = form.get("object").map(str::to_string);
    let rule = form.get("rule").map(str::to_string);
    let done = state
        .ws
        .call(move |ws| -> Result<RuleChanged, WebError> {
            let rule = || -> Result<RuleRequest, WebError> {
                Ok(RuleRequest {
                    rule: rule
                        .clone()
                        .ok_or_else(|| WebError::BadRequest("say which rule".into()))?,
                })
            };
            Ok(match action.as_str() {
                "add" => rules::add(
                    ws,
                    &AddRuleRequest {
                        object: object.ok_or_else(|| WebError::BadRequest("unknown object".into()))?,
                        when: when.unwrap_or_default(),
                        message: message.unwrap_or_default(),
                        fields,
                    },
                )?,
                "edit" => rules::edit(
                    ws,
                    &EditRuleRequest {
                        rule: rule()?.rule,
                        when,
                        message,
                        fields: Vec::new(),
                    },
                )?,
                "disable" => rules::set_enabled(ws, &rule()?, false)?,
                "enable" => rules::set_enabled(ws, &rule()?, true)?,
                "remove" => rules::remove(ws, &rule()?)?,
                other => return Err(WebError::BadRequest(format!("unknown action '{other}'"))),
            })
        })
        .await??;
    Ok(redirect_with(
        "/schema",
        &done.done,
        done.change.map(Undo::Change).as_ref(),
    ))
}
