//! A client of the admin API, for the CLI while a relay is serving: it finds the
//! relay's address (`relay.addr`) and the admin secret (`admin.secret`) in the data
//! directory. It speaks just enough HTTP/1.1 for that local, trusted server (one
//! request per connection).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use kith_core::sync::protocol::Role;

use crate::admin_api::{Backup, CreateToken, CreateWorkspace, CreatedWorkspace, Deleted, Revoked};
use crate::auth::read_admin_secret;
use crate::ids::{TokenId, WorkspaceId};
use crate::relay::{ADDR_FILE, ADMIN_SECRET_FILE, CompactionReport, NewToken, TokenInfo, WorkspaceInfo};

/// How long one admin request may take (a backup of a large file takes a while).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);
/// The largest answer accepted.
const MAX_RESPONSE: usize = 64 << 20;

/// An admin request that failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminClientError {
    #[error("cannot read {path}: {source} (is the relay running with this data directory?)")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("{path} is missing or invalid; is `kith-relay serve` running with this data directory?")]
    NotServing { path: PathBuf },
    #[error("cannot reach the relay at {addr}: {source}")]
    Connect { addr: String, source: std::io::Error },
    #[error("the relay at {addr} did not answer in time")]
    Timeout { addr: String },
    #[error("the relay answered {status}: {message}")]
    Status { status: u16, message: String },
    #[error("the relay's answer is not understood: {0}")]
    BadResponse(String),
}

/// Where the admin API listens: `relay.addr` holds `HOST:PORT` or `unix:PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminAddress {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl std::fmt::Display for AdminAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AdminAddress::Tcp(addr) => write!(f, "{addr}"),
            AdminAddress::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

impl std::str::FromStr for AdminAddress {
    type Err = std::net::AddrParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.strip_prefix("unix:") {
            Some(path) => Ok(AdminAddress::Unix(PathBuf::from(path))),
            None => s.parse().map(AdminAddress::Tcp),
        }
    }
}

/// Talks to a running relay's admin API.
#[derive(Clone)]
pub struct AdminClient {
    addr: AdminAddress,
    secret: String,
}

impl std::fmt::Debug for AdminClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminClient")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl AdminClient {
    pub fn new(addr: SocketAddr, secret: impl Into<String>) -> Self {
        Self::at(AdminAddress::Tcp(addr), secret)
    }

    /// A client of the admin API at `addr` (TCP or a Unix socket).
    pub fn at(addr: AdminAddress, secret: impl Into<String>) -> Self {
        Self {
            addr,
            secret: secret.into(),
        }
    }

    /// The client of the relay serving `dir` (from its `relay.addr` and `admin.secret`).
    pub fn from_data_dir(dir: &Path) -> Result<Self, AdminClientError> {
        let addr_path = dir.join(ADDR_FILE);
        let addr = match std::fs::read_to_string(&addr_path) {
            Ok(text) => text.trim().parse().map_err(|_| AdminClientError::NotServing {
                path: addr_path.clone(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(AdminClientError::NotServing { path: addr_path });
            }
            Err(source) => {
                return Err(AdminClientError::DataDir {
                    path: addr_path,
                    source,
                });
            }
        };
        let secret_path = dir.join(ADMIN_SECRET_FILE);
        let secret = read_admin_secret(&secret_path)
            .map_err(|source| AdminClientError::DataDir {
                path: secret_path.clone(),
                source,
            })?
            .ok_or(AdminClientError::NotServing { path: secret_path })?;
        Ok(Self::at(addr, secret))
    }

    /// Where the relay's admin API is.
    pub fn addr(&self) -> &AdminAddress {
        &self.addr
    }

    pub async fn create_workspace(&self, name: &str) -> Result<(WorkspaceInfo, NewToken), AdminClientError> {
        let created: CreatedWorkspace = self
            .call(
                "POST",
                "/v1/admin/workspaces",
                Some(&CreateWorkspace { name: name.to_string() }),
            )
            .await?;
        Ok((created.workspace, created.token))
    }

    pub async fn workspaces(&self) -> Result<Vec<WorkspaceInfo>, AdminClientError> {
        self.call::<(), _>("GET", "/v1/admin/workspaces", None).await
    }

    pub async fn rename_workspace(&self, id: WorkspaceId, name: &str) -> Result<WorkspaceInfo, AdminClientError> {
        let body = CreateWorkspace { name: name.to_string() };
        self.call("POST", &format!("/v1/admin/workspaces/{id}/rename"), Some(&body))
            .await
    }

    /// Deletes a workspace with everything in it.
    pub async fn delete_workspace(&self, id: WorkspaceId) -> Result<(), AdminClientError> {
        let _: Deleted = self
            .call::<(), _>("POST", &format!("/v1/admin/workspaces/{id}/delete"), None)
            .await?;
        Ok(())
    }

    pub async fn create_token(&self, workspace: WorkspaceId, role: Role) -> Result<NewToken, AdminClientError> {
        self.create_token_with(workspace, role, "", None).await
    }

    /// A token with a label and an optional expiry (ms since the Unix epoch).
    pub async fn create_token_with(
        &self,
        workspace: WorkspaceId,
        role: Role,
        label: &str,
        expires_ms: Option<u64>,
    ) -> Result<NewToken, AdminClientError> {
        let body = CreateToken {
            workspace,
            role,
            label: label.to_string(),
            expires_ms,
        };
        self.call("POST", "/v1/admin/tokens", Some(&body)).await
    }

    pub async fn tokens(&self, workspace: Option<WorkspaceId>) -> Result<Vec<TokenInfo>, AdminClientError> {
        let path = match workspace {
            Some(w) => format!("/v1/admin/tokens?workspace={w}"),
            None => "/v1/admin/tokens".to_string(),
        };
        self.call::<(), _>("GET", &path, None).await
    }

    /// False if there is no such token.
    pub async fn revoke_token(&self, id: TokenId) -> Result<bool, AdminClientError> {
        let revoked: Revoked = self
            .call::<(), _>("POST", &format!("/v1/admin/tokens/{id}/revoke"), None)
            .await?;
        Ok(revoked.revoked)
    }

    /// Has the relay write a consistent copy of its database to `dest`, an absolute
    /// path on the relay's machine.
    pub async fn backup(&self, dest: &Path) -> Result<(), AdminClientError> {
        let _: Backup = self
            .call(
                "POST",
                "/v1/admin/backup",
                Some(&Backup {
                    dest: dest.to_path_buf(),
                }),
            )
            .await?;
        Ok(())
    }

    pub async fn compact(&self) -> Result<CompactionReport, AdminClientError> {
        self.call::<(), _>("POST", "/v1/admin/compact", None).await
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, AdminClientError> {
        let body = match body {
            Some(b) => serde_json::to_vec(b).map_err(|e| AdminClientError::BadResponse(e.to_string()))?,
            None => Vec::new(),
        };
        let exchange = self.exchange(method, path, &body);
        let (status, body) =
            tokio::time::timeout(REQUEST_TIMEOUT, exchange)
                .await
                .map_err(|_| AdminClientError::Timeout {
                    addr: self.addr.to_string(),
                })??;
        if !(200..300).contains(&status) {
            let message = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
            return Err(AdminClientError::Status { status, message });
        }
        serde_json::from_slice(&body).map_err(|e| AdminClientError::BadResponse(e.to_string()))
    }

    async fn exchange(&self, method: &str, path: &str, body: &[u8]) -> Result<(u16, Vec<u8>), AdminClientError> {
        let connect = |source| AdminClientError::Connect {
            addr: self.addr.to_string(),
            source,
        };
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.secret,
            body.len()
        );
        let response = match &self.addr {
            AdminAddress::Tcp(addr) => {
                let stream = TcpStream::connect(addr).await.map_err(connect)?;
                round_trip(stream, &head, body).await.map_err(connect)?
            }
            #[cfg(unix)]
            AdminAddress::Unix(path) => {
                let stream = tokio::net::UnixStream::connect(path).await.map_err(connect)?;
                round_trip(stream, &head, body).await.map_err(connect)?
            }
            #[cfg(not(unix))]
            AdminAddress::Unix(_) => {
                return Err(connect(std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    "Unix sockets need a Unix system",
                )));
            }
        };
        parse_response(&response)
    }
}

/// Sends one request and reads the whole answer (the server closes the connection).
async fn round_trip<S>(mut stream: S, head: &str, body: &[u8]) -> std::io::Result<Vec<u8>>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut response = Vec::new();
    (&mut stream)
        .take(MAX_RESPONSE as u64)
        .read_to_end(&mut response)
        .await?;
    Ok(response)
}

/// The status and body of an HTTP/1.1 response (`Content-Length`, chunked, or until
/// the connection closed).
fn parse_response(response: &[u8]) -> Result<(u16, Vec<u8>), AdminClientError> {
    let bad = |m: &str| AdminClientError::BadResponse(m.to_string());
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let head = std::str::from_utf8(&response[..split]).map_err(|_| bad("headers are not text"))?;
    let body = &response[split + 4..];
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| bad("no status line"))?;
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked") {
            chunked = true;
        } else if name.eq_ignore_ascii_case("content-length") {
            length = value.parse::<usize>().ok();
        }
    }
    if chunked {
        return Ok((status, dechunk(body).ok_or_else(|| bad("broken chunked body"))?));
    }
    match length {
        Some(n) if n <= body.len() => Ok((status, body[..n].to_vec())),
        Some(_) => Err(bad("the body is shorter than its Content-Length")),
        None => Ok((status, body.to_vec())),
    }
}

fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&body[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_length_chunked_and_unframed_bodies() {
        let r = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(parse_response(r).unwrap(), (200, b"{}".to_vec()));
        let r = b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(r).unwrap(), (404, b"abcde".to_vec()));
        let r = b"HTTP/1.1 500 Oops\r\n\r\nbody";
        assert_eq!(parse_response(r).unwrap(), (500, b"body".to_vec()));
        assert!(parse_response(b"garbage").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n{}").is_err());
    }
}
