//! The history of a configuration document (a report, a dashboard, a view): every
//! change, oldest first, with what it changed (name, archived, each content key), so
//! people can see who changed a report and revert that change (`revert_change`).

use serde::Serialize;

use super::Workspace;
use super::config_content::read_at;
use crate::error::{Error, Result};
use crate::history::hex;
use crate::{DocId, DocKind};

/// One property a configuration change set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigDiff {
    /// `name`, `archived`, or a content key (`group_by`, `filter`, ...).
    pub what: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// One change of a configuration document.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigChange {
    /// The change hash (hex); `revert_change` takes any unique prefix of 6+ characters.
    pub change: String,
    pub time: i64,
    pub author: String,
    pub message: String,
    /// The document was created by this change.
    pub created: bool,
    pub diffs: Vec<ConfigDiff>,
}

impl Workspace {
    /// Views and automations store ids: their history shows today's names.
    fn shown_content(&self, doc: &mut super::ConfigContent) {
        match doc.kind {
            DocKind::View => self.view_content_to_shown(&mut doc.content),
            DocKind::Automation => {
                if let Some(json) = doc.content.get_mut("definition")
                    && let Ok(def) = crate::automation::AutomationDef::from_json(json)
                {
                    *json = self.automation_to_shown(&def).to_json();
                }
            }
            _ => {}
        }
    }

    /// Every change of configuration document `id`, oldest first.
    pub fn config_history(&self, id: DocId) -> Result<Vec<ConfigChange>> {
        let mut doc = self
            .read_doc(id)?
            .ok_or_else(|| Error::ConfigDocNotFound(id.to_string()))?;
        let changes = doc.get_changes(&[]);
        let mut out = Vec::with_capacity(changes.len());
        let automerge = doc.document();
        for change in &changes {
            let deps = change.deps();
            let mut before = (!deps.is_empty()).then(|| read_at(automerge, id, Some(deps))).flatten();
            let Some(mut after) = read_at(automerge, id, Some(&[change.hash()])) else {
                continue;
            };
            for content in before.iter_mut().chain([&mut after]) {
                self.shown_content(content);
            }
            let mut diffs = Vec::new();
            let mut diff = |what: &str, old: Option<String>, new: Option<String>| {
                if old != new {
                    diffs.push(ConfigDiff {
                        what: what.to_string(),
                        old,
                        new,
                    });
                }
            };
            diff(
                "name",
                before.as_ref().map(|b| b.name.clone()),
                Some(after.name.clone()),
            );
            let yes_no = |b: bool| Some(if b { "yes" } else { "no" }.to_string());
            diff(
                "archived",
                before.as_ref().map_or(yes_no(false), |b| yes_no(b.archived)),
                yes_no(after.archived),
            );
            let keys: std::collections::BTreeSet<&String> = before
                .iter()
                .flat_map(|b| b.content.keys())
                .chain(after.content.keys())
                .collect();
            for key in keys {
                diff(
                    key,
                    before.as_ref().and_then(|b| b.content.get(key).cloned()),
                    after.content.get(key).cloned(),
                );
            }
            out.push(ConfigChange {
                change: hex(&change.hash()),
                time: change.timestamp(),
                author: self.author_name(change.actor_id()),
                message: change.message().map(str::to_string).unwrap_or_default(),
                created: before.is_none(),
                diffs,
            });
        }
        Ok(out)
    }
}
