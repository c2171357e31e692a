//! The per-connection message rate.

use tokio::time::Instant;

/// A token bucket: `rate` messages per second, up to `burst` at once.
pub(super) struct RateLimit {
    rate: f64,
    burst: f64,
    tokens: f64,
    pub(super) last: Instant,
}

impl RateLimit {
    pub(super) fn new(rate: u32, burst: u32) -> Self {
        Self {
            rate: f64::from(rate),
            burst: f64::from(burst),
            tokens: f64::from(burst),
            last: Instant::now(),
        }
    }

    pub(super) fn allow(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}
