//! History: what each change of a document did, and the commit messages that say what
//! made it: `edit`, `import:<group>`, `bulk:<group>`, `revert:<group>:<target>`,
//! `resolve`, `restore:<time>`, `schema`, `automation:<group>:<run>:<automation>` (one
//! automation run's writes; `<automation>` is its document id), and `edit:<group>` (an
//! edit that triggered automations: it shares their group, so one revert takes both back).

pub(crate) mod replay;
mod schema_diff;

use automerge::{AutoCommit, Change, ChangeHash};
use serde::Serialize;

use crate::GroupId;

pub(crate) use schema_diff::{SchemaProp, flatten};

/// The change group a commit message names, if any.
pub(crate) fn group_of(message: &str) -> Option<GroupId> {
    let mut parts = message.split(':');
    match parts.next()? {
        "import" | "bulk" | "revert" | "restore" | "automation" | "edit" => parts.next()?.parse().ok(),
        _ => None,
    }
}

/// The run and the automation an `automation:<group>:<run>:<automation>` message names.
pub(crate) fn automation_run_of(message: &str) -> Option<(GroupId, crate::DocId)> {
    let mut parts = message.split(':');
    if parts.next()? != "automation" {
        return None;
    }
    let _group = parts.next()?;
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// What made a change, from its commit message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Edit,
    Import,
    BulkEdit,
    Revert,
    Resolve,
    Restore,
    Automation,
    Schema,
    Other,
}

impl ChangeKind {
    pub(crate) fn of(message: &str) -> Self {
        match message.split(':').next().unwrap_or_default() {
            "edit" => ChangeKind::Edit,
            "import" => ChangeKind::Import,
            "bulk" => ChangeKind::BulkEdit,
            "revert" => ChangeKind::Revert,
            "resolve" => ChangeKind::Resolve,
            "restore" => ChangeKind::Restore,
            "automation" => ChangeKind::Automation,
            "schema" => ChangeKind::Schema,
            _ => ChangeKind::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Edit => "edit",
            ChangeKind::Import => "import",
            ChangeKind::BulkEdit => "bulk edit",
            ChangeKind::Revert => "revert",
            ChangeKind::Resolve => "conflict resolved",
            ChangeKind::Restore => "restore",
            ChangeKind::Automation => "automation",
            ChangeKind::Schema => "schema",
            ChangeKind::Other => "other",
        }
    }
}

/// The heads of a document as it was at `time` (ms): the changes made at or before
/// `time` that no other such change depends on. Empty if the document did not exist yet.
pub(crate) fn heads_at(doc: &mut AutoCommit, time: i64) -> Vec<ChangeHash> {
    let changes: Vec<Change> = doc.get_changes(&[]);
    let kept: Vec<&Change> = changes.iter().filter(|c| c.timestamp() <= time).collect();
    let mut heads: Vec<ChangeHash> = kept
        .iter()
        .map(|c| c.hash())
        .filter(|h| !kept.iter().any(|c| c.deps().contains(h)))
        .collect();
    heads.sort();
    heads
}

/// A change hash as text (hex).
pub(crate) fn hex(hash: &ChangeHash) -> String {
    hash.0.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses a hex prefix of a change hash into the range of hashes it covers.
pub(crate) fn prefix_range(prefix: &str) -> Option<([u8; 32], [u8; 32])> {
    let prefix = prefix.trim().to_ascii_lowercase();
    if prefix.len() < 6 || prefix.len() > 64 || !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let mut lo = [0u8; 32];
    let mut hi = [0xFFu8; 32];
    for (i, pair) in prefix.as_bytes().chunks(2).enumerate() {
        let text = std::str::from_utf8(pair).ok()?;
        let n = u8::from_str_radix(text, 16).ok()?;
        if pair.len() == 2 {
            lo[i] = n;
            hi[i] = n;
        } else {
            lo[i] = n << 4;
            hi[i] = (n << 4) | 0x0F;
        }
    }
    Some((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_ids_come_from_group_messages_only() {
        let g = GroupId::new();
        assert_eq!(group_of(&format!("import:{g}")), Some(g));
        assert_eq!(group_of(&format!("revert:{g}:abc")), Some(g));
        assert_eq!(group_of("edit"), None);
        assert_eq!(group_of(&format!("edit:{g}")), Some(g));
        let (run, automation) = (GroupId::new(), crate::DocId::new());
        let message = format!("automation:{g}:{run}:{automation}");
        assert_eq!(group_of(&message), Some(g));
        assert_eq!(automation_run_of(&message), Some((run, automation)));
        assert_eq!(automation_run_of(&format!("import:{g}")), None);
        assert_eq!(group_of("import:nonsense"), None);
    }

    #[test]
    fn hash_prefixes_cover_their_range() {
        let (lo, hi) = prefix_range("abc123f").unwrap();
        assert_eq!(&lo[..4], &[0xab, 0xc1, 0x23, 0xf0]);
        assert_eq!(&hi[..4], &[0xab, 0xc1, 0x23, 0xff]);
        assert!(prefix_range("abc").is_none());
        assert!(prefix_range("zzzzzz").is_none());
    }
}
