//! A pull's backlog read in steps from one read transaction.

use std::ops::Bound;

use kith_core::DocId;
use kith_core::sync::protocol::{Entry, Snapshot};
use redb::{ReadOnlyTable, ReadTransaction};

use super::super::tables::*;
use super::super::{PullReader, StoreError, fits};

/// A pull's view of the file: the tables as of one read transaction.
pub(super) struct RedbPull {
    ws: [u8; 16],
    head: u64,
    log: ReadOnlyTable<LogKey, LogValue>,
    snapshots: ReadOnlyTable<SnapshotKey, SnapshotValue>,
    snapshot_seq: ReadOnlyTable<SnapshotSeqKey, ()>,
    /// Where the next `next_snapshots` starts; `None` when done.
    snapshot_from: Option<Bound<SnapshotSeqKey>>,
    /// The next seq to send; `None` when done.
    entries_from: Option<u64>,
    /// Keeps the snapshot of the file alive for the tables above.
    _txn: ReadTransaction,
}

impl RedbPull {
    /// A pull after log position `after`, as of `txn`.
    pub(super) fn open(txn: ReadTransaction, ws: [u8; 16], head: u64, after: u64) -> Result<Self, StoreError> {
        Ok(RedbPull {
            ws,
            head,
            log: txn.open_table(LOG)?,
            snapshots: txn.open_table(SNAPSHOTS)?,
            snapshot_seq: txn.open_table(SNAPSHOT_SEQ)?,
            snapshot_from: after.checked_add(1).map(|s| Bound::Included((ws, s, [0u8; 16]))),
            entries_from: after.checked_add(1),
            _txn: txn,
        })
    }
}

impl PullReader for RedbPull {
    fn head(&self) -> u64 {
        self.head
    }

    fn next_snapshots(&mut self, max_bytes: usize) -> Result<Vec<Snapshot>, StoreError> {
        let Some(from) = self.snapshot_from.take() else {
            return Ok(Vec::new());
        };
        let end = Bound::Included((self.ws, u64::MAX, [0xffu8; 16]));
        let mut out = Vec::new();
        let mut bytes = 0;
        let mut last = None;
        for item in self.snapshot_seq.range::<SnapshotSeqKey>((from, end))? {
            let key = item?.0.value();
            let (_, covers, doc) = key;
            let row = self.snapshots.get((self.ws, doc))?;
            let Some(row) = row else {
                return Err(StoreError::Corrupt(format!(
                    "snapshot_seq names a missing snapshot at {covers}"
                )));
            };
            let data = row.value().1;
            if !fits(out.len(), bytes, data.len(), usize::MAX, max_bytes) {
                break;
            }
            bytes += data.len();
            out.push(Snapshot {
                doc: DocId::from_bytes(doc),
                data: data.to_vec(),
            });
            last = Some(key);
        }
        if let Some(last) = last {
            self.snapshot_from = Some(Bound::Excluded(last));
        }
        Ok(out)
    }

    fn next_entries(&mut self, max_entries: usize, max_bytes: usize) -> Result<Vec<Entry>, StoreError> {
        let Some(from) = self.entries_from else {
            return Ok(Vec::new());
        };
        let mut out: Vec<Entry> = Vec::new();
        let mut bytes = 0;
        for item in self.log.range((self.ws, from)..=(self.ws, u64::MAX))? {
            let (key, row) = item?;
            let (_, seq) = key.value();
            let (doc, _, data) = row.value();
            if !fits(out.len(), bytes, data.len(), max_entries, max_bytes) {
                break;
            }
            bytes += data.len();
            out.push(Entry {
                seq,
                doc: DocId::from_bytes(doc),
                data: data.to_vec(),
            });
        }
        self.entries_from = match out.last() {
            Some(last) => last.seq.checked_add(1),
            None => None,
        };
        Ok(out)
    }
}
