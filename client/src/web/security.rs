//! The guard every request passes before a handler sees it:
//!
//! * **Host check** against DNS rebinding: a page on `evil.example` whose name was made
//!   to resolve to 127.0.0.1 sends `Host: evil.example`, which is refused.
//! * **Session token** on every state-changing request (anything but GET / HEAD): in the
//!   `_token` form field, the `x-kith-token` header or the `_token` query parameter. The
//!   token is random per server start and appears only in pages this server rendered.
//! * **Origin check**: a browser sends `Origin` on every cross-site POST; when present it
//!   must be this server's own origin. (Local tools such as curl send none.)

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;

/// The largest request body accepted (a CSV upload fits; a runaway client does not).
pub(crate) const MAX_BODY: usize = 64 * 1024 * 1024;

/// The form field, header and query parameter that carry the session token.
pub(crate) const TOKEN_FIELD: &str = "_token";
pub(crate) const TOKEN_HEADER: &str = "x-kith-token";

pub(crate) async fn guard(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let known = state.allowed_hosts.contains(&host) || (state.any_ip_host && is_ip_host(&host, state.port));
    if !known {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "unknown Host header: this server answers only to its own address",
        );
    }
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        return harden(next.run(req).await);
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let expected = format!("http://{host}");
        if origin.to_str().ok() != Some(expected.as_str()) {
            return refuse(StatusCode::FORBIDDEN, "cross-origin request refused");
        }
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, "request body too large");
    };
    let token_ok = header_token(&parts.headers) == Some(state.token.as_str())
        || query_token(parts.uri.query()).as_deref() == Some(state.token.as_str())
        || (is_form(&parts.headers) && form_token(&bytes).as_deref() == Some(state.token.as_str()));
    if !token_ok {
        return refuse(
            StatusCode::FORBIDDEN,
            "missing or wrong session token: reload the page and try again",
        );
    }
    harden(next.run(Request::from_parts(parts, Body::from(bytes))).await)
}

/// Headers that keep a page from running anything but its own script, from being framed
/// by another site (clickjacking), and from being sniffed as another type.
fn harden(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

fn refuse(status: StatusCode, message: &'static str) -> Response {
    (status, message).into_response()
}

fn header_token(headers: &HeaderMap) -> Option<&str> {
    headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok())
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

fn form_token(body: &[u8]) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == TOKEN_FIELD)
        .map(|(_, v)| v.into_owned())
}

fn query_token(query: Option<&str>) -> Option<String> {
    form_token(query?.as_bytes())
}

/// The Host header values this server answers to when bound to `addr`.
pub(crate) fn allowed_hosts(addr: std::net::SocketAddr) -> Vec<String> {
    let port = addr.port();
    let mut hosts = vec![
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ];
    let own = match addr.ip() {
        std::net::IpAddr::V6(ip) => format!("[{ip}]:{port}"),
        ip => format!("{ip}:{port}"),
    };
    if !hosts.contains(&own) && !addr.ip().is_unspecified() {
        hosts.push(own);
    }
    hosts
}

/// `host` is an IP address literal with `port` (`192.168.1.5:7878`, `[fe80::1]:7878`).
/// A DNS-rebinding page always arrives with a name, never an address, so an address is
/// safe to accept when the server listens on every interface.
fn is_ip_host(host: &str, port: u16) -> bool {
    let Some((ip, p)) = host.rsplit_once(':') else {
        return false;
    };
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    p.parse() == Ok(port) && ip.parse::<std::net::IpAddr>().is_ok()
}

/// A fresh random session token.
pub(crate) fn new_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_address_literals_with_our_port_pass_as_hosts() {
        assert!(is_ip_host("192.168.1.5:7878", 7878));
        assert!(is_ip_host("[fe80::1]:7878", 7878));
        assert!(!is_ip_host("192.168.1.5:80", 7878));
        assert!(!is_ip_host("evil.example:7878", 7878));
        assert!(!is_ip_host("7878", 7878));
    }
}
