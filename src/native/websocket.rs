//! The native `WebSocket` and its two halves: the public operations, timeouts, the close
//! handshake and the state both halves share (the writer and the connection's
//! [`Facts`]), and what watches a waiting `recv`: the timer of the deadlines that
//! [`Liveness`] decides (the peer's close after ours, the heartbeat).

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use tokio::time::{Instant, Sleep};

use super::reader::{Link, Reader, Step};
use super::transport::{BoxedTransport, Transport};
use super::writer::{Outbox, Writer};
use crate::assemble::{self, Assembly, FrameSink, FrameSource};
use crate::connection::Facts;
use crate::proto::deflate::{DeflateParams, Deflater, Inflater};
use crate::proto::{Alarm, Decoder, Encoder, Liveness, Role};
use crate::{
    CloseCode, DEFAULT_CLOSE_TIMEOUT, DEFAULT_MAX_MESSAGE_SIZE, DeflateOptions, Error, Heartbeat, Message,
    Result, WebSocket,
};

/// What both halves share.
struct Shared {
    outbox: Outbox,
    facts: Facts,
    auto_pong: bool,
    /// When our close went out through `SendHalf::close`, which then wakes the receiving
    /// half (`outbox.recv_waker`): its wait for the peer's close is bounded from then on.
    close_sent: OnceLock<Instant>,
    /// Bytes arrived since the heartbeat last looked.
    heard: AtomicBool,
}

impl Shared {
    fn link(&self) -> Link<'_> {
        Link { outbox: &self.outbox, auto_pong: self.auto_pong, heard: &self.heard }
    }
}

/// How a connection is set up once its handshake is done.
#[derive(Debug, Clone)]
pub(crate) struct SocketConfig {
    pub(crate) role: Role,
    pub(crate) max_frame_size: usize,
    /// The `recv_all` limit of the `Messages` stream.
    pub(crate) max_message_size: usize,
    pub(crate) auto_pong: bool,
    pub(crate) heartbeat: Option<Heartbeat>,
    pub(crate) close_timeout: Duration,
    pub(crate) protocol: Option<String>,
    /// The path and query the client asked for, on a server.
    pub(crate) request_target: Option<String>,
    /// The negotiated `Sec-WebSocket-Extensions` value.
    pub(crate) extensions: Option<String>,
    /// permessage-deflate as negotiated, with our side's level and threshold.
    pub(crate) deflate: Option<(DeflateParams, DeflateOptions)>,
}

/// The sending half of a split [`WebSocket`].
pub struct SendHalf {
    shared: Arc<Shared>,
    output_timeout: Option<Duration>,
}

/// The receiving half of a split [`WebSocket`]; it answers pings and the peer's close itself.
pub struct RecvHalf {
    shared: Arc<Shared>,
    /// Boxed: callers take sockets by value into async functions, whose futures keep room for
    /// the argument twice (rustc moves it into a local), so the socket stays small.
    state: Box<RecvState>,
    input_timeout: Option<Duration>,
}

/// What the receiving half keeps between calls.
struct RecvState {
    reader: Reader,
    assembly: Assembly,
    watch: Watch,
    /// The input timeout of the `recv` waiting, once it has waited.
    input_timer: Option<Pin<Box<Sleep>>>,
}

/// The deadlines of a waiting `recv`, kept across calls.
struct Watch {
    liveness: Liveness<Instant>,
    /// Set to the next deadline of `liveness` while a read waits; made by the first wait
    /// that has one.
    timer: Option<Pin<Box<Sleep>>>,
    /// The halves were split: `SendHalf::close` may be called while a `recv` waits, and has
    /// to wake it (whole, the socket's own `close` sends before it waits).
    split: bool,
}

/// Sends a close frame on a socket that someone else owns (the server's graceful shutdown,
/// while the handler holds the socket). It holds the connection weakly, so it keeps nothing
/// alive once the handler drops the socket.
pub(crate) struct Closer(Weak<Shared>);

impl Closer {
    /// Starts the close handshake, as [`SendHalf::close`] does: the owner's next receive
    /// sees the peer's answer, its sends fail with `Error::Closed`.
    pub(crate) async fn close(&self, (code, reason): (CloseCode, &str)) {
        if let Some(shared) = self.0.upgrade() {
            // A socket already closed or failed has nothing left to close.
            let _ = shared.outbox.send(Message::close(code, reason), None).await;
        }
    }
}

impl WebSocket {
    /// Runs the WebSocket protocol over a stream whose opening handshake is already done.
    /// `role` says which end we are (clients mask their frames).
    pub fn from_stream<T: Transport>(stream: T, role: Role, max_frame_size: usize) -> Self {
        let config = SocketConfig {
            role,
            max_frame_size,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            auto_pong: true,
            heartbeat: None,
            close_timeout: DEFAULT_CLOSE_TIMEOUT,
            protocol: None,
            request_target: None,
            extensions: None,
            deflate: None,
        };
        Self::new(Box::new(stream), BytesMut::new(), config)
    }

    /// `buffered` holds bytes read past the handshake: the first frames.
    pub(crate) fn new(stream: BoxedTransport, buffered: BytesMut, config: SocketConfig) -> Self {
        let facts = Facts {
            protocol: config.protocol,
            extensions: config.extensions,
            request_target: config.request_target,
            local_addr: stream.local_addr(),
            peer_addr: stream.peer_addr(),
            max_frame_size: config.max_frame_size,
            max_message_size: config.max_message_size,
            close_timeout: config.close_timeout,
        };
        let (read, write) = stream.into_halves();
        let mut encoder = Encoder::new(config.role, config.max_frame_size);
        let mut decoder = Decoder::new(config.role, config.max_frame_size);
        if let Some((params, options)) = &config.deflate {
            let (reset, bits) = params.sending(config.role);
            encoder = encoder.with_deflater(Deflater::new(options.level, bits, reset, options.threshold));
            let (reset, bits) = params.receiving(config.role);
            decoder = decoder.with_inflater(Inflater::new(bits, reset));
        }
        // A send waits no longer than the heartbeat waits for a silent peer.
        let stall_limit = config.heartbeat.map(|h| h.interval.saturating_add(h.timeout));
        let writer = Writer::new(write, encoder, stall_limit);
        let shared = Arc::new(Shared {
            outbox: Outbox::new(writer),
            facts,
            auto_pong: config.auto_pong,
            close_sent: OnceLock::new(),
            heard: AtomicBool::new(false),
        });
        Self {
            send: SendHalf { shared: shared.clone(), output_timeout: None },
            recv: RecvHalf {
                shared,
                state: Box::new(RecvState {
                    reader: Reader::new(read, buffered, decoder),
                    assembly: Assembly::default(),
                    watch: Watch {
                        liveness: Liveness::new(config.heartbeat.map(|h| (h.interval, h.timeout))),
                        timer: None,
                        split: false,
                    },
                    input_timer: None,
                }),
                input_timeout: None,
            },
        }
    }

    /// The socket back, with a handle that can start its close handshake from another task.
    /// It takes the socket by value so that a caller's future never borrows it: rustc keeps
    /// room for a borrowed local across every later await, and the server's tasks would
    /// carry a second socket's worth of bytes each.
    pub(crate) fn with_closer(self) -> (Self, Closer) {
        let closer = Closer(Arc::downgrade(&self.send.shared));
        (self, closer)
    }

    /// The close handshake: sends a close frame with `code` and `reason`, waits (at most
    /// the close timeout, 5 seconds by default) for the peer's, discarding data that arrives
    /// meanwhile, and shuts the stream down. Closing a closed socket does nothing.
    pub async fn close(&mut self, code: impl Into<CloseCode>, reason: &str) -> Result<()> {
        match self.send.close(code, reason).await {
            Ok(()) | Err(Error::Closed) => {}
            Err(e) => return Err(e),
        }
        let answer = self.recv.finish_close().await;
        let shutdown = self.send.shared.outbox.shutdown().await;
        answer.and(shutdown)
    }
}

impl SendHalf {
    pub(crate) fn facts(&self) -> &Facts {
        &self.shared.facts
    }

    /// Sends a close frame; the receiving half sees the peer's answer, which ends the
    /// handshake. The receiving half waits for it at most the close timeout (5 seconds by
    /// default), as [`WebSocket::close`] does: then its `recv` fails with
    /// [`Error::Timeout`](crate::Error::Timeout) and the connection is shut down.
    pub async fn close(&mut self, code: impl Into<CloseCode>, reason: &str) -> Result<()> {
        let sent = self.send(Message::close(code, reason)).await;
        // Closed: a close went out before, and its answer is awaited no longer than this one's.
        if let Ok(()) | Err(Error::Closed) = sent {
            self.shared.close_sent.get_or_init(Instant::now);
            self.shared.outbox.recv_waker.wake();
        }
        sent
    }

    /// See [`WebSocket::set_output_timeout`].
    pub fn set_output_timeout(&mut self, timeout: Option<Duration>) {
        self.output_timeout = timeout;
    }
}

impl RecvHalf {
    pub(crate) fn facts(&self) -> &Facts {
        &self.shared.facts
    }

    /// See [`WebSocket::set_input_timeout`].
    pub fn set_input_timeout(&mut self, timeout: Option<Duration>) {
        self.input_timeout = timeout;
    }

    /// This half once split off: its sending half may now start the close while it waits.
    pub(crate) fn split_off(mut self) -> Self {
        self.state.watch.split = true;
        self
    }
}

impl FrameSink for SendHalf {
    fn max_frame_size(&self) -> usize {
        self.shared.facts.max_frame_size
    }

    #[inline]
    fn send_frame(&mut self, message: Message) -> impl Future<Output = Result<()>> {
        self.shared.outbox.send(message, self.output_timeout)
    }
}

impl FrameSource for RecvHalf {
    async fn fail(&mut self, error: Error) -> Error {
        // The reader fails the connection and returns the error; cancelled meanwhile, it
        // keeps both for the next call.
        let (shared, reader) = (&*self.shared, &mut self.state.reader);
        reader.abort(error);
        reader
            .recv(0, false, shared.link(), shared.facts.close_timeout)
            .await
            .expect_err("a failing reader fails")
    }

    fn recv_frame(&mut self, budget: usize, whole: bool) -> impl Future<Output = Result<Message>> {
        self.next_frame(budget, whole)
    }

    fn assembly(&mut self) -> &mut Assembly {
        &mut self.state.assembly
    }
}

impl RecvHalf {
    /// See [`WebSocket::recv`]. After a `recv_all` that stopped mid-message (it returned a
    /// control message, or timed out), what it put together comes first, as a partial
    /// message; the remaining frames follow one by one.
    #[inline]
    pub fn recv(&mut self) -> impl Future<Output = Result<Message>> {
        Receiving::new(self, usize::MAX, false)
    }

    /// See [`WebSocket::recv_all`]. A whole message the reader has in one go (the common
    /// case) comes straight from `poll_fast`; anything else goes through
    /// the assembly written once for both backends.
    #[inline]
    pub fn recv_all(&mut self, max_message_size: usize) -> impl Future<Output = Result<Message>> {
        Receiving::new(self, max_message_size, true)
    }

    /// The next frame, failing with `Timeout` after the input timeout: the assembly's
    /// ([`FrameSource::recv_frame`]), which needs no [`Receiving`] of its own.
    async fn next_frame(&mut self, budget: usize, whole: bool) -> Result<Message> {
        self.forget_input_timer();
        match std::future::poll_fn(|cx| self.poll_fast(cx, budget, whole)).await {
            Step::Frame(frame) => frame,
            // Rare, so on the heap: every `recv` future stays small.
            Step::General => Box::pin(self.general_frame(budget, whole)).await,
        }
    }

    /// Drops the input timer a cancelled call left: a new call has its own time.
    #[inline]
    fn forget_input_timer(&mut self) {
        if self.state.input_timer.is_some() {
            self.state.input_timer = None;
        }
    }

    /// The common case: a frame straight from [`Reader::poll_step`], the timers looked at
    /// while it waits; or `Step::General` for [`general_frame`](Self::general_frame).
    #[inline]
    fn poll_fast(&mut self, cx: &mut Context<'_>, budget: usize, whole: bool) -> Poll<Step> {
        let shared = &*self.shared;
        let state = &mut *self.state;
        match state.reader.poll_step(cx, budget, whole, shared.link(), true) {
            Poll::Pending => {
                if let Some(limit) = self.input_timeout {
                    let timer = state.input_timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                    if timer.as_mut().poll(cx).is_ready() {
                        return Poll::Ready(Step::Frame(Err(Error::Timeout)));
                    }
                }
                state.watch.poll_alarm(cx, shared).map(|alarm| {
                    // The reader fails the connection and returns the alarm (cancel-safe).
                    state.reader.abort(alarm);
                    Step::General
                })
            }
            step => step,
        }
    }

    /// The reader's general path, the timers looked at while it waits, within what is left of
    /// the input timeout (from the fast path's timer, if it started one).
    async fn general_frame(&mut self, budget: usize, whole: bool) -> Result<Message> {
        let deadline = match (self.state.input_timer.take(), self.input_timeout) {
            (Some(timer), _) => Some(timer.deadline()),
            (None, limit) => limit.map(|limit| Instant::now() + limit),
        };
        match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, self.watched_frame(budget, whole))
                .await
                .unwrap_or(Err(Error::Timeout)),
            None => self.watched_frame(budget, whole).await,
        }
    }

    /// The reader's general path, with the timers looked at while it waits.
    async fn watched_frame(&mut self, budget: usize, whole: bool) -> Result<Message> {
        let shared = &*self.shared;
        let state = &mut *self.state;
        let (reader, watch) = (&mut state.reader, &mut state.watch);
        let frame = reader.recv(budget, whole, shared.link(), shared.facts.close_timeout);
        match watch.watch(shared, frame).await {
            Ok(result) => result,
            Err(alarm) => {
                reader.abort(alarm);
                reader.recv(budget, whole, shared.link(), shared.facts.close_timeout).await
            }
        }
    }
}

/// The future of [`RecvHalf::recv`] and [`RecvHalf::recv_all`], written out: the common
/// case, a frame the reader decodes in one poll, goes through no other future; the rest
/// (assembling fragments, a close to answer, failing the connection) through one on the
/// heap, so every receive's future stays small.
enum Receiving<'a> {
    /// The half is polled here. `max`: the size limit, of the frame for `recv`, of the whole
    /// message for `recv_all` (`whole`: fragments are put together).
    Fast { half: &'a mut RecvHalf, max: usize, whole: bool },
    /// The general path has the half.
    General(Pin<Box<dyn Future<Output = Result<Message>> + Send + 'a>>),
    /// The half moving from `Fast` into `General`; never polled.
    Moving,
}

impl<'a> Receiving<'a> {
    #[inline]
    fn new(half: &'a mut RecvHalf, max: usize, whole: bool) -> Self {
        half.forget_input_timer();
        Self::Fast { half, max, whole }
    }

    /// Hands the half to the general path `general` makes, and polls it.
    fn switch(
        &mut self,
        cx: &mut Context<'_>,
        general: impl FnOnce(&'a mut RecvHalf) -> Pin<Box<dyn Future<Output = Result<Message>> + Send + 'a>>,
    ) -> Poll<Result<Message>> {
        let Self::Fast { half, .. } = std::mem::replace(self, Self::Moving) else {
            unreachable!("only the fast path switches")
        };
        let mut general = general(half);
        let polled = general.as_mut().poll(cx);
        *self = Self::General(general);
        polled
    }
}

impl Future for Receiving<'_> {
    type Output = Result<Message>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Message>> {
        let this = self.get_mut();
        let (half, max, whole) = match this {
            Self::Fast { half, max, whole } => (half, *max, *whole),
            Self::General(general) => return general.as_mut().poll(cx),
            Self::Moving => unreachable!("a switch is never interrupted"),
        };
        if !half.state.assembly.is_empty() {
            if !whole {
                let partial = half.state.assembly.take_partial().expect("a message in progress");
                return Poll::Ready(Ok(partial));
            }
            return this.switch(cx, |half| Box::pin(assemble::recv_all(half, max, None)));
        }
        let frame = match std::task::ready!(half.poll_fast(cx, max, whole)) {
            Step::Frame(frame) if !whole => return Poll::Ready(frame),
            Step::Frame(Ok(message)) if message.message_type().is_control() || !message.is_partial() => {
                return Poll::Ready(Ok(message));
            }
            Step::Frame(frame) => Some(frame),
            Step::General => None,
        };
        this.switch(cx, |half| match (frame, whole) {
            (Some(frame), _) => Box::pin(assemble::recv_all(half, max, Some(frame))),
            (None, false) => Box::pin(half.general_frame(max, false)),
            (None, true) => Box::pin(async move {
                let frame = half.general_frame(max, true).await;
                assemble::recv_all(half, max, Some(frame)).await
            }),
        })
    }
}

impl Watch {
    /// Runs `frame` (a cancel-safe read) until it ends, or until an alarm: the peer's close
    /// did not come within the close timeout after ours (`Timeout`), or the heartbeat heard
    /// nothing (`HeartbeatTimeout`). The timers are looked at only while the read waits.
    async fn watch(
        &mut self,
        shared: &Shared,
        frame: impl Future<Output = Result<Message>>,
    ) -> Result<Result<Message>, Error> {
        let mut frame = std::pin::pin!(frame);
        std::future::poll_fn(|cx| {
            if let Poll::Ready(result) = frame.as_mut().poll(cx) {
                return Poll::Ready(Ok(result));
            }
            self.poll_timers(cx, shared).map(Err)
        })
        .await
    }

    /// While a read waits: `Ready` with the alarm once there is one, `Pending` otherwise (the
    /// task is woken when one may be due).
    #[inline]
    fn poll_alarm(&mut self, cx: &mut Context<'_>, shared: &Shared) -> Poll<Error> {
        // Every wait passes here: a socket with nothing to watch costs a few loads.
        if !self.split && !self.liveness.has_heartbeat() && shared.close_sent.get().is_none() {
            return Poll::Pending;
        }
        self.poll_timers(cx, shared)
    }

    /// Tells `liveness` what happened since it last looked, and sleeps until its next
    /// deadline, doing what falls due.
    fn poll_timers(&mut self, cx: &mut Context<'_>, shared: &Shared) -> Poll<Error> {
        if self.split {
            // Registered before looking at the close: a close sent in between wakes us.
            shared.outbox.recv_waker.register(cx.waker());
        }
        let liveness = &mut self.liveness;
        if let Some(at) = shared.close_sent.get() {
            liveness.close_sent(*at, shared.facts.close_timeout);
        }
        if liveness.has_heartbeat() {
            if shared.outbox.stalled() {
                // A send gave up on a peer that takes nothing: the connection is dead both ways.
                return Poll::Ready(Error::HeartbeatTimeout);
            }
            // The first wait starts the heartbeat as if the peer had just been heard.
            if shared.heard.swap(false, Ordering::Relaxed) || !liveness.is_started() {
                liveness.heard(Instant::now());
            }
        }
        while let Some(deadline) = liveness.poll_timeout() {
            let timer = self.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
            if timer.deadline() != deadline {
                timer.as_mut().reset(deadline);
            }
            if timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            // The timer ran out: it is at least its deadline, whatever the clock's grain.
            match liveness.handle_timeout(Instant::now().max(deadline)) {
                Some(Alarm::Ping) => shared.outbox.ping(),
                Some(Alarm::Silent) => return Poll::Ready(Error::HeartbeatTimeout),
                Some(Alarm::CloseTimeout) => return Poll::Ready(Error::Timeout),
                None => {}
            }
        }
        Poll::Pending
    }
}
