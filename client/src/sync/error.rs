//! [`SyncError`]: everything syncing with a relay can fail with, each one sentence that
//! says what to do.

use kith_core::sync::protocol::ErrorCode;

/// Syncing with a relay failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("no relay is set for this workspace; set one with `kith remote set URL --token TOKEN`")]
    NoRemote,
    #[error("'{0}' is not a relay address; write it as https://host[:port] (or http://, ws://, wss://)")]
    BadUrl(String),
    #[error("the token has characters a relay token never has; copy it again from `kith-relay token create`")]
    BadToken,
    #[error("cannot reach the relay at {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("the relay at {url} did not answer within {secs} seconds")]
    Timeout { url: String, secs: u64 },
    #[error(
        "the relay refused the token (unknown or revoked); ask the workspace owner for a new one and run `kith remote set`"
    )]
    Unauthorized,
    #[error("{url} answered HTTP {status} instead of opening a sync connection; is it a Kith relay?")]
    HttpStatus { url: String, status: u16 },
    /// The relay ended syncing for good (a revoked token, a read-only token that pushed,
    /// an incompatible relay): retrying will not help.
    #[error("{}", refusal(*.code, .reason))]
    Refused { code: ErrorCode, reason: String },
    /// The relay reported an error and closed the connection (a one-shot sync does not
    /// retry; `kith sync` again resumes where this stopped).
    #[error("the relay closed the connection ({}): {message}", code_name(*.code))]
    Relay { code: ErrorCode, message: String },
    #[error("the connection to the relay was lost: {0}; run `kith sync` again to resume")]
    ConnectionLost(String),
    #[error("the relay sent something that is not a Kith sync message: {0}")]
    Protocol(String),
    #[error(
        "this workspace is synced with relay workspace {expected}, but the token is for workspace {found}; use a token of {expected}, or `kith join` {found} into another directory"
    )]
    WrongWorkspace { expected: String, found: String },
    #[error(
        "relay workspace {workspace} already holds {head} changes from other devices, and this workspace has its own data that never synced; `kith join` it into a new directory instead"
    )]
    RelayNotEmpty { workspace: String, head: u64 },
    #[error("cannot start the network runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// Boxed: the workspace's error is large, and results travel through every call.
    #[error(transparent)]
    Workspace(Box<kith_core::Error>),
}

impl From<kith_core::Error> for SyncError {
    fn from(e: kith_core::Error) -> Self {
        SyncError::Workspace(Box::new(e))
    }
}

/// The sentence for a relay's final refusal.
fn refusal(code: ErrorCode, reason: &str) -> String {
    match code {
        ErrorCode::TokenRevoked => {
            "the relay refused the token (revoked); ask the workspace owner for a new one and run `kith remote set`"
                .to_string()
        }
        ErrorCode::Unauthorized => {
            "the relay refused the token (unknown or revoked); ask the workspace owner for a new one".to_string()
        }
        ErrorCode::Forbidden => format!(
            "the relay refused a change: this token is read-only (viewer); local changes stay unsynced ({reason})"
        ),
        ErrorCode::QuotaExceeded => format!(
            "the relay workspace is full (over its storage quota); local changes stay unsynced until the relay's operator raises `workspace_quota_bytes` ({reason})"
        ),
        ErrorCode::UnsupportedVersion => {
            format!("the relay speaks another version of the sync protocol ({reason}); update kith or the relay")
        }
        other => format!("the relay stopped syncing ({}): {reason}", code_name(other)),
    }
}

/// The wire name of an error code (`token_revoked`), as `docs/sync-protocol.md` lists it.
pub(crate) fn code_name(code: ErrorCode) -> &'static str {
    code.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revoked_token_says_so() {
        let e = SyncError::Refused {
            code: ErrorCode::TokenRevoked,
            reason: "token revoked".into(),
        };
        assert!(e.to_string().starts_with("the relay refused the token (revoked)"));
    }

    #[test]
    fn a_full_workspace_says_who_can_fix_it() {
        let e = SyncError::Refused {
            code: ErrorCode::QuotaExceeded,
            reason: "the workspace stores 10 bytes".into(),
        };
        let text = e.to_string();
        assert!(text.contains("storage quota") && text.contains("operator"), "{text}");
    }

    #[test]
    fn relay_errors_name_the_wire_code() {
        let e = SyncError::Relay {
            code: ErrorCode::ShuttingDown,
            message: "bye".into(),
        };
        assert_eq!(e.to_string(), "the relay closed the connection (shutting_down): bye");
    }
}
