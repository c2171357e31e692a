//! The command line: global options, the subcommands, and [`Admin`], which runs an
//! administrative operation on the database file directly or, while `serve` holds
//! the file's lock, through the running relay's admin API.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use kith_relay::{
    AdminClient, CompactionReport, Config, DB_FILE, NewToken, Relay, Role, TokenId, TokenInfo, WorkspaceId,
    WorkspaceInfo,
};

mod backup;
mod compact;
mod init;
mod restore;
mod serve;
mod token;
mod workspace;

/// Run and administer a Kith relay.
#[derive(Debug, Parser)]
#[command(name = "kith-relay", version, about, long_about = None)]
pub(crate) struct Cli {
    /// A TOML configuration file (see docs/self-hosting.md).
    #[arg(long, global = true, value_name = "FILE", env = "KITH_RELAY_CONFIG")]
    config: Option<PathBuf>,
    /// The data directory (overrides the configuration and KITH_RELAY_DATA_DIR).
    #[arg(long = "data", global = true, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Print results as JSON.
    #[arg(long, global = true)]
    json: bool,
    /// How the relay logs to stderr: `text` or `json` (one object a line).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "KITH_RELAY_LOG_FORMAT")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the data directory, the database and the admin secret.
    Init(init::Args),
    /// Run the relay until SIGTERM or Ctrl-C.
    Serve(serve::Args),
    /// Create and list workspaces.
    #[command(subcommand)]
    Workspace(workspace::Command),
    /// Create, list and revoke tokens.
    #[command(subcommand)]
    Token(token::Command),
    /// Write a consistent copy of the database (works while serving).
    Backup(backup::Args),
    /// Compact the logs now (works while serving).
    Compact(compact::Args),
    /// Replace the database with a backup (stop the relay first); devices then push
    /// back what the backup misses.
    Restore(restore::Args),
}

/// The log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

impl Cli {
    pub(crate) fn log_format(&self) -> LogFormat {
        self.log_format
    }

    pub(crate) fn is_serve(&self) -> bool {
        matches!(self.command, Command::Serve(_))
    }

    pub(crate) async fn run(self) -> anyhow::Result<()> {
        let mut config = Config::load(self.config.as_deref()).context("configuration")?;
        if let Some(data) = self.data {
            config.data_dir = data;
        }
        let out = Output { json: self.json };
        match self.command {
            Command::Init(args) => init::run(args, config, out),
            Command::Serve(args) => serve::run(args, config).await,
            Command::Workspace(command) => workspace::run(command, &config, out).await,
            Command::Token(command) => token::run(command, &config, out).await,
            Command::Backup(args) => backup::run(args, &config, out).await,
            Command::Compact(args) => compact::run(args, &config, out).await,
            Command::Restore(args) => restore::run(args, &config, out),
        }
    }
}

/// How results are printed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Output {
    pub(crate) json: bool,
}

impl Output {
    pub(crate) fn json<T: serde::Serialize>(self, value: &T) -> anyhow::Result<()> {
        println!("{}", serde_json::to_string_pretty(value)?);
        Ok(())
    }
}

/// Where administrative operations go.
pub(crate) enum Admin {
    /// Nobody serves the directory: open the database file.
    Local(Relay),
    /// `serve` holds the file: ask it over the admin API.
    Remote(AdminClient),
}

impl Admin {
    pub(crate) fn connect(config: &Config) -> anyhow::Result<Admin> {
        let dir = &config.data_dir;
        if !dir.join(DB_FILE).exists() {
            bail!(
                "no relay database in {}; run `kith-relay init --data {}` first",
                dir.display(),
                dir.display()
            );
        }
        match Relay::open(config.clone()) {
            Ok(relay) => Ok(Admin::Local(relay)),
            Err(e) if e.is_locked() => Ok(Admin::Remote(AdminClient::from_data_dir(dir)?)),
            Err(e) => Err(e).with_context(|| format!("opening the relay in {}", dir.display())),
        }
    }

    pub(crate) async fn create_workspace(&self, name: &str) -> anyhow::Result<(WorkspaceInfo, NewToken)> {
        Ok(match self {
            Admin::Local(r) => r.create_workspace(name)?,
            Admin::Remote(c) => c.create_workspace(name).await?,
        })
    }

    pub(crate) async fn workspaces(&self) -> anyhow::Result<Vec<WorkspaceInfo>> {
        Ok(match self {
            Admin::Local(r) => r.workspaces()?,
            Admin::Remote(c) => c.workspaces().await?,
        })
    }

    pub(crate) async fn rename_workspace(&self, id: WorkspaceId, name: &str) -> anyhow::Result<WorkspaceInfo> {
        Ok(match self {
            Admin::Local(r) => r.rename_workspace(id, name)?,
            Admin::Remote(c) => c.rename_workspace(id, name).await?,
        })
    }

    pub(crate) async fn delete_workspace(&self, id: WorkspaceId) -> anyhow::Result<()> {
        match self {
            Admin::Local(r) => r.delete_workspace(id)?,
            Admin::Remote(c) => c.delete_workspace(id).await?,
        }
        Ok(())
    }

    pub(crate) async fn create_token(
        &self,
        workspace: WorkspaceId,
        role: Role,
        label: &str,
        expires_ms: Option<u64>,
    ) -> anyhow::Result<NewToken> {
        Ok(match self {
            Admin::Local(r) => r.create_token_with(workspace, role, label, expires_ms)?,
            Admin::Remote(c) => c.create_token_with(workspace, role, label, expires_ms).await?,
        })
    }

    pub(crate) async fn tokens(&self, workspace: Option<WorkspaceId>) -> anyhow::Result<Vec<TokenInfo>> {
        Ok(match self {
            Admin::Local(r) => r.tokens(workspace)?,
            Admin::Remote(c) => c.tokens(workspace).await?,
        })
    }

    pub(crate) async fn revoke_token(&self, id: TokenId) -> anyhow::Result<bool> {
        Ok(match self {
            Admin::Local(r) => r.revoke_token(id)?,
            Admin::Remote(c) => c.revoke_token(id).await?,
        })
    }

    pub(crate) async fn backup(&self, dest: &Path) -> anyhow::Result<()> {
        match self {
            Admin::Local(r) => r.backup(dest)?,
            Admin::Remote(c) => c.backup(dest).await?,
        }
        Ok(())
    }

    pub(crate) async fn compact(&self) -> anyhow::Result<CompactionReport> {
        Ok(match self {
            Admin::Local(r) => r.compact_now()?,
            Admin::Remote(c) => c.compact().await?,
        })
    }
}

/// Milliseconds since the epoch as RFC 3339 (UTC).
pub(crate) fn when(ms: u64) -> String {
    kith_core::time_fmt::format_datetime(i64::try_from(ms).unwrap_or(i64::MAX))
}

/// Prints a new token, whose secret is shown this once.
pub(crate) fn print_new_token(token: &NewToken) {
    println!(
        "token {} ({}) for workspace {}",
        token.id,
        token.role.as_str(),
        token.workspace
    );
    println!("secret (shown once; give it to the device, it cannot be recovered):");
    println!("  {}", token.secret);
}

#[cfg(test)]
mod help_text;
