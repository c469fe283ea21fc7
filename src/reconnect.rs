//! Reconnection, opt-in, written once for both targets above the one `WebSocket`: when the
//! connection drops, a [`Reconnecting`] socket connects again with exponential backoff and
//! jitter, within a number of attempts, letting a closure renew the URL and options (a token
//! refresh) before each attempt and telling a callback of every state change (so that the
//! application can subscribe again). It never reconnects after the application's own close,
//! and it keeps the close code and reason of each drop.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::lock::Mutex;

use crate::platform::{random, sleep};
use crate::{
    CloseCode, ConnectOptions, Error, MaybeSend, Message, MessageType, RecvHalf, Result, SendHalf, WebSocket,
    connect,
};

/// How a [`Reconnecting`] socket tries again.
///
/// ```
/// use std::time::Duration;
/// let policy = uniws::ReconnectPolicy::new()
///     .backoff(Duration::from_millis(200), Duration::from_secs(30))
///     .max_attempts(10);
/// assert_eq!(policy.get_max_attempts(), Some(10));
/// ```
#[derive(Clone, Debug)]
pub struct ReconnectPolicy {
    initial: Duration,
    max: Duration,
    max_attempts: Option<u32>,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        Self { initial: Duration::from_millis(500), max: Duration::from_secs(30), max_attempts: None }
    }
}

impl ReconnectPolicy {
    /// The defaults: waits from 0.5 s doubling up to 30 s, attempts without end.
    pub fn new() -> Self {
        Self::default()
    }

    /// The wait before the first attempt after a drop, doubled at each failed attempt up to
    /// `max`. Each wait is drawn at random between half of it and all of it ("equal
    /// jitter"), so that clients dropped together do not come back together.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial = initial;
        self.max = max.max(initial);
        self
    }

    /// Gives up after this many failed attempts in a row (default: never).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts);
        self
    }

    /// The configured attempt limit.
    pub fn get_max_attempts(&self) -> Option<u32> {
        self.max_attempts
    }

    /// The wait before attempt `attempt` (1 for the first), jitter included.
    fn delay(&self, attempt: u32) -> Duration {
        let doubled =
            self.initial.saturating_mul(1u32.checked_shl(attempt.saturating_sub(1)).unwrap_or(u32::MAX));
        let full = doubled.min(self.max);
        // Not `mul_f64`: its conversion from float seconds has panics (never reached here),
        // whose code and messages the wasm would carry.
        full / 2 + Duration::from_nanos((full.as_nanos() as f64 * random() / 2.0) as u64)
    }
}

/// A change of state of a [`Reconnecting`] socket, told to its callback.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectionState<'a> {
    /// Connected: the first time, or again after a drop (`attempt` is then 1 or more).
    Connected {
        /// The attempt that succeeded (0 for the first connection).
        attempt: u32,
    },
    /// The connection dropped.
    Dropped(&'a Disconnect),
    /// About to wait `delay`, then try again.
    Reconnecting {
        /// The attempt about to be made (1 for the first after a drop).
        attempt: u32,
        /// The wait before it.
        delay: Duration,
    },
    /// An attempt failed with this error.
    AttemptFailed {
        /// The attempt that failed.
        attempt: u32,
        /// Why.
        error: &'a Error,
    },
    /// Out of attempts: the socket stays closed.
    GaveUp,
}

/// Why a connection dropped: the peer's close code and reason, or the error that ended it
/// (then the code is 1006, as browsers report an abnormal closure).
#[derive(Debug)]
pub struct Disconnect {
    /// The close code.
    pub code: CloseCode,
    /// The close reason (empty if none).
    pub reason: String,
    /// The error that ended the connection, when it did not end with a close.
    pub error: Option<Error>,
}

/// The renewal callback, boxed: `Send` where the target needs it ([`MaybeSend`]).
trait RenewFn: FnMut(u32, &mut String, &mut ConnectOptions) + MaybeSend {}
impl<F: FnMut(u32, &mut String, &mut ConnectOptions) + MaybeSend> RenewFn for F {}
type Renew = Box<dyn RenewFn>;

/// The state callback, boxed: `Send` where the target needs it ([`MaybeSend`]).
trait OnStateFn: FnMut(&ConnectionState<'_>) + MaybeSend {}
impl<F: FnMut(&ConnectionState<'_>) + MaybeSend> OnStateFn for F {}
type OnState = Box<dyn OnStateFn>;

/// A WebSocket that connects again when its connection drops (see [`ReconnectPolicy`]).
/// `send` and `recv` work as on a [`WebSocket`]; a drop is seen by `recv`, which records it,
/// reconnects and goes on receiving from the new connection (or, out of attempts, fails
/// with the last attempt's error). What the application sends while the connection is down
/// fails with [`Error::Closed`]: whether to send it again is the application's choice.
///
/// To send while a `recv` waits (another task, or a JavaScript promise), use a
/// [`ReconnectingSender`] from [`sender`](Self::sender): it sends on whichever connection is
/// up. `recv` and `recv_all` are cancel-safe too (a reconnection cut short goes on at the
/// next call, its attempt count kept), so a `tokio::select!` loop works as well.
///
/// ```no_run
/// # async fn demo() -> uniws::Result<()> {
/// use uniws::{ConnectOptions, ConnectionState, Reconnecting, ReconnectPolicy};
/// let mut ws = Reconnecting::new("wss://example.com/feed", ConnectOptions::new(), ReconnectPolicy::new())
///     .renew(|_attempt, _url, options| *options = options.clone().bearer_auth("fresh token"))
///     .on_state(|state| if let ConnectionState::Connected { attempt } = state { println!("up ({attempt})") });
/// ws.connect().await?;
/// loop {
///     let message = ws.recv().await?; // across drops
///     println!("{:?}", message.as_text());
/// }
/// # }
/// ```
pub struct Reconnecting {
    url: String,
    options: ConnectOptions,
    policy: ReconnectPolicy,
    renew: Option<Renew>,
    on_state: Option<OnState>,
    /// The sending half of the connection that is up, shared with the senders.
    send: Arc<Mutex<Option<SendHalf>>>,
    recv: Option<RecvHalf>,
    drops: Vec<Disconnect>,
    /// Failed attempts since the last drop, kept across cancelled calls so that a `recv`
    /// in a `tokio::select!` loop still backs off and still runs out of attempts.
    failed: u32,
    /// The application closed the socket (here or through a sender): no more reconnecting.
    closed: Arc<AtomicBool>,
}

impl Reconnecting {
    /// A socket for `url` with `options`, not connected yet (see [`connect`](Self::connect)).
    pub fn new(url: impl Into<String>, options: ConnectOptions, policy: ReconnectPolicy) -> Self {
        Self {
            url: url.into(),
            options,
            policy,
            renew: None,
            on_state: None,
            send: Arc::default(),
            recv: None,
            drops: Vec::new(),
            failed: 0,
            closed: Arc::default(),
        }
    }

    /// Called before each reconnection attempt (with its number, from 1) with the URL and
    /// options to use, which it may change (a fresh token, another server). `Send` natively
    /// ([`MaybeSend`]).
    pub fn renew(
        mut self,
        renew: impl FnMut(u32, &mut String, &mut ConnectOptions) + MaybeSend + 'static,
    ) -> Self {
        self.renew = Some(Box::new(renew));
        self
    }

    /// Called at every change of state (see [`ConnectionState`]). `Send` natively
    /// ([`MaybeSend`]).
    pub fn on_state(mut self, on_state: impl FnMut(&ConnectionState<'_>) + MaybeSend + 'static) -> Self {
        self.on_state = Some(Box::new(on_state));
        self
    }

    /// The first connection, without retries: a wrong URL or a refused handshake is the
    /// application's to see at once.
    pub async fn connect(&mut self) -> Result<()> {
        let ws = connect(&self.url, &self.options).await?;
        self.up(ws).await;
        self.closed.store(false, Ordering::Release);
        self.tell(&ConnectionState::Connected { attempt: 0 });
        Ok(())
    }

    /// Every drop so far, oldest first.
    pub fn drops(&self) -> &[Disconnect] {
        &self.drops
    }

    /// A handle that sends on whichever connection is up, usable while `recv` waits.
    pub fn sender(&self) -> ReconnectingSender {
        ReconnectingSender { send: self.send.clone(), closed: self.closed.clone() }
    }

    /// Sends one frame on the current connection (see [`WebSocket::send`]); `Error::Closed`
    /// while it is down.
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<()> {
        self.sender().send(message).await
    }

    /// Sends a whole message on the current connection (see [`WebSocket::send_all`]).
    pub async fn send_all(&mut self, message: impl Into<Message>) -> Result<()> {
        self.sender().send_all(message).await
    }

    /// The next frame (see [`WebSocket::recv`]), across drops.
    pub async fn recv(&mut self) -> Result<Message> {
        self.receive(None).await
    }

    /// The next whole message (see [`WebSocket::recv_all`]), across drops: a message cut by
    /// a drop is lost with it.
    pub async fn recv_all(&mut self, max_message_size: usize) -> Result<Message> {
        self.receive(Some(max_message_size)).await
    }

    /// A frame, or with `whole` a whole message within that size. Only the input timeout
    /// leaves the connection up; every other end is a drop, recorded before reconnecting.
    /// Public but hidden for the npm package's crate (crates/uniws-js), which serves both
    /// `recv` and `recvAll` with it: one state machine in the wasm instead of two.
    #[doc(hidden)]
    pub async fn receive(&mut self, whole: Option<usize>) -> Result<Message> {
        loop {
            let Some(recv) = self.recv.as_mut() else {
                self.reconnect().await?;
                continue;
            };
            let received = match whole {
                None => recv.recv().await,
                Some(max) => recv.recv_all(max).await,
            };
            let ended = matches!(&received, Ok(m) if m.message_type() == MessageType::Close)
                || matches!(&received, Err(e) if !matches!(e, Error::Timeout));
            if ended && self.closed.load(Ordering::Acquire) {
                // Our own close (through a sender) ended it: no drop, no reconnecting.
                self.recv = None;
                return received;
            }
            let drop = match received {
                Ok(m) if m.message_type() == MessageType::Close => Disconnect {
                    code: m.close_code().unwrap_or(CloseCode::NO_STATUS),
                    reason: m.as_text().unwrap_or_default().to_owned(),
                    error: None,
                },
                Ok(m) => return Ok(m),
                Err(e @ Error::Timeout) => return Err(e),
                Err(error) => {
                    Disconnect { code: CloseCode::ABNORMAL, reason: String::new(), error: Some(error) }
                }
            };
            self.recv = None;
            *self.send.lock().await = None;
            self.tell(&ConnectionState::Dropped(&drop));
            self.drops.push(drop);
        }
    }

    /// Closes the connection (see [`WebSocket::close`]); no reconnection follows.
    pub async fn close(&mut self, code: impl Into<CloseCode>, reason: &str) -> Result<()> {
        self.closed.store(true, Ordering::Release);
        let send = self.send.lock().await.take();
        match (send, self.recv.take()) {
            (Some(send), Some(recv)) => WebSocket { send, recv }.close(code, reason).await,
            _ => Ok(()),
        }
    }

    /// Puts a new connection in place: its sending half where the senders find it.
    async fn up(&mut self, ws: WebSocket) {
        let (send, recv) = ws.split();
        *self.send.lock().await = Some(send);
        self.recv = Some(recv);
    }

    /// Connects again, waiting between attempts; the last attempt's error when out of them.
    /// After the application's close it does nothing but fail with `Closed`.
    async fn reconnect(&mut self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        loop {
            let attempt = self.failed + 1;
            let delay = self.policy.delay(attempt);
            self.tell(&ConnectionState::Reconnecting { attempt, delay });
            sleep(delay).await;
            if let Some(renew) = &mut self.renew {
                renew(attempt, &mut self.url, &mut self.options);
            }
            match connect(&self.url, &self.options).await {
                Ok(ws) => {
                    self.up(ws).await;
                    self.failed = 0;
                    self.tell(&ConnectionState::Connected { attempt });
                    return Ok(());
                }
                Err(error) => {
                    self.failed = attempt;
                    self.tell(&ConnectionState::AttemptFailed { attempt, error: &error });
                    if self.policy.max_attempts.is_some_and(|max| attempt >= max) {
                        self.closed.store(true, Ordering::Release);
                        self.tell(&ConnectionState::GaveUp);
                        return Err(error);
                    }
                }
            }
        }
    }

    fn tell(&mut self, state: &ConnectionState<'_>) {
        if let Some(on_state) = &mut self.on_state {
            on_state(state);
        }
    }
}

/// Sends on whichever connection of a [`Reconnecting`] socket is up; cloned freely.
#[derive(Clone)]
pub struct ReconnectingSender {
    send: Arc<Mutex<Option<SendHalf>>>,
    closed: Arc<AtomicBool>,
}

impl ReconnectingSender {
    /// Sends one frame (see [`WebSocket::send`]); `Error::Closed` while the connection is
    /// down or after the close.
    pub async fn send(&self, message: impl Into<Message>) -> Result<()> {
        self.send.lock().await.as_mut().ok_or(Error::Closed)?.send(message).await
    }

    /// Sends a whole message (see [`WebSocket::send_all`]).
    pub async fn send_all(&self, message: impl Into<Message>) -> Result<()> {
        self.send.lock().await.as_mut().ok_or(Error::Closed)?.send_all(message).await
    }

    /// The application's close, from the sending side (see `SendHalf::close`): no
    /// reconnection follows, and the waiting `recv` ends with the peer's answer, or within
    /// the close timeout.
    pub async fn close(&self, code: impl Into<CloseCode>, reason: &str) -> Result<()> {
        self.closed.store(true, Ordering::Release);
        match self.send.lock().await.as_mut() {
            Some(send) => send.close(code, reason).await,
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_its_maximum_with_jitter() {
        let policy = ReconnectPolicy::new().backoff(Duration::from_millis(100), Duration::from_secs(1));
        for (attempt, full) in [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1000), (40, 1000)] {
            for _ in 0..20 {
                let delay = policy.delay(attempt).as_millis() as u64;
                assert!((full / 2..=full).contains(&delay), "attempt {attempt}: {delay} ms");
            }
        }
    }
}
