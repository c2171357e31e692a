//! Newtype ids of the relay: workspaces and tokens.
//!
//! Stability: both are stored in redb keys as raw bytes (16 for a workspace, 8 for a
//! token) and shown to people as text (a UUID, 16 hex digits). Changing either breaks
//! existing relay databases and the ids operators have written down.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// A text that is not an id of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseIdError {
    #[error("'{0}' is not a workspace id (expected a UUID such as 0192f0c4-7a1e-7c3a-9d5e-3f1b2a4c5d6e)")]
    Workspace(String),
    #[error("'{0}' is not a token id (expected 16 hex digits)")]
    Token(String),
}

/// A workspace on the relay: one log, one set of tokens. A UUIDv7, so ids sort by
/// creation time. Shown as the hyphenated UUID (the `workspace` of `welcome`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkspaceId([u8; 16]);

impl WorkspaceId {
    /// A new, unique id.
    pub fn new() -> Self {
        Self(*Uuid::now_v7().as_bytes())
    }

    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl Default for WorkspaceId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for WorkspaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Uuid::from_bytes(self.0).hyphenated().fmt(f)
    }
}

impl fmt::Debug for WorkspaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WorkspaceId({self})")
    }
}

impl FromStr for WorkspaceId {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s.trim())
            .map(|u| Self(*u.as_bytes()))
            .map_err(|_| ParseIdError::Workspace(s.to_string()))
    }
}

/// A token's public id, used to list and revoke it. It is not the secret: the secret
/// is shown once when the token is created and only its SHA-256 is stored.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TokenId([u8; 8]);

impl TokenId {
    pub const fn from_bytes(bytes: [u8; 8]) -> Self {
        Self(bytes)
    }

    pub const fn as_bytes(&self) -> &[u8; 8] {
        &self.0
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::auth::hex(&self.0))
    }
}

impl fmt::Debug for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenId({self})")
    }
}

impl FromStr for TokenId {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        crate::auth::unhex::<8>(s.trim())
            .map(Self)
            .ok_or_else(|| ParseIdError::Token(s.to_string()))
    }
}

macro_rules! serde_as_text {
    ($name:ident) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

serde_as_text!(WorkspaceId);
serde_as_text!(TokenId);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn workspace_ids_round_trip_through_text(bytes in any::<[u8; 16]>()) {
            let id = WorkspaceId::from_bytes(bytes);
            prop_assert_eq!(id.to_string().parse::<WorkspaceId>().unwrap(), id);
        }

        #[test]
        fn token_ids_round_trip_through_text(bytes in any::<[u8; 8]>()) {
            let id = TokenId::from_bytes(bytes);
            prop_assert_eq!(id.to_string().parse::<TokenId>().unwrap(), id);
        }
    }

    #[test]
    fn malformed_ids_name_the_input() {
        assert!(
            "nope"
                .parse::<WorkspaceId>()
                .unwrap_err()
                .to_string()
                .contains("'nope'")
        );
        assert!("abc".parse::<TokenId>().unwrap_err().to_string().contains("'abc'"));
    }
}
