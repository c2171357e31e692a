//! What a commit changed, told to change observers (the web UI refreshes open pages
//! with it): after every local write and after every batch applied from the relay.

use crate::{DocId, ObjectId, RecordId};

/// What one commit changed. Empty `records` and `objects` with `schema == false` mean
/// "something else" (settings, sync bookkeeping, a reindex): refresh what you show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Records written: created, edited, deleted, restored, reverted, purged, received.
    pub records: Vec<RecordId>,
    /// Objects whose records changed without each record listed (an import).
    pub objects: Vec<ObjectId>,
    /// Configuration documents (views, ...) written or received.
    pub config: Vec<DocId>,
    /// The schema (objects, fields, options, members) changed.
    pub schema: bool,
    /// Made on this device; `false` when it arrived by sync.
    pub local: bool,
}

impl Changes {
    /// A local change to these records.
    pub fn local_records(records: Vec<RecordId>) -> Self {
        Changes {
            records,
            local: true,
            ..Changes::default()
        }
    }

    /// Whether this commit may have changed a validation rule (a configuration document),
    /// the schema its conditions are read against, or something unlisted: only commits
    /// known to touch nothing but records leave compiled rules as they are.
    pub(crate) fn may_change_rules(&self) -> bool {
        self.schema || !self.config.is_empty() || (self.records.is_empty() && self.objects.is_empty())
    }

    /// A local change nothing more is known about.
    pub fn local() -> Self {
        Changes {
            local: true,
            ..Changes::default()
        }
    }
}

/// Called with what changed after each commit.
pub type ChangeObserver = Box<dyn Fn(&Changes) + Send>;
