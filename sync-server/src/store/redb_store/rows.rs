//! Rows of the token tables as [`TokenRecord`]s, and the byte count of a workspace
//! stored before its `workspace_bytes` row existed.

use redb::{ReadableTable, WriteTransaction};

use super::super::tables::*;
use super::super::{StoreError, TokenRecord, role_code, role_from_code};
use crate::ids::{TokenId, WorkspaceId};

pub(super) fn token_from_row(
    id: [u8; 8],
    row: TokenRow,
    details: &impl ReadableTable<[u8; 8], (&'static str, u64, u64)>,
) -> Result<TokenRecord, StoreError> {
    let (hash, workspace, role, created_ms, revoked) = row;
    let (label, expires_ms, last_used_ms) = match details.get(id)? {
        Some(d) => {
            let (label, expires, used) = d.value();
            (label.to_string(), expires, used)
        }
        None => (String::new(), 0, 0),
    };
    Ok(TokenRecord {
        id: TokenId::from_bytes(id),
        hash,
        workspace: WorkspaceId::from_bytes(workspace),
        role: role_from_code(role)?,
        created_ms,
        revoked,
        label,
        expires_ms: (expires_ms > 0).then_some(expires_ms),
        last_used_ms: (last_used_ms > 0).then_some(last_used_ms),
    })
}

pub(super) fn token_row(t: &TokenRecord) -> TokenRow {
    (
        t.hash,
        *t.workspace.as_bytes(),
        role_code(t.role),
        t.created_ms,
        t.revoked,
    )
}

/// Counts a workspace's stored chunk bytes by reading its log and snapshots (for a
/// workspace written before `workspace_bytes` existed).
pub(super) fn count_bytes(
    log: &impl ReadableTable<LogKey, LogValue>,
    snapshots: &impl ReadableTable<SnapshotKey, SnapshotValue>,
    ws: [u8; 16],
) -> Result<u64, StoreError> {
    let mut bytes = 0u64;
    for item in log.range((ws, 0)..=(ws, u64::MAX))? {
        bytes += item?.1.value().2.len() as u64;
    }
    for item in snapshots.range((ws, [0u8; 16])..=(ws, [0xff; 16]))? {
        bytes += item?.1.value().1.len() as u64;
    }
    Ok(bytes)
}

pub(super) fn put_token(txn: &WriteTransaction, token: &TokenRecord) -> Result<(), StoreError> {
    let mut tokens = txn.open_table(TOKENS)?;
    let mut hashes = txn.open_table(TOKEN_HASHES)?;
    if hashes.get(token.hash)?.is_some() {
        return Err(StoreError::Corrupt("two tokens with the same secret".into()));
    }
    tokens.insert(*token.id.as_bytes(), token_row(token))?;
    hashes.insert(token.hash, *token.id.as_bytes())?;
    txn.open_table(TOKEN_DETAILS)?.insert(
        *token.id.as_bytes(),
        (
            token.label.as_str(),
            token.expires_ms.unwrap_or(0),
            token.last_used_ms.unwrap_or(0),
        ),
    )?;
    Ok(())
}
