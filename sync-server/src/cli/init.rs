//! `kith-relay init`: create the data directory, the database and the admin secret.

use anyhow::{Context, bail};

use kith_relay::{ADMIN_SECRET_FILE, Config, DB_FILE, Relay};

use super::Output;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

pub(crate) fn run(_args: Args, config: Config, out: Output) -> anyhow::Result<()> {
    let dir = config.data_dir.clone();
    let relay = match Relay::open(config) {
        Ok(relay) => relay,
        Err(e) if e.is_locked() => bail!("a relay is already serving {}", dir.display()),
        Err(e) => return Err(e).with_context(|| format!("initializing {}", dir.display())),
    };
    drop(relay);
    if out.json {
        return out.json(&serde_json::json!({ "data_dir": dir }));
    }
    println!("relay data directory ready: {}", dir.display());
    println!("  {DB_FILE}      the database");
    println!("  {ADMIN_SECRET_FILE}    the admin secret (readable by this user only)");
    println!("next: kith-relay workspace create NAME --data {}", dir.display());
    Ok(())
}
