//! The relay a workspace syncs with, and what the workspace remembers about syncing: all
//! kept as settings in the workspace file, so a replica carries its own configuration.
//!
//! | setting | value |
//! |---|---|
//! | `remote.url` | the relay address as the user gave it |
//! | `remote.token` | the device token (`kr_...`) |
//! | `workspace_id` | the relay workspace this replica belongs to, from the first `welcome` |
//! | `last_sync` | when this replica was last caught up with the relay (ms since 1970) |

use kith_core::Workspace;
use kith_core::sync::protocol::Role;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, Request, header};

use super::{SyncError, Timeouts};

pub(crate) const URL_SETTING: &str = "remote.url";
pub(crate) const TOKEN_SETTING: &str = "remote.token";
pub(crate) const WORKSPACE_ID_SETTING: &str = "workspace_id";
pub(crate) const LAST_SYNC_SETTING: &str = "last_sync";

/// A relay and the token to present to it.
#[derive(Clone, PartialEq, Eq)]
pub struct Remote {
    /// As given: `https://relay.example.com`, `http://127.0.0.1:7878`, `wss://...`.
    pub url: String,
    /// The device token; it decides the relay workspace and the role.
    pub token: String,
    /// How long to wait for the relay (not stored).
    pub(crate) timeouts: Timeouts,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("url", &self.url)
            .field("token", &self.masked_token())
            .finish()
    }
}

impl Remote {
    /// A relay address and token, checked for form (not yet for validity: see
    /// [`super::check_remote`]).
    pub fn new(url: &str, token: &str) -> Result<Self, SyncError> {
        let remote = Remote {
            url: url.trim().to_string(),
            token: token.trim().to_string(),
            timeouts: Timeouts::default(),
        };
        remote.request()?;
        Ok(remote)
    }

    /// The relay stored in `ws`, if any.
    pub fn load(ws: &Workspace) -> Result<Option<Self>, SyncError> {
        match (ws.setting(URL_SETTING)?, ws.setting(TOKEN_SETTING)?) {
            (Some(url), Some(token)) if !url.is_empty() => Ok(Some(Remote {
                url,
                token,
                timeouts: Timeouts::default(),
            })),
            _ => Ok(None),
        }
    }

    /// This relay with other waiting times (tests use short ones).
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Stores this relay in `ws`.
    pub fn save(&self, ws: &mut Workspace) -> Result<(), SyncError> {
        ws.set_setting(URL_SETTING, &self.url)?;
        ws.set_setting(TOKEN_SETTING, &self.token)?;
        Ok(())
    }

    /// The token with all but its first characters hidden, for showing.
    pub fn masked_token(&self) -> String {
        let shown: String = self.token.chars().take(7).collect();
        if shown.len() < self.token.len() {
            format!("{shown}…")
        } else {
            "…".to_string()
        }
    }

    /// The WebSocket address of the sync endpoint: `ws(s)://host[:port][/prefix]/v1/sync`.
    pub fn endpoint(&self) -> Result<String, SyncError> {
        let bad = || SyncError::BadUrl(self.url.clone());
        let (scheme, rest) = self.url.split_once("://").ok_or_else(bad)?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" | "ws" => "ws",
            "https" | "wss" => "wss",
            _ => return Err(bad()),
        };
        let rest = rest.trim_end_matches('/');
        if rest.is_empty() || rest.starts_with('/') || rest.contains(['?', '#']) || rest.contains(char::is_whitespace) {
            return Err(bad());
        }
        if rest.ends_with("/v1/sync") {
            Ok(format!("{scheme}://{rest}"))
        } else {
            Ok(format!("{scheme}://{rest}/v1/sync"))
        }
    }

    /// The WebSocket upgrade request, with `Authorization: Bearer <token>`.
    pub(crate) fn request(&self) -> Result<Request<()>, SyncError> {
        let endpoint = self.endpoint()?;
        let mut request = endpoint
            .as_str()
            .into_client_request()
            .map_err(|_| SyncError::BadUrl(self.url.clone()))?;
        if self.token.is_empty() {
            return Err(SyncError::BadToken);
        }
        let value = HeaderValue::from_str(&format!("Bearer {}", self.token)).map_err(|_| SyncError::BadToken)?;
        request.headers_mut().insert(header::AUTHORIZATION, value);
        Ok(request)
    }
}

/// What the relay said when a device greeted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteInfo {
    /// The relay workspace the token belongs to.
    pub workspace: String,
    /// What the token may do.
    pub role: Role,
    /// The relay's log head: how many changes the workspace has had.
    pub head: u64,
}

/// What a workspace remembers about syncing; read without any network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalSyncState {
    pub remote: Option<Remote>,
    /// The relay workspace this replica belongs to (known after the first contact).
    pub workspace_id: Option<String>,
    /// The highest relay log position this replica has.
    pub cursor: u64,
    /// Local change chunks not yet acknowledged by the relay.
    pub pending: u64,
    /// When this replica was last caught up with the relay (ms since 1970).
    pub last_sync_ms: Option<i64>,
    /// Records received in bulk whose words are not in the search index yet.
    pub search_backlog: u64,
    /// Received changes this version cannot read (kept for a later version).
    pub unreadable: u64,
    /// The relay gave this replica a viewer's token: local changes are refused.
    pub read_only: bool,
    /// Local changes the relay refused (too large), set aside.
    pub stuck: Vec<kith_core::StuckChange>,
    /// Records purged here whose purge the relay has not confirmed yet.
    pub pending_purges: u64,
}

/// Reads what `ws` remembers about syncing.
pub fn local_state(ws: &Workspace) -> Result<LocalSyncState, SyncError> {
    Ok(LocalSyncState {
        remote: Remote::load(ws)?,
        workspace_id: ws.setting(WORKSPACE_ID_SETTING)?.filter(|s| !s.is_empty()),
        cursor: ws.sync_cursor()?,
        pending: ws.outbox_len()?,
        last_sync_ms: ws.setting(LAST_SYNC_SETTING)?.and_then(|s| s.parse().ok()),
        search_backlog: ws.search_backlog()?,
        unreadable: ws.unreadable_len()?,
        read_only: ws.sync_role()? == Some(Role::Viewer),
        stuck: ws.stuck_changes()?,
        pending_purges: ws.pending_purges()?.len() as u64,
    })
}

/// Checks that the relay workspace a token reaches is the one `ws` belongs to, and
/// remembers it on first contact.
///
/// Refuses a token for another relay workspace, and refuses to connect a workspace
/// made with `kith init` (it has its own schema) to a relay workspace that already holds
/// other devices' data: the two would end up with two schemas. Such a device joins.
pub(crate) fn adopt_relay_workspace(ws: &mut Workspace, info: &RemoteInfo) -> Result<(), SyncError> {
    match ws.setting(WORKSPACE_ID_SETTING)?.filter(|s| !s.is_empty()) {
        Some(expected) if expected == info.workspace => Ok(()),
        Some(expected) => Err(SyncError::WrongWorkspace {
            expected,
            found: info.workspace.clone(),
        }),
        None => {
            if info.head > 0 && ws.sync_cursor()? == 0 && ws.has_schema_doc() {
                return Err(SyncError::RelayNotEmpty {
                    workspace: info.workspace.clone(),
                    head: info.head,
                });
            }
            ws.set_setting(WORKSPACE_ID_SETTING, &info.workspace)?;
            Ok(())
        }
    }
}

/// Remembers that the replica is caught up now.
pub(crate) fn mark_synced(ws: &mut Workspace) -> Result<(), SyncError> {
    let now = kith_core::time_fmt::now_ms();
    ws.set_setting(LAST_SYNC_SETTING, &now.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(url: &str) -> Result<String, SyncError> {
        Remote {
            url: url.into(),
            token: "kr_x".into(),
            timeouts: Timeouts::default(),
        }
        .endpoint()
    }

    #[test]
    fn http_addresses_become_websocket_endpoints() {
        assert_eq!(
            endpoint("http://127.0.0.1:7878").unwrap(),
            "ws://127.0.0.1:7878/v1/sync"
        );
        assert_eq!(
            endpoint("https://relay.example.com/").unwrap(),
            "wss://relay.example.com/v1/sync"
        );
        assert_eq!(endpoint("wss://h/kith").unwrap(), "wss://h/kith/v1/sync");
        assert_eq!(endpoint("WS://h:1/v1/sync").unwrap(), "ws://h:1/v1/sync");
    }

    #[test]
    fn other_addresses_are_refused() {
        for url in [
            "relay.example.com",
            "ftp://h",
            "http://",
            "http:///x",
            "http://h?x=1",
            "http://a b",
        ] {
            assert!(matches!(endpoint(url), Err(SyncError::BadUrl(_))), "{url}");
        }
    }

    #[test]
    fn the_request_carries_the_token() {
        let remote = Remote::new("http://127.0.0.1:1", "kr_abc").unwrap();
        let request = remote.request().unwrap();
        assert_eq!(request.headers()[header::AUTHORIZATION], "Bearer kr_abc");
        assert!(matches!(
            Remote::new("http://127.0.0.1:1", "a\nb"),
            Err(SyncError::BadToken)
        ));
        assert!(matches!(
            Remote::new("http://127.0.0.1:1", " "),
            Err(SyncError::BadToken)
        ));
    }

    #[test]
    fn tokens_are_not_shown_whole() {
        let remote = Remote::new("http://h", "kr_0123456789abcdef").unwrap();
        assert_eq!(remote.masked_token(), "kr_0123…");
        assert!(!format!("{remote:?}").contains("89abcdef"));
    }
}
