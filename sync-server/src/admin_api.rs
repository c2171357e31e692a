//! The admin HTTP API under `/v1/admin`, used by the CLI while `serve` holds the
//! database lock. Every request needs `Authorization: Bearer <admin secret>`, the
//! secret in the data directory's `admin.secret` (readable by the relay's user only).
//!
//! | request | body | answer |
//! |---|---|---|
//! | `POST /workspaces` | `{name}` | `{workspace, token}` |
//! | `GET /workspaces` | | `[workspace]` |
//! | `POST /workspaces/{id}/rename` | `{name}` | `workspace` |
//! | `POST /workspaces/{id}/delete` | | `{deleted: true}` |
//! | `POST /tokens` | `{workspace, role, label?, expires_ms?}` | `token` (with its secret) |
//! | `GET /tokens?workspace=W` | | `[token]` (without secrets) |
//! | `POST /tokens/{id}/revoke` | | `{revoked}` |
//! | `POST /backup` | `{dest}` (absolute path under the relay's `backup_dir`) | `{dest}` |
//! | `POST /compact` | | compaction report |

use std::path::PathBuf;

use axum::Json;
use axum::Router;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::routing::post;
use serde::{Deserialize, Serialize};

use kith_core::sync::protocol::Role;

use crate::auth::bearer;
use crate::error::RelayError;
use crate::ids::{TokenId, WorkspaceId};
use crate::relay::{CompactionReport, NewToken, Relay, TokenInfo, WorkspaceInfo};
use crate::server::ApiError;

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct CreateWorkspace {
    pub(crate) name: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct CreatedWorkspace {
    pub(crate) workspace: WorkspaceInfo,
    pub(crate) token: NewToken,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct CreateToken {
    pub(crate) workspace: WorkspaceId,
    pub(crate) role: Role,
    #[serde(default)]
    pub(crate) label: String,
    #[serde(default)]
    pub(crate) expires_ms: Option<u64>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct TokensQuery {
    pub(crate) workspace: Option<WorkspaceId>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Deleted {
    pub(crate) deleted: bool,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Revoked {
    pub(crate) revoked: bool,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Backup {
    pub(crate) dest: PathBuf,
}

pub(crate) fn routes() -> Router<Relay> {
    Router::new()
        .route("/workspaces", post(create_workspace).get(workspaces))
        .route("/workspaces/{id}/rename", post(rename_workspace))
        .route("/workspaces/{id}/delete", post(delete_workspace))
        .route("/tokens", post(create_token).get(tokens))
        .route("/tokens/{id}/revoke", post(revoke_token))
        .route("/backup", post(backup))
        .route("/compact", post(compact))
}

/// A request carrying the admin secret.
struct Admin;

impl FromRequestParts<Relay> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, relay: &Relay) -> Result<Self, Self::Rejection> {
        let secret = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer);
        match secret {
            Some(secret) if relay.is_admin(secret) => Ok(Admin),
            _ => Err(ApiError::Unauthorized),
        }
    }
}

/// Runs a relay operation on a blocking thread (they use the store).
async fn blocking<T: Send + 'static>(
    relay: Relay,
    op: impl FnOnce(&Relay) -> Result<T, RelayError> + Send + 'static,
) -> Result<Json<T>, ApiError> {
    match tokio::task::spawn_blocking(move || op(&relay)).await {
        Ok(result) => Ok(Json(result?)),
        Err(e) => Err(ApiError::Internal(format!("the admin task failed: {e}"))),
    }
}

async fn create_workspace(
    _: Admin,
    State(relay): State<Relay>,
    Json(body): Json<CreateWorkspace>,
) -> Result<Json<CreatedWorkspace>, ApiError> {
    blocking(relay, move |r| {
        let (workspace, token) = r.create_workspace(&body.name)?;
        Ok(CreatedWorkspace { workspace, token })
    })
    .await
}

async fn workspaces(_: Admin, State(relay): State<Relay>) -> Result<Json<Vec<WorkspaceInfo>>, ApiError> {
    blocking(relay, |r| r.workspaces()).await
}

fn workspace_id(id: &str) -> Result<WorkspaceId, ApiError> {
    id.parse()
        .map_err(|e| ApiError::BadRequest(format!("not a workspace id: {e}")))
}

async fn rename_workspace(
    _: Admin,
    State(relay): State<Relay>,
    Path(id): Path<String>,
    Json(body): Json<CreateWorkspace>,
) -> Result<Json<WorkspaceInfo>, ApiError> {
    let id = workspace_id(&id)?;
    blocking(relay, move |r| r.rename_workspace(id, &body.name)).await
}

async fn delete_workspace(
    _: Admin,
    State(relay): State<Relay>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    let id = workspace_id(&id)?;
    blocking(relay, move |r| {
        r.delete_workspace(id)?;
        Ok(Deleted { deleted: true })
    })
    .await
}

async fn create_token(
    _: Admin,
    State(relay): State<Relay>,
    Json(body): Json<CreateToken>,
) -> Result<Json<NewToken>, ApiError> {
    blocking(relay, move |r| {
        r.create_token_with(body.workspace, body.role, &body.label, body.expires_ms)
    })
    .await
}

async fn tokens(
    _: Admin,
    State(relay): State<Relay>,
    Query(query): Query<TokensQuery>,
) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    blocking(relay, move |r| r.tokens(query.workspace)).await
}

async fn revoke_token(_: Admin, State(relay): State<Relay>, Path(id): Path<String>) -> Result<Json<Revoked>, ApiError> {
    let id: TokenId = id
        .parse()
        .map_err(|e: crate::ids::ParseIdError| ApiError::BadRequest(e.to_string()))?;
    blocking(relay, move |r| {
        Ok(Revoked {
            revoked: r.revoke_token(id)?,
        })
    })
    .await
}

async fn backup(_: Admin, State(relay): State<Relay>, Json(body): Json<Backup>) -> Result<Json<Backup>, ApiError> {
    if !body.dest.is_absolute() {
        return Err(ApiError::BadRequest(
            "the backup destination must be an absolute path".into(),
        ));
    }
    let Some(allowed) = relay.backup_dir() else {
        return Err(ApiError::BadRequest("this relay has no backup directory".into()));
    };
    if !within(&body.dest, &allowed) {
        return Err(ApiError::BadRequest(format!(
            "backups are written only under {} (backup_dir)",
            allowed.display()
        )));
    }
    blocking(relay, move |r| {
        r.backup(&body.dest)?;
        Ok(body)
    })
    .await
}

/// Whether `dest` names a file inside `dir`: no `..`, and its parent (which must
/// exist) resolves to `dir` or below.
fn within(dest: &std::path::Path, dir: &std::path::Path) -> bool {
    use std::path::Component;
    if dest.components().any(|c| matches!(c, Component::ParentDir)) {
        return false;
    }
    let (Some(parent), Ok(dir)) = (dest.parent(), dir.canonicalize()) else {
        return false;
    };
    parent.canonicalize().is_ok_and(|p| p.starts_with(&dir))
}

async fn compact(_: Admin, State(relay): State<Relay>) -> Result<Json<CompactionReport>, ApiError> {
    blocking(relay, |r| r.compact_now()).await
}
