//! `kith-relay workspace create|list`.

use kith_relay::Config;

use super::{Admin, Output, print_new_token, when};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Create a workspace; prints its id and an owner token (shown once).
    Create {
        /// A name for people (the workspace id is what devices use).
        name: String,
    },
    /// List the workspaces.
    List,
}

pub(crate) async fn run(command: Command, config: &Config, out: Output) -> anyhow::Result<()> {
    let admin = Admin::connect(config)?;
    match command {
        Command::Create { name } => {
            let (workspace, token) = admin.create_workspace(&name).await?;
            if out.json {
                return out.json(&serde_json::json!({ "workspace": workspace, "token": token }));
            }
            println!("workspace {} \"{}\"", workspace.id, workspace.name);
            print_new_token(&token);
        }
        Command::List => {
            let workspaces = admin.workspaces().await?;
            if out.json {
                return out.json(&workspaces);
            }
            for w in workspaces {
                println!("{}  {}  {}", w.id, when(w.created_ms), w.name);
            }
        }
    }
    Ok(())
}
