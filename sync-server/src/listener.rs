//! The device port's listener: caps on open connections (all together and per IP
//! address) and a deadline for a new connection's request headers.
//!
//! axum's `serve` has neither, so this wraps the TCP listener it accepts from:
//!
//! * A connection over a cap is answered `503 too many connections` (one non-blocking
//!   write; no task) and closed; it is logged at `info`.
//! * Every accepted connection carries a [`Permit`]; dropping the connection (when
//!   hyper or the WebSocket session ends) gives its place back.
//! * Until the first `\r\n\r\n` arrives (the end of the first request's headers), reads
//!   fail once `header_read_timeout` has passed, so a client sending half a request
//!   line is dropped. After that, the session's own timeouts apply.
//! * Accept errors (EMFILE when out of file descriptors) go through axum's handling,
//!   which logs them and waits a second instead of spinning.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::serve::Listener;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Sleep;

use crate::config::Limits;
use crate::metrics::{Metrics, add};

const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 39\r\nConnection: close\r\n\r\ntoo many connections; try again later\r\n";

/// Open connections, counted for the caps.
#[derive(Default)]
struct Counts {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

/// A TCP listener with connection caps and a header deadline.
pub(crate) struct GuardedListener {
    inner: TcpListener,
    counts: Arc<Mutex<Counts>>,
    max_total: usize,
    max_per_address: usize,
    header_timeout: Duration,
    metrics: Arc<Metrics>,
}

impl GuardedListener {
    pub(crate) fn new(inner: TcpListener, limits: &Limits, metrics: Arc<Metrics>) -> Self {
        Self {
            inner,
            counts: Arc::default(),
            max_total: limits.max_connections,
            max_per_address: limits.max_connections_per_address,
            header_timeout: Duration::from_secs(limits.header_read_timeout_secs),
            metrics,
        }
    }

    /// A place for a connection from `ip`, or why there is none.
    fn admit(&self, ip: IpAddr) -> Result<Permit, &'static str> {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if counts.total >= self.max_total {
            return Err("the relay has its maximum number of open connections");
        }
        let from_ip = counts.per_address.entry(ip).or_default();
        if *from_ip >= self.max_per_address {
            return Err("this address has its maximum number of open connections");
        }
        *from_ip += 1;
        counts.total += 1;
        Ok(Permit {
            counts: self.counts.clone(),
            ip,
        })
    }
}

impl Listener for GuardedListener {
    type Io = Guarded;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Guarded, SocketAddr) {
        loop {
            // axum's accept logs errors and waits a second on EMFILE and the like.
            let (tcp, addr) = Listener::accept(&mut self.inner).await;
            match self.admit(addr.ip()) {
                Ok(permit) => {
                    // Protocol messages are small and answered at once: no Nagle delays.
                    if let Err(e) = tcp.set_nodelay(true) {
                        tracing::debug!("cannot set TCP_NODELAY: {e}");
                    }
                    return (Guarded::new(tcp, permit, self.header_timeout), addr);
                }
                Err(reason) => {
                    add(&self.metrics.connections_refused_total, 1);
                    tracing::info!(peer = %addr, "refusing a connection: {reason}");
                    // A fresh socket's send buffer is empty: one write fits.
                    let _ = tcp.try_write(REFUSAL);
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// A connection's place under the caps, given back on drop.
pub(crate) struct Permit {
    counts: Arc<Mutex<Counts>>,
    ip: IpAddr,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.per_address.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.per_address.remove(&self.ip);
            }
        }
    }
}

/// An accepted connection: reads fail after the header deadline until the end of the
/// first request's headers has been read.
pub(crate) struct Guarded {
    inner: TcpStream,
    _permit: Permit,
    deadline: Option<Pin<Box<Sleep>>>,
    headers: HeaderEnd,
}

impl Guarded {
    fn new(inner: TcpStream, permit: Permit, header_timeout: Duration) -> Self {
        Self {
            inner,
            _permit: permit,
            deadline: Some(Box::pin(tokio::time::sleep(header_timeout))),
            headers: HeaderEnd::default(),
        }
    }
}

/// Finds the end of a request's headers, `\r\n\r\n`, in bytes read piece by piece.
#[derive(Default)]
struct HeaderEnd {
    /// How much of `\r\n\r\n` the bytes so far end with.
    matched: usize,
}

impl HeaderEnd {
    /// Follows the bytes just read; true once they complete `\r\n\r\n`.
    fn feed(&mut self, bytes: &[u8]) -> bool {
        const END: &[u8] = b"\r\n\r\n";
        for &b in bytes {
            self.matched = if b == END[self.matched] {
                self.matched + 1
            } else if b == b'\r' {
                1
            } else {
                0
            };
            if self.matched == END.len() {
                return true;
            }
        }
        false
    }
}

impl AsyncRead for Guarded {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Some(deadline) = this.deadline.as_mut()
            && deadline.as_mut().poll(cx).is_ready()
        {
            tracing::info!("closing a connection that did not send its request headers in time");
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "request headers not received in time",
            )));
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if this.deadline.is_some()
            && matches!(polled, Poll::Ready(Ok(())))
            && this.headers.feed(&buf.filled()[before..])
        {
            this.deadline = None;
        }
        polled
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_of_headers_is_found_across_reads() {
        let mut scan = HeaderEnd::default();
        assert!(!scan.feed(b"GET / HTTP/1.1\r\nHost: x\r"));
        assert!(!scan.feed(b"\n\r"));
        assert!(scan.feed(b"\n"));
        let mut scan = HeaderEnd::default();
        assert!(!scan.feed(b"a\r\n\r\r\n"));
        assert!(scan.feed(b"\r\n"));
    }
}
