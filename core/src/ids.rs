//! Newtype ids. Every id is 16 bytes: records use UUIDv7 (so they sort by creation
//! time), schema entries use random UUIDv4.
//!
//! Stability: ids are stored in documents as their hyphenated UUID string and in redb
//! keys as raw bytes. Changing either encoding breaks every existing replica.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// An id string that is not a UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a valid id (expected a UUID such as 0192f0c4-7a1e-7c3a-9d5e-3f1b2a4c5d6e)")]
pub struct ParseIdError(pub String);

mod serde_bytes_compat {
    /// Deserializes 16 bytes from a binary format's byte string.
    pub(super) struct Bytes16(pub(super) [u8; 16]);

    impl<'de> serde::Deserialize<'de> for Bytes16 {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Visitor;
            impl serde::de::Visitor<'_> for Visitor {
                type Value = Bytes16;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("16 bytes")
                }
                fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Bytes16, E> {
                    v.try_into().map(Bytes16).map_err(|_| E::invalid_length(v.len(), &self))
                }
            }
            d.deserialize_bytes(Visitor)
        }
    }
}

macro_rules! define_id {
    ($(#[$doc:meta])* $name:ident, $new:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name([u8; 16]);

        impl $name {
            /// A new, unique id.
            pub fn new() -> Self {
                Self(*Uuid::$new().as_bytes())
            }

            /// The id from its 16 raw bytes (as stored in redb keys).
            pub const fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(bytes)
            }

            /// The 16 raw bytes.
            pub const fn as_bytes(&self) -> &[u8; 16] {
                &self.0
            }

            /// The id from the first 16 bytes of `bytes`, if there are that many.
            pub fn from_slice(bytes: &[u8]) -> Option<Self> {
                bytes.get(..16)?.try_into().ok().map(Self)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                Uuid::from_bytes(self.0).hyphenated().fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim())
                    .map(|u| Self(*u.as_bytes()))
                    .map_err(|_| ParseIdError(s.to_string()))
            }
        }

        /// Text (the UUID string) in human-readable formats such as JSON, the 16 raw
        /// bytes in binary ones such as postcard and CBOR.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if s.is_human_readable() {
                    s.collect_str(self)
                } else {
                    s.serialize_bytes(&self.0)
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                if d.is_human_readable() {
                    let s = String::deserialize(d)?;
                    s.parse().map_err(serde::de::Error::custom)
                } else {
                    let bytes = <serde_bytes_compat::Bytes16>::deserialize(d)?;
                    Ok(Self(bytes.0))
                }
            }
        }
    };
}

define_id!(
    /// A record, and the Automerge document that holds it. UUIDv7: sorts by creation time.
    RecordId,
    now_v7
);
define_id!(
    /// An object (a table such as "people"), keyed in the schema document.
    ObjectId,
    new_v4
);
define_id!(
    /// A field of an object, keyed in the schema document.
    FieldId,
    new_v4
);
define_id!(
    /// A select option of a field, keyed in the schema document.
    OptionId,
    new_v4
);
define_id!(
    /// Any Automerge document of the workspace (records, schema, configuration).
    DocId,
    now_v7
);
define_id!(
    /// A change group: one import, one bulk edit, one automation run.
    GroupId,
    now_v7
);

impl From<RecordId> for DocId {
    fn from(id: RecordId) -> Self {
        DocId(id.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn record_ids_round_trip_through_their_string_form(bytes in any::<[u8; 16]>()) {
            let id = RecordId::from_bytes(bytes);
            prop_assert_eq!(id.to_string().parse::<RecordId>().unwrap(), id);
        }
    }

    #[test]
    fn new_record_ids_sort_by_creation_time() {
        let a = RecordId::new();
        let b = RecordId::new();
        assert!(a < b);
    }

    #[test]
    fn a_malformed_id_is_a_parse_error_naming_the_input() {
        let err = "nope".parse::<FieldId>().unwrap_err();
        assert!(err.to_string().contains("'nope'"));
    }
}
