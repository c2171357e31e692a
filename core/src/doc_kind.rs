//! What a document is. Every document says so in its root's `kind` (written in its first
//! change), and a replica classifies documents by it, never by their content: the schema
//! document, record documents, and the configuration documents (views, automations,
//! reports, dashboards) that the schema document's manifest lists.
//!
//! Kinds this version does not know (a newer version's) are kept as [`DocKind::Unknown`]:
//! such documents are stored and synced untouched, never read as something else.
//!
//! Stability: the kind names are part of every document.

use std::fmt;
use std::str::FromStr;

use automerge::{ROOT, ReadDoc, ScalarValue, Value};

/// The `kind` key on a document's root.
pub(crate) const KIND: &str = "kind";

/// What a document is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", from = "String")]
pub enum DocKind {
    /// The workspace's schema (one per workspace).
    Schema,
    /// One record.
    Record,
    /// A saved view: filters, sorts, columns.
    View,
    /// An automation rule.
    Automation,
    /// A report.
    Report,
    /// A dashboard of reports.
    Dashboard,
    /// A validation rule: a condition records of an object must meet to be saved.
    Rule,
    /// A kind this version does not know, kept as written.
    Unknown(String),
}

impl DocKind {
    /// The configuration kinds: documents listed in the schema document's manifest.
    pub const CONFIG: [DocKind; 5] = [
        DocKind::View,
        DocKind::Automation,
        DocKind::Report,
        DocKind::Dashboard,
        DocKind::Rule,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            DocKind::Schema => "schema",
            DocKind::Record => "record",
            DocKind::View => "view",
            DocKind::Automation => "automation",
            DocKind::Report => "report",
            DocKind::Dashboard => "dashboard",
            DocKind::Rule => "rule",
            DocKind::Unknown(kind) => kind,
        }
    }

    /// Whether this is a configuration kind (view, automation, report, dashboard, rule).
    pub fn is_config(&self) -> bool {
        Self::CONFIG.contains(self)
    }
}

impl fmt::Display for DocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DocKind {
    type Err = std::convert::Infallible;

    /// Never fails: a kind this version does not know is [`DocKind::Unknown`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "schema" => DocKind::Schema,
            "record" => DocKind::Record,
            "view" => DocKind::View,
            "automation" => DocKind::Automation,
            "report" => DocKind::Report,
            "dashboard" => DocKind::Dashboard,
            "rule" => DocKind::Rule,
            other => DocKind::Unknown(other.to_string()),
        })
    }
}

impl From<String> for DocKind {
    fn from(s: String) -> Self {
        let Ok(kind) = s.parse::<DocKind>();
        kind
    }
}

impl From<DocKind> for String {
    fn from(kind: DocKind) -> Self {
        kind.as_str().to_string()
    }
}

/// The kind of a document, from its root's `kind` and, for documents written before
/// kinds existed, the one legacy rule:
///
/// **Legacy (before kinds, up to storage format 3 files made before December 2026):**
/// record documents had no `kind`; a document without `kind` whose root has an `object`
/// string is a record. The schema document always had `kind: "schema"`. Every other
/// document without a kind is unclassified (`None`): for example, a document whose first
/// change has not arrived yet. This is the only place that looks at content.
pub(crate) fn classify(kind: Option<&str>, has_object: bool) -> Option<DocKind> {
    match kind {
        Some(kind) => {
            let Ok(kind) = kind.parse::<DocKind>();
            Some(kind)
        }
        None if has_object => Some(DocKind::Record),
        None => None,
    }
}

/// The kind of a document (see [`classify`]).
pub(crate) fn kind_of<D: ReadDoc>(doc: &D) -> Option<DocKind> {
    let text = |key: &str| match doc.get(ROOT, key) {
        Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        _ => None,
    };
    classify(text(KIND).as_deref(), text(crate::record::OBJECT).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::AutoCommit;
    use automerge::transaction::Transactable;

    #[test]
    fn every_known_kind_reads_back_from_its_name_and_unknown_ones_are_kept() {
        let all = [
            DocKind::Schema,
            DocKind::Record,
            DocKind::View,
            DocKind::Automation,
            DocKind::Report,
            DocKind::Dashboard,
            DocKind::Rule,
            DocKind::Unknown("kanban_board".into()),
        ];
        for kind in all {
            assert_eq!(kind.to_string().parse::<DocKind>().unwrap(), kind);
        }
        assert_eq!("form".parse::<DocKind>().unwrap().to_string(), "form");
        assert!(DocKind::View.is_config() && !DocKind::Record.is_config());
        assert!(!DocKind::Unknown("form".into()).is_config());
    }

    #[test]
    fn a_kind_wins_over_content_and_only_kindless_documents_with_an_object_are_legacy_records() {
        let mut doc = AutoCommit::new();
        assert_eq!(kind_of(&doc), None);
        doc.put(ROOT, "object", "0192f0c4-0000-7000-8000-000000000000").unwrap();
        assert_eq!(kind_of(&doc), Some(DocKind::Record));
        doc.put(ROOT, KIND, "view").unwrap();
        assert_eq!(kind_of(&doc), Some(DocKind::View));
        doc.put(ROOT, KIND, "from_the_future").unwrap();
        assert_eq!(kind_of(&doc), Some(DocKind::Unknown("from_the_future".into())));
    }
}
