//! `backup`: a consistent copy of every table into a new file.

use std::path::{Path, PathBuf};

use redb::{Database, Key, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition, Value, WriteTransaction};

use super::super::StoreError;
use super::super::tables::*;

/// Copies the database to `dest` through a `.partial` file renamed at the end, so a
/// backup that fails halfway leaves nothing that looks like a backup.
pub(super) fn copy_atomically(db: &Database, dest: &Path) -> Result<(), StoreError> {
    let partial = partial_path(dest);
    let _ = std::fs::remove_file(&partial);
    match copy_to(db, &partial) {
        Ok(()) => std::fs::rename(&partial, dest).map_err(|e| StoreError::Redb(redb::StorageError::Io(e).into())),
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// Copies every table, as of one read transaction, into a new database at `path`.
fn copy_to(db: &Database, path: &Path) -> Result<(), StoreError> {
    let from = db.begin_read()?;
    let out = Database::create(path)?;
    let to = out.begin_write()?;
    copy_table(&from, &to, WORKSPACES)?;
    copy_table(&from, &to, TOKENS)?;
    copy_table(&from, &to, TOKEN_HASHES)?;
    copy_table(&from, &to, TOKEN_DETAILS)?;
    copy_table(&from, &to, LOG)?;
    copy_table(&from, &to, DEDUP)?;
    copy_table(&from, &to, DOC_ENTRIES)?;
    copy_table(&from, &to, SNAPSHOTS)?;
    copy_table(&from, &to, SNAPSHOT_SEQ)?;
    copy_table(&from, &to, HEADS)?;
    copy_table(&from, &to, EPOCHS)?;
    copy_table(&from, &to, TOMBSTONES)?;
    copy_table(&from, &to, META)?;
    to.commit()?;
    Ok(())
}

fn partial_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    dest.with_file_name(name)
}

fn copy_table<K: Key + 'static, V: Value + 'static>(
    from: &ReadTransaction,
    to: &WriteTransaction,
    table: TableDefinition<K, V>,
) -> Result<(), StoreError> {
    let src = from.open_table(table)?;
    let mut dst = to.open_table(table)?;
    for item in src.iter()? {
        let (k, v) = item?;
        dst.insert(k.value(), v.value())?;
    }
    Ok(())
}
