//! When a connection gives up on its peer, decided without a clock, in the manner of
//! quinn-proto: the backend says what happened and when (`heard`, `close_sent`,
//! `waiting`, each with the time it read), asks when to look again (`poll_timeout`), sets a
//! timer of its own for that, and reports the time it fired (`handle_timeout`), which says
//! what is due. Both backends drive [`Liveness`] (the heartbeat and the wait for the peer's
//! close); the native writer drives [`Stall`] (a send the peer takes nothing of).
//!
//! Time is a type parameter: natively tokio's `Instant` (so paused test clocks apply), in a
//! browser the time since some start as a `Duration` (`std::time::Instant` panics on
//! wasm32-unknown-unknown).

use std::ops::Add;
use std::time::Duration;

/// What [`Liveness::handle_timeout`] found due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alarm {
    /// The peer has been silent for the heartbeat's interval: send a ping (a backend that
    /// cannot, a browser, lets the silence run on to [`Alarm::Silent`]).
    Ping,
    /// Nothing arrived for the heartbeat's timeout after the ping: the peer is gone.
    Silent,
    /// The peer's close did not come within the close timeout after ours.
    CloseTimeout,
}

/// The deadlines of a receiving connection: the heartbeat's (interval of silence, then a
/// ping, then its timeout) and the end of the wait for the peer's close once ours went out.
#[derive(Debug, Clone)]
pub struct Liveness<T> {
    /// The heartbeat's interval and timeout, if it has one.
    heartbeat: Option<(Duration, Duration)>,
    /// The heartbeat's next deadline, once something was heard (the first wait counts).
    beat: Option<T>,
    /// The ping is out: the next deadline of the heartbeat is the last.
    pinged: bool,
    /// The end of the wait for the peer's close.
    close_by: Option<T>,
}

impl<T: Copy + Ord + Add<Duration, Output = T>> Liveness<T> {
    /// Deadlines for a connection with a heartbeat of `(interval, timeout)`, or none.
    pub fn new(heartbeat: Option<(Duration, Duration)>) -> Self {
        Self { heartbeat, beat: None, pinged: false, close_by: None }
    }

    /// Whether a heartbeat runs.
    pub fn has_heartbeat(&self) -> bool {
        self.heartbeat.is_some()
    }

    /// Whether the heartbeat started (the first [`heard`](Self::heard)).
    pub fn is_started(&self) -> bool {
        self.beat.is_some()
    }

    /// The peer was heard from at `now` (bytes arrived, or the first wait began): the
    /// silence starts over.
    pub fn heard(&mut self, now: T) {
        if let Some((interval, _)) = self.heartbeat {
            self.beat = Some(now + interval);
            self.pinged = false;
        }
    }

    /// Our close went out at `at`: the peer's answer is awaited for `limit`. Only the first
    /// call counts, so a later one (a call cancelled and made again) does not extend it.
    pub fn close_sent(&mut self, at: T, limit: Duration) {
        self.close_by.get_or_insert(at + limit);
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due, if ever.
    pub fn poll_timeout(&self) -> Option<T> {
        match (self.beat, self.close_by) {
            (Some(beat), Some(close)) => Some(beat.min(close)),
            (beat, close) => beat.or(close),
        }
    }

    /// What is due at `now`, if anything; a ping moves the heartbeat's deadline on to the
    /// ping's timeout.
    pub fn handle_timeout(&mut self, now: T) -> Option<Alarm> {
        if self.close_by.is_some_and(|close| close <= now) {
            return Some(Alarm::CloseTimeout);
        }
        let (beat, (_, timeout)) = (self.beat?, self.heartbeat?);
        if beat > now {
            return None;
        }
        if self.pinged {
            return Some(Alarm::Silent);
        }
        self.pinged = true;
        self.beat = Some(now + timeout);
        Some(Alarm::Ping)
    }
}

/// The deadline of a write that waits with the transport taking no byte: past `limit` of
/// that, the connection is given up (the heartbeat's span, so that a peer that stops reading
/// cannot hold a send longer than a silent one holds a receive).
#[derive(Debug, Clone)]
pub struct Stall<T> {
    /// `None`: writes wait as long as the transport makes them.
    limit: Option<Duration>,
    /// When the waiting write gives up, while one waits with nothing taken.
    deadline: Option<T>,
}

impl<T: Copy + Ord + Add<Duration, Output = T>> Stall<T> {
    /// Writes give up after `limit` without progress; with `None`, never.
    pub fn new(limit: Option<Duration>) -> Self {
        Self { limit, deadline: None }
    }

    /// Whether writes give up at all.
    pub fn is_limited(&self) -> bool {
        self.limit.is_some()
    }

    /// A write waits: the span starts at `now()` unless it runs already (a send retried in
    /// a `select!` loop does not start over). The clock is a function so that a running span
    /// reads none. The deadline, if writes give up at all.
    pub fn waiting(&mut self, now: impl FnOnce() -> T) -> Option<T> {
        let limit = self.limit?;
        Some(*self.deadline.get_or_insert_with(|| now() + limit))
    }

    /// The transport took bytes (or the write finished): the span ends.
    pub fn progressed(&mut self) {
        self.deadline = None;
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due, if a write waits.
    pub fn poll_timeout(&self) -> Option<T> {
        self.deadline
    }

    /// Whether the waiting write has stalled for good at `now`; the span ends with it.
    pub fn handle_timeout(&mut self, now: T) -> bool {
        let stalled = self.deadline.is_some_and(|deadline| deadline <= now);
        if stalled {
            self.deadline = None;
        }
        stalled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn at(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    #[test]
    fn nothing_to_watch_has_no_deadline() {
        let mut liveness = Liveness::<Duration>::new(None);
        liveness.heard(at(0));
        assert_eq!(liveness.poll_timeout(), None);
        assert_eq!(liveness.handle_timeout(at(100)), None);
    }

    #[test]
    fn silence_brings_a_ping_then_the_end() {
        let mut liveness = Liveness::new(Some((10 * S, 3 * S)));
        assert_eq!(liveness.poll_timeout(), None, "armed by the first wait");
        liveness.heard(at(0));
        assert_eq!(liveness.poll_timeout(), Some(at(10)));
        assert_eq!(liveness.handle_timeout(at(9)), None);
        assert_eq!(liveness.handle_timeout(at(10)), Some(Alarm::Ping));
        assert_eq!(liveness.poll_timeout(), Some(at(13)));
        assert_eq!(liveness.handle_timeout(at(13)), Some(Alarm::Silent));
    }

    #[test]
    fn hearing_after_the_ping_starts_over() {
        let mut liveness = Liveness::new(Some((10 * S, 3 * S)));
        liveness.heard(at(0));
        assert_eq!(liveness.handle_timeout(at(10)), Some(Alarm::Ping));
        liveness.heard(at(11));
        assert_eq!(liveness.poll_timeout(), Some(at(21)));
        assert_eq!(liveness.handle_timeout(at(21)), Some(Alarm::Ping));
    }

    #[test]
    fn the_close_deadline_is_set_once_and_comes_first() {
        let mut liveness = Liveness::new(Some((10 * S, 3 * S)));
        liveness.heard(at(0));
        liveness.close_sent(at(1), 5 * S);
        liveness.close_sent(at(4), 5 * S);
        assert_eq!(liveness.poll_timeout(), Some(at(6)));
        assert_eq!(liveness.handle_timeout(at(6)), Some(Alarm::CloseTimeout));
    }

    #[test]
    fn a_stall_counts_from_the_first_wait_until_progress() {
        assert_eq!(Stall::new(None).waiting(|| at(1)), None);
        let mut stall = Stall::new(Some(5 * S));
        assert_eq!(stall.waiting(|| at(1)), Some(at(6)));
        assert_eq!(stall.waiting(|| unreachable!("a running span reads no clock")), Some(at(6)));
        assert!(!stall.handle_timeout(at(5)));
        stall.progressed();
        assert_eq!(stall.poll_timeout(), None);
        assert_eq!(stall.waiting(|| at(7)), Some(at(12)));
        assert!(stall.handle_timeout(at(12)));
        assert_eq!(stall.poll_timeout(), None);
    }
}
