//! Where the workspace lives: `--workspace PATH` (or `KITH_WORKSPACE`) when given, else
//! `default/` in the per-user data directory (`~/.local/share/kith/default` on Linux,
//! `~/Library/Application Support/kith/default` on macOS, `%APPDATA%\kith\data\default`
//! on Windows).

use std::path::PathBuf;

use crate::CliError;

/// The default workspace directory of the current user.
pub fn default_workspace() -> Result<PathBuf, CliError> {
    directories::ProjectDirs::from("", "", "kith")
        .map(|dirs| dirs.data_dir().join("default"))
        .ok_or(CliError::NoDataDir)
}

/// The workspace directory to use: the one given, or the default.
pub(crate) fn resolve(given: Option<PathBuf>) -> Result<PathBuf, CliError> {
    match given {
        Some(path) => Ok(path),
        None => default_workspace(),
    }
}
