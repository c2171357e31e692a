//! `kith-relay token create|list|revoke`.

use anyhow::bail;

use kith_relay::{Config, Role, TokenId, WorkspaceId};

use super::{Admin, Output, print_new_token, when};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Create a token; prints its secret (shown once).
    Create {
        #[arg(long, value_name = "WORKSPACE_ID")]
        workspace: WorkspaceId,
        /// owner (also manages tokens), member (read and write) or viewer (read only).
        #[arg(long, default_value = "member")]
        role: Role,
    },
    /// List tokens (never their secrets).
    List {
        #[arg(long, value_name = "WORKSPACE_ID")]
        workspace: Option<WorkspaceId>,
    },
    /// Revoke a token; its open connections are closed.
    Revoke {
        /// The token id shown by `token list` (not the secret).
        token_id: TokenId,
    },
}

pub(crate) async fn run(command: Command, config: &Config, out: Output) -> anyhow::Result<()> {
    let admin = Admin::connect(config)?;
    match command {
        Command::Create { workspace, role } => {
            let token = admin.create_token(workspace, role).await?;
            if out.json {
                return out.json(&token);
            }
            print_new_token(&token);
        }
        Command::List { workspace } => {
            let tokens = admin.tokens(workspace).await?;
            if out.json {
                return out.json(&tokens);
            }
            for t in tokens {
                let state = if t.revoked { "revoked" } else { "active" };
                println!(
                    "{}  {}  {:<6}  {:<7}  {}",
                    t.id,
                    t.workspace,
                    t.role.as_str(),
                    state,
                    when(t.created_ms)
                );
            }
        }
        Command::Revoke { token_id } => {
            if !admin.revoke_token(token_id).await? {
                bail!("no token {token_id}");
            }
            if out.json {
                return out.json(&serde_json::json!({ "revoked": token_id }));
            }
            println!("token {token_id} revoked");
        }
    }
    Ok(())
}
