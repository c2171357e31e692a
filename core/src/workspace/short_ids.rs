//! Finding records and change groups by the short ids people type (see `short_id.rs`),
//! and the short form to print for an id.

use super::Workspace;
use crate::error::{Error, Result, StoreError};
use crate::short_id::{self, hex_prefix_range, id_of_random_key, is_short_form, random_key, shortest_unique};
use crate::store::tables;
use crate::{GroupId, RecordId};

/// What a piece of id text matched.
enum Found<T> {
    None,
    One(T),
    Many,
}

impl<T> Found<T> {
    fn from_iter(mut items: impl Iterator<Item = Result<T>>) -> Result<Self> {
        let Some(first) = items.next().transpose()? else {
            return Ok(Found::None);
        };
        Ok(match items.next().transpose()? {
            None => Found::One(first),
            Some(_) => Found::Many,
        })
    }
}

/// Lowercase hex digits of `text` without hyphens, if it is only that.
fn hex_digits(text: &str) -> Option<String> {
    let hex: String = text
        .chars()
        .filter(|c| *c != '-')
        .collect::<String>()
        .to_ascii_lowercase();
    (hex.len() >= short_id::MIN_TYPED_LEN && hex.len() <= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some(hex)
}

impl Workspace {
    /// Finds a record by the text a person gave for it: its full id, its short id (a
    /// prefix of the id's random part, as the CLI prints it), or, for ids printed by
    /// older versions, a unique prefix of the full id. Live and deleted records alike.
    pub fn find_record_id(&self, text: &str) -> Result<RecordId> {
        let text = text.trim();
        if let Ok(id) = text.parse::<RecordId>() {
            return Ok(id);
        }
        let Some(hex) = hex_digits(text) else {
            return Err(Error::RecordNotFound(text.to_string()));
        };
        let tx = self.store.read()?;
        if is_short_form(text) {
            let short_ids = tx.open_table(tables::SHORT_IDS).map_err(StoreError::from)?;
            let (start, end) = hex_prefix_range(&hex).ok_or_else(|| Error::RecordNotFound(text.to_string()))?;
            let range = short_ids.range(start..=end).map_err(StoreError::from)?;
            let keys = range.map(|e| {
                let (k, _) = e.map_err(StoreError::from)?;
                Ok(RecordId::from_bytes(id_of_random_key(&k.value())))
            });
            match Found::from_iter(keys)? {
                Found::One(id) => return Ok(id),
                Found::Many => return Err(ambiguous("record", text)),
                Found::None => {}
            }
        }
        let objects = tx.open_table(tables::RECORD_OBJECTS).map_err(StoreError::from)?;
        let (start, end) = hex_prefix_range(&hex).ok_or_else(|| Error::RecordNotFound(text.to_string()))?;
        let range = objects.range(start..=end).map_err(StoreError::from)?;
        let keys = range.map(|e| {
            let (k, _) = e.map_err(StoreError::from)?;
            Ok(RecordId::from_bytes(k.value()))
        });
        match Found::from_iter(keys)? {
            Found::One(id) => Ok(id),
            Found::Many => Err(ambiguous("record", text)),
            Found::None => Err(Error::RecordNotFound(text.to_string())),
        }
    }

    /// The shortest short id (at least [`short_id::MIN_SHORT_LEN`] digits) that names
    /// only this record, or the full id when none does. Two point lookups.
    pub fn short_record_id(&self, id: RecordId) -> Result<String> {
        let key = random_key(id.as_bytes());
        let tx = self.store.read()?;
        let short_ids = tx.open_table(tables::SHORT_IDS).map_err(StoreError::from)?;
        let mut neighbours = Vec::with_capacity(2);
        if let Some(before) = short_ids.range(..key).map_err(StoreError::from)?.next_back() {
            neighbours.push(before.map_err(StoreError::from)?.0.value());
        }
        for entry in short_ids.range(key..).map_err(StoreError::from)? {
            let k = entry.map_err(StoreError::from)?.0.value();
            if k != key {
                neighbours.push(k);
                break;
            }
        }
        Ok(shortest_unique(&key, &neighbours).unwrap_or_else(|| id.to_string()))
    }

    /// Every change group of the workspace, in id order. Skips from group to group in
    /// `groups` (whose keys are group id ‖ doc id), so it costs one lookup per group.
    fn group_ids(&self) -> Result<Vec<GroupId>> {
        let tx = self.store.read()?;
        let groups = tx.open_table(tables::GROUPS).map_err(StoreError::from)?;
        let mut out = Vec::new();
        let mut from: Vec<u8> = Vec::new();
        loop {
            let Some(entry) = groups.range(from.as_slice()..).map_err(StoreError::from)?.next() else {
                break;
            };
            let key = entry.map_err(StoreError::from)?.0;
            let Some(group) = GroupId::from_slice(key.value()) else {
                break;
            };
            out.push(group);
            // Past every key of this group (they are 32 bytes long).
            from = [group.as_bytes().as_slice(), &[0xFF; 17]].concat();
        }
        Ok(out)
    }

    /// Finds a change group by its full id, its short id, or a unique prefix of its id.
    pub fn find_group_id(&self, text: &str) -> Result<GroupId> {
        let text = text.trim();
        if let Ok(id) = text.parse::<GroupId>() {
            return Ok(id);
        }
        let Some(hex) = hex_digits(text) else {
            return Err(Error::GroupNotFound(text.to_string()));
        };
        let groups = self.group_ids()?;
        let by_random = |g: &&GroupId| {
            let key = random_key(g.as_bytes());
            is_short_form(text)
                && key
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
                    .starts_with(&hex)
        };
        let by_prefix = |g: &&GroupId| g.to_string().replace('-', "").starts_with(&hex);
        for matches in [&by_random as &dyn Fn(&&GroupId) -> bool, &by_prefix] {
            match Found::from_iter(groups.iter().filter(matches).map(|g| Ok(*g)))? {
                Found::One(id) => return Ok(id),
                Found::Many => return Err(ambiguous("change group", text)),
                Found::None => {}
            }
        }
        Err(Error::GroupNotFound(text.to_string()))
    }

    /// The shortest short id that names only this change group among the workspace's
    /// groups (the full id when it has none of its own).
    pub fn short_group_id(&self, id: GroupId) -> Result<String> {
        let key = random_key(id.as_bytes());
        let mut others: Vec<[u8; 16]> = self
            .group_ids()?
            .iter()
            .filter(|g| **g != id)
            .map(|g| random_key(g.as_bytes()))
            .collect();
        others.sort_unstable();
        let at = others.partition_point(|k| *k < key);
        let neighbours: Vec<[u8; 16]> = others[at.saturating_sub(1)..(at + 1).min(others.len())].to_vec();
        Ok(shortest_unique(&key, &neighbours).unwrap_or_else(|| id.to_string()))
    }
}

fn ambiguous(kind: &'static str, text: &str) -> Error {
    Error::AmbiguousId {
        kind,
        text: text.to_string(),
    }
}
