//! The wire protocol between devices and the relay: one message per binary WebSocket
//! frame, CBOR-encoded (serde, externally tagged enums with snake_case names).
//! `docs/sync-protocol.md` describes every message for other implementers.
//!
//! Stability: this is a public wire format. Add fields only with `#[serde(default)]`,
//! add messages only with a new protocol version.

use serde::{Deserialize, Serialize};

use crate::DocId;

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 2;

/// The chunk limit a device assumes before any relay told it its own (the relay's
/// default `max_chunk_bytes`).
pub const DEFAULT_MAX_CHUNK_BYTES: u64 = 1 << 20;

/// The frame limit a device assumes before any relay told it its own.
pub const DEFAULT_MAX_FRAME_BYTES: u64 = 4 << 20;

/// The inflation bound a device assumes before any relay told it its own (the relay's
/// default `max_inflated_chunk_bytes`), and from a relay that does not announce one.
pub const DEFAULT_MAX_INFLATED_CHUNK_BYTES: u64 = 4 << 20;

/// What a device may do in a workspace, decided by its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Read, write, and manage tokens.
    Owner,
    /// Read and write.
    Member,
    /// Read only: pushes are refused.
    Viewer,
}

impl Role {
    pub fn can_push(self) -> bool {
        self != Role::Viewer
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "owner" => Ok(Role::Owner),
            "member" => Ok(Role::Member),
            "viewer" => Ok(Role::Viewer),
            other => Err(format!("unknown role '{other}' (owner, member or viewer)")),
        }
    }
}

/// A local change chunk sent to the relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushChunk {
    /// The device's outbox sequence number, echoed in the acknowledgement.
    pub id: u64,
    pub doc: DocId,
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

/// One entry of the workspace log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Position in the workspace log, from 1, without gaps.
    pub seq: u64,
    pub doc: DocId,
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

/// A compacted document, for bootstrapping a fresh device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub doc: DocId,
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

/// The acknowledgement of one pushed chunk: it is durable in the log at `seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acked {
    /// The `PushChunk::id` it acknowledges.
    pub id: u64,
    pub seq: u64,
}

/// A pushed chunk the relay will not store, and why. The connection stays open and the
/// rest of the push is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// The `PushChunk::id` it answers.
    pub id: u64,
    /// `chunk_too_large`: the chunk is over the relay's chunk limit, or inflates past
    /// its inflation bound.
    pub code: ErrorCode,
    pub message: String,
}

/// A document purged from the workspace for good (an erasure), and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purged {
    pub doc: DocId,
    /// When the relay first erased it, ms since 1970.
    pub at_ms: u64,
}

/// Device → relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientMessage {
    /// First message: the protocol versions the device speaks.
    Hello { versions: Vec<u32>, client: String },
    /// Local chunks to append to the log.
    Push { chunks: Vec<PushChunk> },
    /// Send what the device misses after log position `after` (0 for a fresh device):
    /// snapshots of documents whose compacted entries it has not seen, then the log
    /// entries after `after`, then `CaughtUp`, then live entries as they come.
    Pull { after: u64 },
    /// Erase these documents for good, on the relay and on every device (owner and
    /// member tokens). Answered by `Purged` (to every connection of the workspace),
    /// which is also what tells the sender it is done. Sending it again is harmless.
    Purge { docs: Vec<DocId> },
}

/// Why the relay refuses or ends a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    UnsupportedVersion,
    Unauthorized,
    /// The token's role does not allow this (a viewer pushing).
    Forbidden,
    TokenRevoked,
    FrameTooLarge,
    ChunkTooLarge,
    RateLimited,
    TooManyConnections,
    /// Not a message of this protocol, or out of order (e.g. no `Hello` first).
    Malformed,
    /// A chunk that Automerge cannot read.
    BadChunk,
    ShuttingDown,
    Internal,
    /// A push would pass the workspace's storage quota: nothing of it was stored. The
    /// operator must raise the quota (or free space); retrying does not help.
    QuotaExceeded,
    /// The device did not read what the relay sent fast enough (its queue passed the
    /// relay's budget, or a send blocked): it was disconnected and resumes with a pull.
    TooSlow,
    /// A code this build does not know (a newer relay's): handled like `internal`.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// The wire name (`token_revoked`), as `docs/sync-protocol.md` lists it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::UnsupportedVersion => "unsupported_version",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::TokenRevoked => "token_revoked",
            ErrorCode::FrameTooLarge => "frame_too_large",
            ErrorCode::ChunkTooLarge => "chunk_too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::TooManyConnections => "too_many_connections",
            ErrorCode::Malformed => "malformed",
            ErrorCode::BadChunk => "bad_chunk",
            ErrorCode::ShuttingDown => "shutting_down",
            ErrorCode::Internal => "internal",
            ErrorCode::QuotaExceeded => "quota_exceeded",
            ErrorCode::TooSlow => "too_slow",
            ErrorCode::Unknown => "unknown",
        }
    }
}

/// What the relay accepts, announced in `welcome` so a device can refuse a local
/// change the relay would refuse before it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// The largest chunk (`PushChunk::data`) the relay stores.
    pub max_chunk_bytes: u64,
    /// The largest frame the relay reads.
    pub max_frame_bytes: u64,
    /// The most a chunk may inflate to (its DEFLATE-compressed parts expanded): a
    /// larger one is refused like a chunk over `max_chunk_bytes`. Absent from relays
    /// that predate it (then [`DEFAULT_MAX_INFLATED_CHUNK_BYTES`]).
    #[serde(default = "default_max_inflated")]
    pub max_inflated_chunk_bytes: u64,
}

fn default_max_inflated() -> u64 {
    DEFAULT_MAX_INFLATED_CHUNK_BYTES
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_chunk_bytes: DEFAULT_MAX_CHUNK_BYTES,
            max_frame_bytes: DEFAULT_MAX_FRAME_BYTES,
            max_inflated_chunk_bytes: DEFAULT_MAX_INFLATED_CHUNK_BYTES,
        }
    }
}

/// Relay → device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerMessage {
    /// Answer to `Hello`: the chosen version, the workspace, the token's role, the
    /// log's current head, the log's epoch and the relay's limits.
    ///
    /// The epoch names one life of the workspace log: a relay restored from a backup
    /// (or a workspace created again) has another one, and its log positions are not
    /// the ones a device's cursor counts. A device that sees a new epoch pulls from 0
    /// and pushes the full state of its documents again.
    Welcome {
        version: u32,
        workspace: String,
        role: Role,
        head: u64,
        epoch: String,
        limits: Limits,
    },
    /// Pushed chunks now durable in the log.
    Ack { acks: Vec<Acked> },
    /// Log entries in increasing `seq` order (backlog or live).
    Entries { entries: Vec<Entry> },
    /// The backlog of a `Pull` has been sent up to `head`; live entries follow.
    CaughtUp { head: u64 },
    /// Compacted documents, sent before the entries of a `Pull` (a fresh device gets
    /// most of the workspace this way).
    Snapshots { docs: Vec<Snapshot> },
    /// Documents purged for good: erase them and drop anything that arrives for them
    /// later. Sent in a pull (after its snapshots, before its entries: every purge at or
    /// after the pull's `after`) and live to every connection when a device purges.
    Purged { docs: Vec<Purged> },
    /// Pushed chunks the relay will not store (over its chunk limit); the device sets
    /// them aside instead of sending them again, and the rest of the push is stored.
    Rejected { chunks: Vec<Rejection> },
    /// The relay refuses something; unless it is recoverable it closes the connection.
    Error { code: ErrorCode, message: String },
}

/// A frame that is not a valid message.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("frame of {0} bytes is over the limit of {1}")]
    TooLarge(usize, usize),
    #[error("not a Kith sync message: {0}")]
    Invalid(String),
}

/// Encodes a message into one frame.
pub fn encode<M: Serialize>(message: &M) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail, and every message type serializes.
    if ciborium::into_writer(message, &mut out).is_err() {
        out.clear();
    }
    out
}

/// Decodes one frame, refusing frames over `max_len` bytes.
pub fn decode<M: for<'de> Deserialize<'de>>(frame: &[u8], max_len: usize) -> Result<M, DecodeError> {
    if frame.len() > max_len {
        return Err(DecodeError::TooLarge(frame.len(), max_len));
    }
    ciborium::from_reader(frame).map_err(|e| DecodeError::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn doc_id() -> impl Strategy<Value = DocId> {
        any::<[u8; 16]>().prop_map(DocId::from_bytes)
    }

    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(any::<u8>(), 0..64)
    }

    fn client_message() -> impl Strategy<Value = ClientMessage> {
        prop_oneof![
            (proptest::collection::vec(any::<u32>(), 0..3), ".{0,10}")
                .prop_map(|(versions, client)| ClientMessage::Hello { versions, client }),
            proptest::collection::vec(
                (any::<u64>(), doc_id(), bytes()).prop_map(|(id, doc, data)| PushChunk { id, doc, data }),
                0..4
            )
            .prop_map(|chunks| ClientMessage::Push { chunks }),
            any::<u64>().prop_map(|after| ClientMessage::Pull { after }),
            proptest::collection::vec(doc_id(), 0..3).prop_map(|docs| ClientMessage::Purge { docs }),
        ]
    }

    fn server_message() -> impl Strategy<Value = ServerMessage> {
        let role = prop_oneof![Just(Role::Owner), Just(Role::Member), Just(Role::Viewer)];
        prop_oneof![
            (
                any::<u32>(),
                ".{0,10}",
                role,
                any::<u64>(),
                "[0-9a-f]{0,32}",
                any::<(u64, u64, u64)>()
            )
                .prop_map(|(version, workspace, role, head, epoch, (chunk, frame, inflated))| {
                    ServerMessage::Welcome {
                        version,
                        workspace,
                        role,
                        head,
                        epoch,
                        limits: Limits {
                            max_chunk_bytes: chunk,
                            max_frame_bytes: frame,
                            max_inflated_chunk_bytes: inflated,
                        },
                    }
                }),
            proptest::collection::vec(
                (any::<u64>(), any::<u64>()).prop_map(|(id, seq)| Acked { id, seq }),
                0..4
            )
            .prop_map(|acks| ServerMessage::Ack { acks }),
            proptest::collection::vec(
                (any::<u64>(), doc_id(), bytes()).prop_map(|(seq, doc, data)| Entry { seq, doc, data }),
                0..4
            )
            .prop_map(|entries| ServerMessage::Entries { entries }),
            any::<u64>().prop_map(|head| ServerMessage::CaughtUp { head }),
            proptest::collection::vec((doc_id(), bytes()).prop_map(|(doc, data)| Snapshot { doc, data }), 0..3)
                .prop_map(|docs| ServerMessage::Snapshots { docs }),
            proptest::collection::vec(
                (doc_id(), any::<u64>()).prop_map(|(doc, at_ms)| Purged { doc, at_ms }),
                0..3
            )
            .prop_map(|docs| ServerMessage::Purged { docs }),
            ".{0,20}".prop_map(|message| ServerMessage::Error {
                code: ErrorCode::RateLimited,
                message
            }),
        ]
    }

    proptest! {
        #[test]
        fn client_messages_round_trip(m in client_message()) {
            let frame = encode(&m);
            prop_assert_eq!(decode::<ClientMessage>(&frame, usize::MAX).unwrap(), m);
        }

        #[test]
        fn server_messages_round_trip(m in server_message()) {
            let frame = encode(&m);
            prop_assert_eq!(decode::<ServerMessage>(&frame, usize::MAX).unwrap(), m);
        }

        #[test]
        fn random_bytes_never_panic_the_decoder(frame in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode::<ClientMessage>(&frame, 1 << 20);
            let _ = decode::<ServerMessage>(&frame, 1 << 20);
        }
    }

    #[test]
    fn error_code_names_are_their_wire_names() {
        use ErrorCode as E;
        for code in [
            E::UnsupportedVersion,
            E::Unauthorized,
            E::Forbidden,
            E::TokenRevoked,
            E::FrameTooLarge,
            E::ChunkTooLarge,
            E::RateLimited,
            E::TooManyConnections,
            E::Malformed,
            E::BadChunk,
            E::ShuttingDown,
            E::Internal,
            E::QuotaExceeded,
            E::TooSlow,
            E::Unknown,
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), serde_json::json!(code.as_str()));
        }
    }

    #[test]
    fn an_error_code_from_a_newer_relay_decodes_as_unknown() {
        #[derive(Serialize)]
        #[serde(rename_all = "snake_case")]
        enum Newer {
            Error { code: String, message: String },
        }
        let frame = encode(&Newer::Error {
            code: "some_future_code".into(),
            message: "m".into(),
        });
        assert_eq!(
            decode::<ServerMessage>(&frame, usize::MAX).unwrap(),
            ServerMessage::Error {
                code: ErrorCode::Unknown,
                message: "m".into()
            }
        );
    }

    #[test]
    fn a_welcome_without_an_inflation_bound_assumes_the_default() {
        #[derive(Serialize)]
        struct OldLimits {
            max_chunk_bytes: u64,
            max_frame_bytes: u64,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "snake_case")]
        enum Old {
            Welcome {
                version: u32,
                workspace: String,
                role: Role,
                head: u64,
                epoch: String,
                limits: OldLimits,
            },
        }
        let frame = encode(&Old::Welcome {
            version: 2,
            workspace: "w".into(),
            role: Role::Owner,
            head: 0,
            epoch: "e".into(),
            limits: OldLimits {
                max_chunk_bytes: 10,
                max_frame_bytes: 20,
            },
        });
        let Ok(ServerMessage::Welcome { limits, .. }) = decode::<ServerMessage>(&frame, usize::MAX) else {
            panic!("not a welcome");
        };
        assert_eq!(limits.max_inflated_chunk_bytes, DEFAULT_MAX_INFLATED_CHUNK_BYTES);
    }

    #[test]
    fn oversize_frames_are_refused_before_decoding() {
        let frame = encode(&ClientMessage::Pull { after: 1 });
        assert!(matches!(
            decode::<ClientMessage>(&frame, 2),
            Err(DecodeError::TooLarge(_, 2))
        ));
    }

    #[test]
    fn ids_travel_as_sixteen_raw_bytes() {
        let doc = DocId::new();
        let frame = encode(&Snapshot { doc, data: vec![] });
        assert!(frame.windows(16).any(|w| w == doc.as_bytes()));
    }
}
