//! Counters for `/metrics`, rendered in the Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use kith_core::sync::protocol::ErrorCode;

use crate::store::StoreStats;

/// Every error code, in the order of the `errors` counters.
const CODES: [ErrorCode; 14] = [
    ErrorCode::UnsupportedVersion,
    ErrorCode::Unauthorized,
    ErrorCode::Forbidden,
    ErrorCode::TokenRevoked,
    ErrorCode::FrameTooLarge,
    ErrorCode::ChunkTooLarge,
    ErrorCode::RateLimited,
    ErrorCode::TooManyConnections,
    ErrorCode::Malformed,
    ErrorCode::BadChunk,
    ErrorCode::ShuttingDown,
    ErrorCode::Internal,
    ErrorCode::QuotaExceeded,
    ErrorCode::TooSlow,
];

/// The wire name of an error code.
pub(crate) fn code_name(code: ErrorCode) -> &'static str {
    code.as_str()
}

/// Upper bounds (seconds) of the latency histogram buckets.
const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A Prometheus histogram of durations.
#[derive(Default)]
pub(crate) struct Histogram {
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub(crate) fn observe(&self, elapsed: std::time::Duration) {
        let secs = elapsed.as_secs_f64();
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.buckets) {
            if secs <= *bound {
                add(bucket, 1);
            }
        }
        add(&self.count, 1);
        add(&self.sum_micros, elapsed.as_micros() as u64);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(
            out,
            "# HELP kith_relay_{name} {help}\n# TYPE kith_relay_{name} histogram"
        );
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(
                out,
                "kith_relay_{name}_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "kith_relay_{name}_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "kith_relay_{name}_sum {sum}\nkith_relay_{name}_count {count}");
    }
}

/// What the hub holds for slow readers and writers, read when rendering.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct QueueDepths {
    /// Open device connections.
    pub(crate) connections: usize,
    /// Bytes of batches queued for or held by connections, not yet sent.
    pub(crate) queued_bytes: usize,
    /// Push requests waiting for their workspace's writer.
    pub(crate) writer_requests: usize,
}

/// Process-lifetime counters. Gauges (connections, log size) are read when rendering.
#[derive(Default)]
pub(crate) struct Metrics {
    /// From a push message's arrival to its acknowledgement being queued (after the
    /// durable commit).
    pub(crate) push_to_ack: Histogram,
    /// One writer transaction: appending its chunks and the durable commit. Most of a
    /// push's wait is one or two of these (its own, and the one in progress).
    pub(crate) writer_commit: Histogram,
    pub(crate) connections_total: AtomicU64,
    pub(crate) unauthorized_total: AtomicU64,
    pub(crate) connections_refused_total: AtomicU64,
    pub(crate) pushes_total: AtomicU64,
    pub(crate) chunks_appended_total: AtomicU64,
    pub(crate) chunks_duplicate_total: AtomicU64,
    pub(crate) pulls_total: AtomicU64,
    pub(crate) entries_sent_total: AtomicU64,
    pub(crate) snapshots_sent_total: AtomicU64,
    pub(crate) bytes_in_total: AtomicU64,
    pub(crate) bytes_out_total: AtomicU64,
    pub(crate) compactions_total: AtomicU64,
    pub(crate) compacted_documents_total: AtomicU64,
    pub(crate) compacted_entries_total: AtomicU64,
    errors_total: [AtomicU64; CODES.len()],
}

/// Adds `n` to a counter.
pub(crate) fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

impl Metrics {
    /// Counts an `error` sent to a device.
    pub(crate) fn error(&self, code: ErrorCode) {
        if let Some(i) = CODES.iter().position(|c| *c == code) {
            add(&self.errors_total[i], 1);
        }
    }

    /// The Prometheus text exposition.
    pub(crate) fn render(&self, depths: QueueDepths, store: Option<StoreStats>) -> String {
        let connections = depths.connections;
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP kith_relay_{name} {help}\n# TYPE kith_relay_{name} {kind}\nkith_relay_{name} {value}"
            );
        };
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        metric("connections", "gauge", "Open device connections.", connections as u64);
        metric(
            "connections_total",
            "counter",
            "Device connections accepted.",
            get(&self.connections_total),
        );
        metric(
            "unauthorized_total",
            "counter",
            "Requests refused with 401.",
            get(&self.unauthorized_total),
        );
        metric(
            "connections_refused_total",
            "counter",
            "TCP connections refused over the connection caps.",
            get(&self.connections_refused_total),
        );
        metric(
            "pushes_total",
            "counter",
            "Push messages received.",
            get(&self.pushes_total),
        );
        metric(
            "chunks_appended_total",
            "counter",
            "Chunks appended to a log.",
            get(&self.chunks_appended_total),
        );
        metric(
            "chunks_duplicate_total",
            "counter",
            "Pushed chunks already in the log (acknowledged with their seq).",
            get(&self.chunks_duplicate_total),
        );
        metric(
            "pulls_total",
            "counter",
            "Pull messages received.",
            get(&self.pulls_total),
        );
        metric(
            "entries_sent_total",
            "counter",
            "Log entries sent to devices.",
            get(&self.entries_sent_total),
        );
        metric(
            "snapshots_sent_total",
            "counter",
            "Snapshots sent to devices.",
            get(&self.snapshots_sent_total),
        );
        metric(
            "bytes_in_total",
            "counter",
            "WebSocket payload bytes received.",
            get(&self.bytes_in_total),
        );
        metric(
            "bytes_out_total",
            "counter",
            "WebSocket payload bytes sent.",
            get(&self.bytes_out_total),
        );
        metric(
            "compactions_total",
            "counter",
            "Compaction runs.",
            get(&self.compactions_total),
        );
        metric(
            "compacted_documents_total",
            "counter",
            "Documents folded into a snapshot.",
            get(&self.compacted_documents_total),
        );
        metric(
            "compacted_entries_total",
            "counter",
            "Log entries removed by compaction.",
            get(&self.compacted_entries_total),
        );
        if let Some(stats) = store {
            metric("workspaces", "gauge", "Workspaces on this relay.", stats.workspaces);
            metric(
                "log_entries",
                "gauge",
                "Log entries stored (all workspaces).",
                stats.log_entries,
            );
            metric(
                "snapshots",
                "gauge",
                "Document snapshots stored (all workspaces).",
                stats.snapshots,
            );
        }
        metric(
            "queued_bytes",
            "gauge",
            "Bytes waiting to be sent to devices (all connections).",
            depths.queued_bytes as u64,
        );
        metric(
            "writer_queue_depth",
            "gauge",
            "Push messages waiting for a workspace writer (all workspaces).",
            depths.writer_requests as u64,
        );
        self.push_to_ack.render(
            &mut out,
            "push_to_ack_seconds",
            "From a push's arrival to its acknowledgement (after the durable commit).",
        );
        self.writer_commit.render(
            &mut out,
            "writer_commit_seconds",
            "One workspace writer transaction: appending its chunks and the durable commit.",
        );
        let _ = writeln!(out, "# HELP kith_relay_errors_total Errors sent to devices, by code.");
        let _ = writeln!(out, "# TYPE kith_relay_errors_total counter");
        for (code, counter) in CODES.iter().zip(&self.errors_total) {
            let _ = writeln!(
                out,
                "kith_relay_errors_total{{code=\"{}\"}} {}",
                code_name(*code),
                get(counter)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_counter_with_help_and_type() {
        let m = Metrics::default();
        add(&m.pushes_total, 3);
        m.error(ErrorCode::RateLimited);
        m.push_to_ack.observe(std::time::Duration::from_millis(3));
        m.writer_commit.observe(std::time::Duration::from_millis(20));
        let depths = QueueDepths {
            connections: 2,
            queued_bytes: 10,
            writer_requests: 1,
        };
        let text = m.render(
            depths,
            Some(StoreStats {
                workspaces: 1,
                log_entries: 7,
                snapshots: 0,
            }),
        );
        assert!(text.contains("# TYPE kith_relay_pushes_total counter\nkith_relay_pushes_total 3\n"));
        assert!(text.contains("kith_relay_connections 2\n"));
        assert!(text.contains("kith_relay_log_entries 7\n"));
        assert!(text.contains("kith_relay_errors_total{code=\"rate_limited\"} 1\n"));
        assert!(text.contains("kith_relay_errors_total{code=\"internal\"} 0\n"));
        assert!(text.contains("kith_relay_queued_bytes 10\n"));
        assert!(text.contains("kith_relay_push_to_ack_seconds_bucket{le=\"0.0025\"} 0\n"));
        assert!(text.contains("kith_relay_push_to_ack_seconds_bucket{le=\"0.005\"} 1\n"));
        assert!(text.contains("kith_relay_push_to_ack_seconds_count 1\n"));
        assert!(text.contains("kith_relay_writer_commit_seconds_bucket{le=\"0.01\"} 0\n"));
        assert!(text.contains("kith_relay_writer_commit_seconds_bucket{le=\"0.025\"} 1\n"));
    }
}
