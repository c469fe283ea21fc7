//! The browser `WebSocket` and its halves, with the same operations as the native one. The
//! browser hands over whole messages and hides frames, so the message model is emulated:
//! messages over `max_frame_size` come out of `recv` as partial messages, partial sends are
//! buffered into one browser message, and sends wait while `bufferedAmount` is high.

use std::cell::RefCell;
use std::future::poll_fn;
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use futures::future::{Either, select};
use gloo_timers::future::TimeoutFuture;

use super::events::{Events, Handlers, browser_close_code};
use crate::assemble::{Assembly, Fragments, FrameSink, FrameSource};
use crate::connection::Facts;
use crate::proto::{Alarm, Liveness};
use crate::{
    CloseCode, ConnectOptions, Error, Heartbeat, MAX_CLOSE_REASON, Message, MessageType, Result, WebSocket,
};

/// A send waits while the browser holds more than this many unsent bytes.
const HIGH_WATER_MARK: u32 = 1 << 20;
/// How often a waiting send looks at `bufferedAmount` again (the browser has no event for it).
const DRAIN_POLL_MS: u32 = 5;
/// Partial sends are buffered up to this many bytes before their final part.
const MAX_BUFFERED_PARTIAL: usize = 64 << 20;

/// The socket both halves share; dropping the last half closes it with 1000.
pub(crate) struct Socket {
    pub(crate) ws: web_sys::WebSocket,
    pub(crate) events: Rc<RefCell<Events>>,
    /// The protocol and the extensions are the browser's, once open (it negotiates
    /// permessage-deflate itself); a browser tells no addresses.
    pub(crate) facts: Facts,
    /// The unread bytes past which the connection is closed (`Error::ReceiveQueueFull`).
    queue_limit: usize,
    _handlers: Handlers,
}

impl Socket {
    pub(crate) fn new(ws: web_sys::WebSocket, options: &ConnectOptions, queue_limit: usize) -> Self {
        let events = Rc::new(RefCell::new(Events::default()));
        let handlers = Handlers::install(&ws, &events, queue_limit);
        Self {
            ws,
            events,
            facts: Facts {
                protocol: None,
                extensions: None,
                request_target: None,
                local_addr: None,
                peer_addr: None,
                max_frame_size: options.max_frame_size,
                max_message_size: options.max_message_size,
                close_timeout: options.close_timeout,
            },
            queue_limit,
            _handlers: handlers,
        }
    }

    /// Closes after a protocol-level failure, with the browser's form of the RFC code.
    fn fail(&self, error: &Error) {
        let code = error.close_code().unwrap_or(CloseCode::INTERNAL_ERROR);
        let _ = self.ws.close_with_code_and_reason(browser_close_code(code), "");
    }
}

pub(crate) async fn within<T>(limit: Option<Duration>, work: impl Future<Output = Result<T>>) -> Result<T> {
    let Some(limit) = limit else { return work.await };
    let timer = TimeoutFuture::new(millis(limit));
    match select(std::pin::pin!(work), timer).await {
        Either::Left((result, _)) => result,
        Either::Right(_) => Err(Error::Timeout),
    }
}

/// The sending half of a split [`WebSocket`].
pub struct SendHalf {
    socket: Rc<Socket>,
    /// A partial message being buffered until its final part.
    partial: Option<(MessageType, Vec<u8>)>,
    output_timeout: Option<Duration>,
}

/// The receiving half of a split [`WebSocket`].
pub struct RecvHalf {
    socket: Rc<Socket>,
    /// A received message larger than `max_frame_size`, being handed out in pieces.
    pieces: Option<Fragments>,
    assembly: Assembly,
    input_timeout: Option<Duration>,
    /// The heartbeat (as an idle timeout: a browser hides pings) and the wait for the close,
    /// on the clock of [`now`] (`std::time::Instant` panics here).
    liveness: Liveness<Duration>,
    done: bool,
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// `performance.now()`: milliseconds since the page's (or worker's) time origin, on a
    /// clock that does not jump as the wall clock `Date.now()` can. Every runtime the npm
    /// package supports has the global.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// The runtime's monotonic clock, for [`Liveness`].
fn now() -> Duration {
    Duration::from_micros((performance_now() * 1000.0) as u64)
}

/// A duration as the milliseconds of a browser timer.
fn millis(duration: Duration) -> u32 {
    duration.as_millis().min(u32::MAX as u128) as u32
}

impl WebSocket {
    pub(crate) fn new(socket: Socket, heartbeat: Option<Heartbeat>) -> Self {
        let socket = Rc::new(socket);
        Self {
            send: SendHalf { socket: socket.clone(), partial: None, output_timeout: None },
            recv: RecvHalf {
                socket,
                pieces: None,
                assembly: Assembly::default(),
                input_timeout: None,
                liveness: Liveness::new(heartbeat.map(|h| (h.interval, h.timeout))),
                done: false,
            },
        }
    }

    /// Calls `callback` with the browser's `CloseEvent` once the connection is closed (at
    /// once if it already is): the npm package's `closed` promise (crates/uniws-js), the one
    /// browser-only call that crate needs beyond the public API.
    #[doc(hidden)]
    pub fn on_close(&self, callback: js_sys::Function) {
        self.send.socket.events.borrow_mut().on_close(callback);
    }

    /// The close handshake: closes with `code` (1000 or 3000–4999 in a browser) and
    /// `reason`, and waits (at most the close timeout, 5 seconds by default) for the browser
    /// to report the connection closed, discarding messages that arrive meanwhile.
    pub async fn close(&mut self, code: impl Into<CloseCode>, reason: &str) -> Result<()> {
        self.send.close(code, reason).await?;
        self.recv.finish_close().await
    }
}

impl SendHalf {
    pub(crate) fn facts(&self) -> &Facts {
        &self.socket.facts
    }

    /// Starts the close handshake; the receiving half sees the close when it completes.
    pub async fn close(&mut self, code: impl Into<CloseCode>, reason: &str) -> Result<()> {
        let code = code.into();
        if browser_close_code(code) != code.0 {
            return Err(Error::Unsupported(
                format!("close code {code} (browsers send 1000 and 3000-4999)").into(),
            ));
        }
        if reason.len() > MAX_CLOSE_REASON {
            return Err(Error::InvalidMessage("close reason over 123 bytes".into()));
        }
        // Already closing (ours or the server's): the close event is awaited no longer.
        if self.socket.ws.ready_state() < web_sys::WebSocket::CLOSING {
            self.socket.ws.close_with_code_and_reason(code.0, reason).map_err(js_error)?;
        }
        // The receiving half waits for the close event at most the close timeout from now.
        let mut events = self.socket.events.borrow_mut();
        events.close_sent.get_or_insert_with(now);
        events.wake();
        Ok(())
    }

    /// See [`WebSocket::set_output_timeout`].
    pub fn set_output_timeout(&mut self, timeout: Option<Duration>) {
        self.output_timeout = timeout;
    }

    /// Adds a data frame to the message being built; the whole message once it is final.
    fn take_message(&mut self, message: Message) -> Result<Option<(MessageType, Vec<u8>)>> {
        let (kind, max) = (message.message_type(), self.socket.facts.max_frame_size);
        if message.len() > max {
            return Err(Error::FrameTooLarge { size: message.len() as u64, max });
        }
        if let Some((open, _)) = &self.partial {
            open.check_continued_by(kind)?;
        }
        let buffered = match self.partial.take() {
            Some((_, data)) if data.len() + message.len() > MAX_BUFFERED_PARTIAL => {
                self.partial = Some((kind, data));
                return Err(Error::MessageTooLarge { max: MAX_BUFFERED_PARTIAL });
            }
            Some((_, mut data)) => {
                data.extend_from_slice(message.data());
                data
            }
            None => message.data().to_vec(),
        };
        if message.is_partial() {
            self.partial = Some((kind, buffered));
            return Ok(None);
        }
        Ok(Some((kind, buffered)))
    }

    /// Waits until the browser's send buffer is under the high-water mark.
    async fn drained(&self) -> Result<()> {
        while self.socket.ws.buffered_amount() > HIGH_WATER_MARK {
            if self.socket.ws.ready_state() != web_sys::WebSocket::OPEN {
                return Err(Error::Closed);
            }
            TimeoutFuture::new(DRAIN_POLL_MS).await;
        }
        Ok(())
    }
}

impl RecvHalf {
    pub(crate) fn facts(&self) -> &Facts {
        &self.socket.facts
    }

    /// See [`WebSocket::set_input_timeout`].
    pub fn set_input_timeout(&mut self, timeout: Option<Duration>) {
        self.input_timeout = timeout;
    }

    /// The next piece of a message being cut, or the next received message (cut if large).
    fn next_frame(&mut self, budget: usize, whole: bool) -> Poll<Result<Message>> {
        if let Some(piece) = self.pieces.as_mut().and_then(Iterator::next) {
            return Poll::Ready(Ok(piece));
        }
        self.pieces = None;
        if self.done {
            return Poll::Ready(Err(Error::Closed));
        }
        let mut events = self.socket.events.borrow_mut();
        let Some(message) = events.pop() else { return Poll::Pending };
        let overflowed = events.overflowed;
        drop(events);
        if message.message_type() == MessageType::Close {
            self.done = true;
            if overflowed {
                // Our own close, after the messages that fitted: say why instead.
                return Poll::Ready(Err(Error::ReceiveQueueFull { max: self.socket.queue_limit }));
            }
            return Poll::Ready(Ok(message));
        }
        if message.len() > budget {
            self.done = true;
            let error = Error::MessageTooLarge { max: budget };
            self.socket.fail(&error);
            return Poll::Ready(Err(error));
        }
        // The browser hands over whole messages: one is cut into frames only for a plain
        // `recv`, to emulate max_frame_size.
        let max = self.socket.facts.max_frame_size;
        if whole || message.len() <= max {
            return Poll::Ready(Ok(message));
        }
        let mut pieces = Fragments::new(message, max);
        let first = pieces.next().expect("a large message has pieces");
        self.pieces = Some(pieces);
        Poll::Ready(Ok(first))
    }
}

impl RecvHalf {
    /// See [`WebSocket::recv`](crate::WebSocket::recv). After a `recv_all` that stopped
    /// mid-message (it returned a control message, or timed out), what it put together comes
    /// first, as a partial message; the remaining frames follow one by one.
    pub async fn recv(&mut self) -> Result<Message> {
        if let Some(partial) = self.assembly().take_partial() {
            return Ok(partial);
        }
        self.recv_frame(usize::MAX, false).await
    }

    /// See [`WebSocket::recv_all`](crate::WebSocket::recv_all).
    pub fn recv_all(&mut self, max_message_size: usize) -> impl Future<Output = Result<Message>> {
        crate::assemble::recv_all(self, max_message_size, None)
    }
}

impl FrameSink for SendHalf {
    fn max_frame_size(&self) -> usize {
        self.socket.facts.max_frame_size
    }

    async fn send_frame(&mut self, message: Message) -> Result<()> {
        match message.message_type() {
            MessageType::Ping | MessageType::Pong => {
                return Err(Error::Unsupported(
                    "sending ping or pong (the browser answers pings itself)".into(),
                ));
            }
            MessageType::Close => {
                let code = message.close_code().unwrap_or(CloseCode::NORMAL);
                return self.close(code, message.as_text().unwrap_or_default()).await;
            }
            MessageType::Text | MessageType::Binary => {}
        }
        if self.socket.ws.ready_state() != web_sys::WebSocket::OPEN {
            return Err(Error::Closed);
        }
        let Some((kind, data)) = self.take_message(message)? else { return Ok(()) };
        let sent = match kind {
            MessageType::Text => {
                // Not `expect`: it would print the error with `Debug`, whose code the wasm
                // would carry for this one message.
                let Ok(text) = std::str::from_utf8(&data) else {
                    unreachable!("text parts are whole characters")
                };
                self.socket.ws.send_with_str(text)
            }
            _ => self.socket.ws.send_with_u8_array(&data),
        };
        sent.map_err(js_error)?;
        within(self.output_timeout, self.drained()).await
    }
}

impl FrameSource for RecvHalf {
    async fn fail(&mut self, error: Error) -> Error {
        self.done = true;
        self.pieces = None;
        self.socket.fail(&error);
        error
    }

    async fn recv_frame(&mut self, budget: usize, whole: bool) -> Result<Message> {
        // A browser hides pings: the heartbeat is an idle timeout, the silence counted from
        // the start of each call (its ping, `Alarm::Ping`, is let run on to its timeout).
        self.liveness.heard(now());
        let limit = self.input_timeout;
        let mut timer: Option<(Duration, TimeoutFuture)> = None;
        let watched = poll_fn(|cx| {
            loop {
                let ready = self.next_frame(budget, whole);
                if ready.is_ready() {
                    return ready;
                }
                let close_sent = {
                    let mut events = self.socket.events.borrow_mut();
                    events.wait(cx.waker());
                    events.close_sent
                };
                if let Some(at) = close_sent {
                    self.liveness.close_sent(at, self.socket.facts.close_timeout);
                }
                let Some(deadline) = self.liveness.poll_timeout() else { return Poll::Pending };
                let now = now();
                if deadline > now {
                    if timer.as_ref().is_none_or(|(at, _)| *at != deadline) {
                        timer = Some((deadline, TimeoutFuture::new(millis(deadline - now))));
                    }
                    let (_, sleep) = timer.as_mut().expect("set above");
                    if Pin::new(sleep).poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                }
                match self.liveness.handle_timeout(now.max(deadline)) {
                    Some(Alarm::Silent) => return Poll::Ready(Err(Error::HeartbeatTimeout)),
                    Some(Alarm::CloseTimeout) => {
                        self.done = true;
                        return Poll::Ready(Err(Error::Timeout));
                    }
                    Some(Alarm::Ping) | None => {}
                }
            }
        });
        match within(limit, watched).await {
            Err(Error::HeartbeatTimeout) => Err(self.fail(Error::HeartbeatTimeout).await),
            other => other,
        }
    }

    fn assembly(&mut self) -> &mut Assembly {
        &mut self.assembly
    }
}

/// A JavaScript exception as an error, with its message. (Not through `JsValue`'s `Debug`:
/// Rust's string escaping costs the wasm kilobytes.)
pub(crate) fn js_error(value: wasm_bindgen::JsValue) -> Error {
    let message = match wasm_bindgen::JsCast::dyn_ref::<js_sys::Error>(&value) {
        Some(error) => String::from(error.message()),
        None => value.as_string().unwrap_or_else(|| "a JavaScript exception".to_owned()),
    };
    Error::Io(std::io::Error::other(JsException(message)))
}

/// A JavaScript exception's message inside an `io::Error`. Not the `String` itself: the
/// error a `String` becomes has a `Debug` that escapes it, which brings Rust's string
/// escaping (kilobytes of wasm) into the package.
struct JsException(String);

impl std::fmt::Debug for JsException {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Display for JsException {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for JsException {}
