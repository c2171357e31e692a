//! Settings: a plain `Deserialize` struct read from a TOML file, then overridden by
//! `KITH_RELAY_*` environment variables. Every setting has a default, so an empty file
//! (or none) is a working configuration. `docs/self-hosting.md` lists them all.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Everything the relay can be told.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where to accept connections (`KITH_RELAY_LISTEN`).
    pub listen: SocketAddr,
    /// The directory holding `relay.redb`, `admin.secret` and `relay.addr`
    /// (`KITH_RELAY_DATA_DIR`).
    pub data_dir: PathBuf,
    /// Where the admin API listens (`KITH_RELAY_ADMIN_LISTEN`): loopback by default, on
    /// a port of its own (0: any free port, written to `relay.addr` for the CLI). The
    /// device port never serves it.
    pub admin_listen: SocketAddr,
    /// A Unix socket for the admin API instead of `admin_listen`
    /// (`KITH_RELAY_ADMIN_SOCKET`); created owner-only (0600).
    pub admin_socket: Option<PathBuf>,
    /// The only directory `backup` writes into, when asked through the admin API
    /// (`KITH_RELAY_BACKUP_DIR`); default `<data_dir>/backups`.
    pub backup_dir: Option<PathBuf>,
    pub limits: Limits,
    pub compaction: CompactionSettings,
    pub metrics: MetricsSettings,
}

/// The device port's `/metrics`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// Serve `/metrics` at all (`KITH_RELAY_METRICS_ENABLED`).
    pub enabled: bool,
    /// When set, `/metrics` answers only `Authorization: Bearer <token>`
    /// (`KITH_RELAY_METRICS_TOKEN`).
    pub token: Option<String>,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            token: None,
        }
    }
}

/// What one connection may do before it is disconnected.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// The largest WebSocket message a device may send (`KITH_RELAY_MAX_FRAME_BYTES`).
    pub max_frame_bytes: usize,
    /// The largest pushed chunk (`KITH_RELAY_MAX_CHUNK_BYTES`).
    pub max_chunk_bytes: usize,
    /// Sustained messages per second per connection (`KITH_RELAY_MESSAGES_PER_SECOND`).
    pub messages_per_second: u32,
    /// Messages a connection may send at once above the sustained rate
    /// (`KITH_RELAY_MESSAGE_BURST`).
    pub message_burst: u32,
    /// Open connections allowed per token (`KITH_RELAY_MAX_CONNECTIONS_PER_TOKEN`).
    pub max_connections_per_token: usize,
    /// Seconds a new connection has to send `hello` (`KITH_RELAY_HELLO_TIMEOUT_SECS`).
    pub hello_timeout_secs: u64,
    /// Messages (acks and live entries) waiting for one slow connection before it is
    /// disconnected; it resumes with a pull (`KITH_RELAY_MAX_QUEUED_MESSAGES`).
    pub max_queued_messages: usize,
    /// Bytes of entries waiting for one slow connection before it is disconnected
    /// (`KITH_RELAY_MAX_QUEUED_BYTES`).
    pub max_queued_bytes: usize,
    /// The most a pushed chunk may take once its compressed parts are inflated; a
    /// larger one is refused as `bad_chunk` before Automerge sees it
    /// (`KITH_RELAY_MAX_INFLATED_CHUNK_BYTES`).
    pub max_inflated_chunk_bytes: usize,
    /// Sustained chunks per second per token, over all its connections and kept
    /// across reconnects (`KITH_RELAY_CHUNKS_PER_SECOND`).
    pub chunks_per_second: u32,
    /// Chunks a token may push at once above the sustained rate (`KITH_RELAY_CHUNK_BURST`).
    pub chunk_burst: u32,
    /// Sustained pushed bytes per second per token (`KITH_RELAY_BYTES_PER_SECOND`).
    pub bytes_per_second: u64,
    /// Bytes a token may push at once above the sustained rate (`KITH_RELAY_BYTE_BURST`).
    pub byte_burst: u64,
    /// The longest a push waits for its token's buckets to refill; a push that would
    /// wait longer is refused with `rate_limited` (`KITH_RELAY_MAX_PUSH_WAIT_SECS`).
    pub max_push_wait_secs: u64,
    /// Bytes of chunk data (log entries and snapshots) one workspace may store; 0 for
    /// no quota. A push that would pass it is refused with `quota_exceeded` and nothing of it
    /// is stored (`KITH_RELAY_WORKSPACE_QUOTA_BYTES`).
    pub workspace_quota_bytes: u64,
    /// Seconds a send to a device may block (a device that stops reading is
    /// disconnected after this) (`KITH_RELAY_SEND_TIMEOUT_SECS`).
    pub send_timeout_secs: u64,
    /// Seconds between pings of an idle connection (`KITH_RELAY_PING_INTERVAL_SECS`).
    pub ping_interval_secs: u64,
    /// Seconds a connection may go without a complete frame beyond the ping interval
    /// (it must at least answer pings); catches a frame sent halfway and stalled
    /// (`KITH_RELAY_FRAME_READ_TIMEOUT_SECS`).
    pub frame_read_timeout_secs: u64,
    /// Seconds a new TCP connection has to send its request headers
    /// (`KITH_RELAY_HEADER_READ_TIMEOUT_SECS`).
    pub header_read_timeout_secs: u64,
    /// Open TCP connections on the device port, all addresses together
    /// (`KITH_RELAY_MAX_CONNECTIONS`).
    pub max_connections: usize,
    /// Open TCP connections on the device port from one IP address
    /// (`KITH_RELAY_MAX_CONNECTIONS_PER_ADDRESS`).
    pub max_connections_per_address: usize,
}

/// Background folding of old log entries into per-document snapshots.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CompactionSettings {
    /// Run compaction in the background (`KITH_RELAY_COMPACTION_ENABLED`).
    pub enabled: bool,
    /// Seconds between runs (`KITH_RELAY_COMPACTION_INTERVAL_SECS`).
    pub interval_secs: u64,
    /// A document is compacted once it has at least this many entries outside the
    /// recent window (`KITH_RELAY_COMPACTION_MIN_ENTRIES`).
    pub min_entries: usize,
    /// The newest this-many log positions of a workspace are never compacted, so
    /// devices that were offline briefly get entries, not whole snapshots
    /// (`KITH_RELAY_COMPACTION_KEEP_RECENT`).
    pub keep_recent: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 7878)),
            data_dir: PathBuf::from("kith-relay-data"),
            admin_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            admin_socket: None,
            backup_dir: None,
            limits: Limits::default(),
            compaction: CompactionSettings::default(),
            metrics: MetricsSettings::default(),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_frame_bytes: 4 << 20,
            max_chunk_bytes: 1 << 20,
            messages_per_second: 200,
            message_burst: 400,
            max_connections_per_token: 16,
            hello_timeout_secs: 10,
            max_queued_messages: 4096,
            max_queued_bytes: 16 << 20,
            max_inflated_chunk_bytes: 4 << 20,
            chunks_per_second: 2000,
            chunk_burst: 20_000,
            bytes_per_second: 8 << 20,
            byte_burst: 64 << 20,
            max_push_wait_secs: 10,
            workspace_quota_bytes: 0,
            send_timeout_secs: 30,
            ping_interval_secs: 30,
            frame_read_timeout_secs: 30,
            header_read_timeout_secs: 10,
            max_connections: 20_000,
            max_connections_per_address: 512,
        }
    }
}

impl Default for CompactionSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            interval_secs: 300,
            // Two: a joining device loads one snapshot instead of merging a second
            // entry into each document (twice as fast for 100k twice-edited records), and
            // batched installs make folding cheap (~0.1 ms per document).
            min_entries: 2,
            keep_recent: 5000,
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    // The underlying errors are part of the message, not `source`s: printing the
    // error chain would repeat them.
    #[error("cannot read the configuration file {path}: {error}")]
    Read { path: PathBuf, error: std::io::Error },
    #[error("invalid configuration file {path}: {error}")]
    Parse { path: PathBuf, error: Box<toml::de::Error> },
    #[error("invalid configuration: {0}")]
    Toml(Box<toml::de::Error>),
    #[error("environment variable {var}='{value}': {reason}")]
    Env { var: String, value: String, reason: String },
    #[error(
        "unknown environment variable {var} (settings are listed in docs/self-hosting.md; unset it or fix its name)"
    )]
    UnknownEnv { var: String },
    #[error("invalid setting {setting}: {reason}")]
    Invalid {
        setting: &'static str,
        reason: &'static str,
    },
}

/// The prefix of every environment override.
pub const ENV_PREFIX: &str = "KITH_RELAY_";

impl Config {
    /// Parses a TOML configuration.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Toml(Box::new(e)))
    }

    /// Reads `path` (if given), then applies the process's `KITH_RELAY_*` variables.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let mut config = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
                    path: path.to_path_buf(),
                    error,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: path.to_path_buf(),
                    error: Box::new(e),
                })?
            }
            None => Config::default(),
        };
        config.apply_env(std::env::vars())?;
        Ok(config)
    }

    /// Applies `KITH_RELAY_*` overrides from `vars` (other variables are ignored; an
    /// unknown `KITH_RELAY_*` one is an error, so a typo does not go unnoticed), then
    /// checks the result.
    pub fn apply_env<I>(&mut self, vars: I) -> Result<(), ConfigError>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        for (var, value) in vars {
            let Some(name) = var.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let l = &mut self.limits;
            let c = &mut self.compaction;
            match name {
                "LISTEN" => self.listen = parse(&var, &value)?,
                "DATA_DIR" => self.data_dir = PathBuf::from(&value),
                "MAX_FRAME_BYTES" => l.max_frame_bytes = parse(&var, &value)?,
                "MAX_CHUNK_BYTES" => l.max_chunk_bytes = parse(&var, &value)?,
                "MESSAGES_PER_SECOND" => l.messages_per_second = parse(&var, &value)?,
                "MESSAGE_BURST" => l.message_burst = parse(&var, &value)?,
                "MAX_CONNECTIONS_PER_TOKEN" => l.max_connections_per_token = parse(&var, &value)?,
                "HELLO_TIMEOUT_SECS" => l.hello_timeout_secs = parse(&var, &value)?,
                "MAX_QUEUED_MESSAGES" => l.max_queued_messages = parse(&var, &value)?,
                "MAX_QUEUED_BYTES" => l.max_queued_bytes = parse(&var, &value)?,
                "MAX_INFLATED_CHUNK_BYTES" => l.max_inflated_chunk_bytes = parse(&var, &value)?,
                "CHUNKS_PER_SECOND" => l.chunks_per_second = parse(&var, &value)?,
                "CHUNK_BURST" => l.chunk_burst = parse(&var, &value)?,
                "BYTES_PER_SECOND" => l.bytes_per_second = parse(&var, &value)?,
                "BYTE_BURST" => l.byte_burst = parse(&var, &value)?,
                "MAX_PUSH_WAIT_SECS" => l.max_push_wait_secs = parse(&var, &value)?,
                "WORKSPACE_QUOTA_BYTES" => l.workspace_quota_bytes = parse(&var, &value)?,
                "SEND_TIMEOUT_SECS" => l.send_timeout_secs = parse(&var, &value)?,
                "PING_INTERVAL_SECS" => l.ping_interval_secs = parse(&var, &value)?,
                "FRAME_READ_TIMEOUT_SECS" => l.frame_read_timeout_secs = parse(&var, &value)?,
                "HEADER_READ_TIMEOUT_SECS" => l.header_read_timeout_secs = parse(&var, &value)?,
                "MAX_CONNECTIONS" => l.max_connections = parse(&var, &value)?,
                "MAX_CONNECTIONS_PER_ADDRESS" => l.max_connections_per_address = parse(&var, &value)?,
                "METRICS_ENABLED" => self.metrics.enabled = parse(&var, &value)?,
                "METRICS_TOKEN" => self.metrics.token = Some(value.clone()).filter(|t| !t.trim().is_empty()),
                "ADMIN_LISTEN" => self.admin_listen = parse(&var, &value)?,
                "ADMIN_SOCKET" => self.admin_socket = Some(PathBuf::from(&value)),
                "BACKUP_DIR" => self.backup_dir = Some(PathBuf::from(&value)),
                "COMPACTION_ENABLED" => c.enabled = parse(&var, &value)?,
                "COMPACTION_INTERVAL_SECS" => c.interval_secs = parse(&var, &value)?,
                "COMPACTION_MIN_ENTRIES" => c.min_entries = parse(&var, &value)?,
                "COMPACTION_KEEP_RECENT" => c.keep_recent = parse(&var, &value)?,
                // Read by the CLI, not a setting of the server.
                "CONFIG" | "LOG_FORMAT" => {}
                _ => return Err(ConfigError::UnknownEnv { var }),
            }
        }
        self.validate()
    }

    /// Refuses settings that would make the relay unusable.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let l = &self.limits;
        let invalid = |setting, reason| Err(ConfigError::Invalid { setting, reason });
        if l.max_chunk_bytes == 0 {
            return invalid("limits.max_chunk_bytes", "must be positive");
        }
        if l.max_frame_bytes <= l.max_chunk_bytes {
            return invalid("limits.max_frame_bytes", "must be larger than limits.max_chunk_bytes");
        }
        if l.messages_per_second == 0 || l.message_burst == 0 {
            return invalid("limits.messages_per_second", "the rate and the burst must be positive");
        }
        if l.max_connections_per_token == 0 {
            return invalid("limits.max_connections_per_token", "must be positive");
        }
        if l.max_queued_messages == 0 || l.max_queued_bytes == 0 {
            return invalid("limits.max_queued_messages", "the queue limits must be positive");
        }
        if l.max_inflated_chunk_bytes < l.max_chunk_bytes {
            return invalid(
                "limits.max_inflated_chunk_bytes",
                "must be at least limits.max_chunk_bytes",
            );
        }
        if l.chunks_per_second == 0 || l.chunk_burst == 0 || l.bytes_per_second == 0 {
            return invalid("limits.chunks_per_second", "the chunk and byte rates must be positive");
        }
        if l.byte_burst < l.max_frame_bytes as u64 {
            return invalid("limits.byte_burst", "must be at least limits.max_frame_bytes");
        }
        if l.send_timeout_secs == 0
            || l.ping_interval_secs == 0
            || l.frame_read_timeout_secs == 0
            || l.header_read_timeout_secs == 0
        {
            return invalid("limits.send_timeout_secs", "timeouts must be positive");
        }
        if l.max_connections == 0 || l.max_connections_per_address == 0 {
            return invalid("limits.max_connections", "must be positive");
        }
        if self.compaction.interval_secs == 0 {
            return invalid("compaction.interval_secs", "must be positive");
        }
        if self.compaction.min_entries < 2 {
            return invalid("compaction.min_entries", "must be at least 2");
        }
        Ok(())
    }
}

fn parse<T: std::str::FromStr>(var: &str, value: &str) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    value.trim().parse().map_err(|e: T::Err| ConfigError::Env {
        var: var.to_string(),
        value: value.to_string(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn an_empty_file_is_the_default_configuration() {
        assert_eq!(Config::from_toml("").unwrap(), Config::default());
        Config::default().validate().unwrap();
    }

    #[test]
    fn a_file_sets_nested_values_and_the_environment_wins() {
        let mut config = Config::from_toml(
            "listen = \"0.0.0.0:9000\"\ndata_dir = \"/var/lib/kith-relay\"\n\
             [limits]\nmax_chunk_bytes = 1000\n[compaction]\nenabled = false\n",
        )
        .unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.limits.max_chunk_bytes, 1000);
        assert!(!config.compaction.enabled);
        config
            .apply_env(vars(&[
                ("KITH_RELAY_LISTEN", "127.0.0.1:1"),
                ("KITH_RELAY_MAX_CHUNK_BYTES", "2000"),
                ("KITH_RELAY_COMPACTION_ENABLED", "true"),
                ("PATH", "/bin"),
            ]))
            .unwrap();
        assert_eq!(config.listen.port(), 1);
        assert_eq!(config.limits.max_chunk_bytes, 2000);
        assert!(config.compaction.enabled);
        assert_eq!(config.data_dir, PathBuf::from("/var/lib/kith-relay"));
    }

    #[test]
    fn bad_values_and_unknown_names_are_refused_with_their_name() {
        let err = Config::default()
            .apply_env(vars(&[("KITH_RELAY_MAX_CHUNK_BYTES", "lots")]))
            .unwrap_err();
        assert!(err.to_string().contains("KITH_RELAY_MAX_CHUNK_BYTES"));
        let err = Config::default()
            .apply_env(vars(&[("KITH_RELAY_LISTN", "x")]))
            .unwrap_err();
        assert!(
            matches!(&err, ConfigError::UnknownEnv { var } if var == "KITH_RELAY_LISTN"),
            "{err}"
        );
        assert!(Config::from_toml("[limits]\nmax_chunks = 3\n").is_err());
        let err = Config::default()
            .apply_env(vars(&[("KITH_RELAY_MAX_FRAME_BYTES", "10")]))
            .unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { .. }));
    }

    #[test]
    fn a_toml_error_is_printed_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relay.toml");
        std::fs::write(&path, "listen = 7\n").unwrap();
        let err = Config::load(Some(&path)).unwrap_err();
        assert!(std::error::Error::source(&err).is_none(), "{err}");
        let text = format!("{:#}", anyhow::Error::from(err));
        let first_line = text.lines().next().unwrap_or_default().to_string();
        assert_eq!(text.matches(&first_line).count(), 1, "{text}");
    }
}
