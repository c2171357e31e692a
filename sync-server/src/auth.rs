//! Secrets: device tokens and the admin secret.
//!
//! A device token is a random 256-bit secret shown once as `kr_<64 hex digits>`. The
//! relay stores only the SHA-256 of that text, so a stolen database does not hand out
//! working tokens. The admin secret (`ka_<64 hex digits>`) lives in the data directory,
//! readable by the relay's user only; it authorizes the local admin API that the CLI
//! uses while the server holds the database lock.

use std::path::Path;

use sha2::{Digest, Sha256};

use kith_core::sync::protocol::Role;

use crate::ids::{TokenId, WorkspaceId};
use crate::store::TokenRecord;

/// The prefix of every device token.
pub(crate) const TOKEN_PREFIX: &str = "kr_";
/// The prefix of the admin secret.
pub(crate) const ADMIN_PREFIX: &str = "ka_";

/// The operating system refused to give random bytes.
#[derive(Debug, thiserror::Error)]
#[error("cannot get random bytes from the operating system: {0}")]
pub struct RandomError(getrandom::Error);

/// `N` random bytes from the operating system.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(RandomError)?;
    Ok(out)
}

/// A freshly issued token: what to store, and the secret to show once.
pub(crate) struct Issued {
    pub(crate) record: TokenRecord,
    pub(crate) secret: String,
}

/// Makes a new token for `workspace` with `role`.
pub(crate) fn issue_token(workspace: WorkspaceId, role: Role, now_ms: u64) -> Result<Issued, RandomError> {
    let secret = format!("{TOKEN_PREFIX}{}", hex(&random_bytes::<32>()?));
    let record = TokenRecord {
        id: TokenId::from_bytes(random_bytes::<8>()?),
        hash: hash_secret(&secret),
        workspace,
        role,
        created_ms: now_ms,
        revoked: false,
        label: String::new(),
        expires_ms: None,
        last_used_ms: None,
    };
    Ok(Issued { record, secret })
}

/// A new admin secret.
pub(crate) fn new_admin_secret() -> Result<String, RandomError> {
    Ok(format!("{ADMIN_PREFIX}{}", hex(&random_bytes::<32>()?)))
}

/// The SHA-256 of a secret's text, as stored.
pub(crate) fn hash_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.trim().as_bytes()).into()
}

/// The SHA-256 of arbitrary bytes (chunk deduplication).
/// The deduplication key of a pushed chunk: SHA-256 of the document id and the bytes.
/// The same bytes pushed for another document are a different entry.
pub(crate) fn chunk_hash(doc: &kith_core::DocId, data: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(doc.as_bytes());
    hasher.update(data);
    hasher.finalize().into()
}

#[cfg(test)]
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Compares two digests without an early exit.
pub(crate) fn digests_equal(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The token of an `Authorization: Bearer <token>` header value.
pub(crate) fn bearer(header: &str) -> Option<&str> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| rest.trim())
        .filter(|t| !t.is_empty())
}

/// Reads the admin secret stored in `path`, if the file exists.
pub(crate) fn read_admin_secret(path: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text.trim().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Writes a file readable and writable by its owner only (mode 0600 on Unix).
pub(crate) fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// Exactly `N` bytes from `2 * N` hex digits (either case).
pub(crate) fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (i, pair) in digits.chunks_exact(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out[i] = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_are_long_random_and_stored_only_as_a_hash() {
        let a = issue_token(WorkspaceId::new(), Role::Member, 1).unwrap();
        let b = issue_token(WorkspaceId::new(), Role::Member, 1).unwrap();
        assert!(a.secret.starts_with(TOKEN_PREFIX));
        assert_eq!(a.secret.len(), TOKEN_PREFIX.len() + 64);
        assert_ne!(a.secret, b.secret);
        assert_ne!(a.record.id, b.record.id);
        assert_eq!(a.record.hash, hash_secret(&a.secret));
        assert!(!hex(&a.record.hash).contains(&a.secret[3..]));
    }

    #[test]
    fn bearer_headers_are_parsed_leniently_but_not_blindly() {
        assert_eq!(bearer("Bearer kr_abc"), Some("kr_abc"));
        assert_eq!(bearer("bearer   kr_abc "), Some("kr_abc"));
        assert_eq!(bearer("Basic kr_abc"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("kr_abc"), None);
    }

    #[test]
    fn hex_round_trips() {
        let bytes = [0u8, 1, 0xab, 0xff];
        assert_eq!(hex(&bytes), "0001abff");
        assert_eq!(unhex::<4>("0001ABff"), Some(bytes));
        assert_eq!(unhex::<4>("0001abf"), None);
        assert_eq!(unhex::<4>("0001abfg"), None);
    }

    #[test]
    fn digest_comparison() {
        let a = sha256(b"a");
        assert!(digests_equal(&a, &sha256(b"a")));
        assert!(!digests_equal(&a, &sha256(b"b")));
    }
}
