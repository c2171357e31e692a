//! [`Timeouts`], and [`Liveness`]: whether a connection still works, judged by the
//! relay's progress rather than by pongs (a relay whose WebSocket layer answers pings
//! but that never acknowledges or sends the backlog is not alive), and never by time
//! the device itself spent applying changes.

use std::time::Duration;

use tokio::time::Instant;

/// How long the connector waits for a relay. The defaults suit real networks; tests
/// shorten them with [`super::Remote::with_timeouts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening a connection (TCP, TLS, WebSocket upgrade).
    pub connect: Duration,
    /// Handing one message to the connection. A relay that stops reading fills the
    /// socket's buffers and a send would wait forever.
    pub send: Duration,
    /// Waiting for the relay's next message while the device expects one: the
    /// welcome, the rest of a pull's backlog, acknowledgements of pushed changes.
    pub progress: Duration,
    /// Without anything expected, how long the connection may be completely silent
    /// (no message, no ping, no pong) before it counts as dead.
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            send: Duration::from_secs(30),
            progress: Duration::from_secs(60),
            idle: Duration::from_secs(45),
        }
    }
}

/// The clocks of one connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Liveness {
    /// The relay's last protocol message, or the end of the device's last long local
    /// work (the relay cannot be blamed for messages the device was too busy to read).
    progress: Instant,
    /// The relay's last frame of any kind, pings and pongs included.
    frame: Instant,
}

impl Liveness {
    pub(crate) fn new(now: Instant) -> Self {
        Liveness {
            progress: now,
            frame: now,
        }
    }

    /// A protocol message arrived.
    pub(crate) fn message(&mut self, now: Instant) {
        self.progress = now;
        self.frame = now;
    }

    /// A ping, pong or other control frame arrived: the connection is open, which says
    /// nothing about progress.
    pub(crate) fn control_frame(&mut self, now: Instant) {
        self.frame = now;
    }

    /// The device finished local work (applying, queueing): waiting starts again now.
    pub(crate) fn was_busy(&mut self, now: Instant) {
        self.progress = now;
        self.frame = self.frame.max(now);
    }

    /// Why the connection counts as dead, if it does. `expecting`: the device waits
    /// for a message from the relay.
    pub(crate) fn dead(&self, now: Instant, expecting: bool, timeouts: &Timeouts) -> Option<String> {
        let stalled = now.saturating_duration_since(self.progress);
        if expecting && stalled > timeouts.progress {
            return Some(format!(
                "the relay made no progress for {} seconds",
                stalled.as_secs_f64().round()
            ));
        }
        let silent = now.saturating_duration_since(self.frame);
        if silent > timeouts.idle {
            return Some(format!(
                "the relay sent nothing for {} seconds",
                silent.as_secs_f64().round()
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeouts() -> Timeouts {
        Timeouts {
            progress: Duration::from_secs(10),
            idle: Duration::from_secs(30),
            ..Timeouts::default()
        }
    }

    #[test]
    fn pongs_do_not_count_as_progress_while_waiting() {
        let start = Instant::now();
        let mut l = Liveness::new(start);
        for s in 1..=11 {
            l.control_frame(start + Duration::from_secs(s));
        }
        let now = start + Duration::from_secs(11);
        assert!(l.dead(now, true, &timeouts()).is_some());
        assert!(
            l.dead(now, false, &timeouts()).is_none(),
            "nothing expected: pongs suffice"
        );
    }

    #[test]
    fn a_long_local_apply_is_not_the_relays_fault() {
        let start = Instant::now();
        let mut l = Liveness::new(start);
        // Applying took 40 s; frames waited unread meanwhile.
        let after_apply = start + Duration::from_secs(40);
        l.was_busy(after_apply);
        assert!(
            l.dead(after_apply + Duration::from_secs(1), true, &timeouts())
                .is_none()
        );
        assert!(
            l.dead(after_apply + Duration::from_secs(11), true, &timeouts())
                .is_some()
        );
    }

    #[test]
    fn a_silent_connection_dies_even_when_nothing_is_expected() {
        let start = Instant::now();
        let l = Liveness::new(start);
        assert!(l.dead(start + Duration::from_secs(29), false, &timeouts()).is_none());
        assert!(l.dead(start + Duration::from_secs(31), false, &timeouts()).is_some());
    }
}
