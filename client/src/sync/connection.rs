//! Opening a WebSocket to a relay's `/v1/sync`, and one-message helpers on it.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use kith_core::sync::protocol::{ClientMessage, PROTOCOL_VERSION, ServerMessage, decode, encode};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::{Remote, RemoteInfo, SyncError};

/// An open connection to a relay.
pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The largest frame the client accepts from a relay (a `snapshots` batch of big
/// documents can be several megabytes).
pub(crate) const MAX_FRAME: usize = 64 << 20;

/// The client name sent in `hello`.
pub(crate) fn client_name() -> String {
    format!("kith/{}", env!("CARGO_PKG_VERSION"))
}

/// Opens a connection to the relay's sync endpoint, presenting the token.
pub(crate) async fn connect(remote: &Remote, timeout: Duration) -> Result<Socket, SyncError> {
    let request = remote.request()?;
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME))
        .max_frame_size(Some(MAX_FRAME));
    let attempt = tokio_tungstenite::connect_async_with_config(request, Some(config), true);
    match tokio::time::timeout(timeout, attempt).await {
        Err(_) => Err(SyncError::Timeout {
            url: remote.url.clone(),
            secs: timeout.as_secs().max(1),
        }),
        Ok(Ok((socket, _response))) => Ok(socket),
        Ok(Err(e)) => Err(connect_error(remote, e)),
    }
}

fn connect_error(remote: &Remote, e: tungstenite::Error) -> SyncError {
    match e {
        tungstenite::Error::Http(response) if response.status() == StatusCode::UNAUTHORIZED => SyncError::Unauthorized,
        tungstenite::Error::Http(response) => SyncError::HttpStatus {
            url: remote.url.clone(),
            status: response.status().as_u16(),
        },
        tungstenite::Error::Url(_) => SyncError::BadUrl(remote.url.clone()),
        tungstenite::Error::Io(io) => SyncError::Connect {
            url: remote.url.clone(),
            reason: io.to_string(),
        },
        other => SyncError::Connect {
            url: remote.url.clone(),
            reason: other.to_string(),
        },
    }
}

/// Why an open connection failed, in words.
pub(crate) fn describe(e: &tungstenite::Error) -> String {
    use tungstenite::error::ProtocolError;
    match e {
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
            "the relay closed the connection".into()
        }
        tungstenite::Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => "the connection was cut".into(),
        tungstenite::Error::Io(io) => format!("the connection failed ({io})"),
        other => other.to_string(),
    }
}

/// Sends one message as a binary frame.
pub(crate) async fn send(socket: &mut Socket, message: &ClientMessage) -> Result<(), tungstenite::Error> {
    socket.send(Message::Binary(encode(message).into())).await
}

/// Connects, says hello, and returns the relay's welcome; then closes.
pub async fn check_remote(remote: &Remote, timeout: Duration) -> Result<RemoteInfo, SyncError> {
    let exchange = async {
        let mut socket = connect(remote, timeout).await?;
        let hello = ClientMessage::Hello {
            versions: vec![PROTOCOL_VERSION],
            client: client_name(),
        };
        send(&mut socket, &hello)
            .await
            .map_err(|e| SyncError::ConnectionLost(describe(&e)))?;
        let info = loop {
            let message = match socket.next().await {
                None | Some(Ok(Message::Close(_))) => {
                    return Err(SyncError::ConnectionLost("the relay closed the connection".into()));
                }
                Some(Err(e)) => return Err(SyncError::ConnectionLost(describe(&e))),
                Some(Ok(Message::Binary(frame))) => {
                    decode::<ServerMessage>(&frame, MAX_FRAME).map_err(|e| SyncError::Protocol(e.to_string()))?
                }
                Some(Ok(Message::Text(_))) => return Err(SyncError::Protocol("a text frame".into())),
                Some(Ok(_)) => continue,
            };
            match message {
                ServerMessage::Welcome {
                    version,
                    workspace,
                    role,
                    head,
                    ..
                } => {
                    if version != PROTOCOL_VERSION {
                        return Err(SyncError::Refused {
                            code: kith_core::sync::protocol::ErrorCode::UnsupportedVersion,
                            reason: format!("the relay chose protocol version {version}"),
                        });
                    }
                    break RemoteInfo { workspace, role, head };
                }
                ServerMessage::Error { code, message } => return Err(refusal_or_relay_error(code, message)),
                other => return Err(SyncError::Protocol(format!("{other:?} before welcome"))),
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(None)).await;
        Ok(info)
    };
    tokio::time::timeout(timeout, exchange).await.unwrap_or_else(|_| {
        Err(SyncError::Timeout {
            url: remote.url.clone(),
            secs: timeout.as_secs().max(1),
        })
    })
}

/// The relay's `error` as the error a caller sees: final refusals (the engine stops on
/// them too) or a transient relay error.
pub(crate) fn refusal_or_relay_error(code: kith_core::sync::protocol::ErrorCode, message: String) -> SyncError {
    use kith_core::sync::protocol::ErrorCode;
    match code {
        ErrorCode::UnsupportedVersion
        | ErrorCode::Unauthorized
        | ErrorCode::Forbidden
        | ErrorCode::QuotaExceeded
        | ErrorCode::TokenRevoked => SyncError::Refused { code, reason: message },
        _ => SyncError::Relay { code, message },
    }
}
