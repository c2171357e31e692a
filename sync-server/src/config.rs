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
    pub limits: Limits,
    pub compaction: CompactionSettings,
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
            limits: Limits::default(),
            compaction: CompactionSettings::default(),
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
                "COMPACTION_ENABLED" => c.enabled = parse(&var, &value)?,
                "COMPACTION_INTERVAL_SECS" => c.interval_secs = parse(&var, &value)?,
                "COMPACTION_MIN_ENTRIES" => c.min_entries = parse(&var, &value)?,
                "COMPACTION_KEEP_RECENT" => c.keep_recent = parse(&var, &value)?,
                // Read by the CLI, not a setting of the server.
                "CONFIG" => {}
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
        if l.max_queued_messages == 0 {
            return invalid("limits.max_queued_messages", "must be positive");
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
