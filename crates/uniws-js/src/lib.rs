//! The JavaScript bindings of the npm package (wasm32 only): the same model as for Rust —
//! `WebSocket.connect(url, options)`, `send`, `sendAll`, `recv`, `recvAll`, `protocol`,
//! `maxFrameSize`, `close`, and a `Message` with `data`, `type` and `partial` — with typed
//! TypeScript declarations and errors that carry a stable `name` and `code`. What JavaScript
//! adds: `for await` over whole messages, a `closed` promise, `AbortSignal`s for `connect`
//! and the receiving calls, `extensions`, and `ReconnectingWebSocket` over the
//! crate's `Reconnecting`. Only globals that every runtime has are used
//! (`WebSocket`, `URL`, `AbortSignal`, `setTimeout`): no `window`, so the same bindings run in
//! pages, Workers, Node, Deno and Bun.
//!
//! This crate is the npm package's wasm (scripts/build-npm.sh); natively it is empty.

#![cfg(target_arch = "wasm32")]

mod glue;
mod reconnecting;

use std::cell::Cell;
use std::pin::{Pin, pin};
use std::rc::Rc;

use futures::future::{Either, select};
use futures::lock::Mutex;
use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};
use web_sys::AbortSignal;

use glue::{connect_options, iterator_result, js_error, make_async_iterable, signal_of, to_message, to_size};
pub use reconnecting::JsReconnecting;
use uniws::{Error, Message, MessageType, RecvHalf, SendHalf};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** The kind of a message. */
export type MessageType = "binary" | "text" | "ping" | "pong" | "close";

/** Options for `WebSocket.connect`. */
export interface ConnectOptions {
  /** Subprotocols to offer: a comma-separated list or an array, in order of preference. */
  protocol?: string | string[];
  /** Milliseconds to wait for the connection to open. */
  timeout?: number;
  /** The largest frame sent or received (default 1 MiB); larger messages arrive in parts. */
  maxFrameSize?: number;
  /** Query parameters appended to the URL. */
  params?: Record<string, string>;
  /** A browser cannot ping: a `recv` that hears nothing for `interval + timeout` ms fails
   * with `HEARTBEAT_TIMEOUT` and closes with 4011. */
  heartbeat?: { interval: number; timeout: number };
  /** Milliseconds a close waits for the server's answer (default 5000). */
  closeTimeout?: number;
  /** Gives up connecting when it aborts: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Options of a call that waits for the peer. */
export interface WaitOptions {
  /** Stops waiting when it aborts (rejecting with the signal's reason); the connection
   *  stays open and loses nothing. */
  signal?: AbortSignal;
}

/** How the connection ended: the close event's code and reason, and whether the close
 *  handshake finished (1005: no code was given; 1006: the connection was lost). */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

interface WebSocket2 {
  /** `for await (const message of ws)`: whole messages (up to 64 MiB each) until the
   *  connection closes; the same as `ws.messages()`. */
  [Symbol.asyncIterator](): Messages;
}

export interface Messages {
  [Symbol.asyncIterator](): Messages;
}

/** How a `ReconnectingWebSocket` tries again. */
export interface ReconnectOptions {
  /** Milliseconds before the first attempt after a drop, doubled at each failure (default 500). */
  initialDelay?: number;
  /** The longest wait between attempts in milliseconds (default 30000). */
  maxDelay?: number;
  /** Gives up after this many failed attempts in a row (default: never). */
  maxAttempts?: number;
  /** Called before each attempt; a string returned is the URL to use (a fresh token). */
  renew?: (attempt: number, url: string) => string | undefined | void;
  /** Called at every change of state. */
  onState?: (state: ConnectionState) => void;
}

/** A change of state of a `ReconnectingWebSocket`. */
export type ConnectionState =
  | { state: "connected"; attempt: number }
  | { state: "dropped"; closeCode: number; reason: string; error?: string }
  | { state: "reconnecting"; attempt: number; delay: number }
  | { state: "attemptFailed"; attempt: number; error: string }
  | { state: "gaveUp" };

/** The stable codes of `UniwsError`. */
export type ErrorCode =
  | "CLOSED" | "FRAME_TOO_LARGE" | "MESSAGE_TOO_LARGE" | "TOO_MANY_FRAGMENTS" | "PROTOCOL"
  | "INVALID_UTF8" | "INVALID_MESSAGE" | "HANDSHAKE" | "INVALID_URL" | "PROXY" | "TIMEOUT" | "HEARTBEAT_TIMEOUT" | "TLS" | "IO"
  | "UNSUPPORTED" | "INVALID_ARGUMENT" | "RECEIVE_QUEUE_FULL" | "ERROR";

/** Every rejected promise of this package rejects with one of these. */
export interface UniwsError extends Error {
  /** A stable code per kind of error. */
  readonly code: ErrorCode;
  /** The WebSocket close code that went with it, if any. */
  readonly closeCode?: number;
  /** The HTTP status of a failed handshake, when known. */
  readonly status?: number;
}

/** What `send` and `sendAll` take: a message, a string (text) or bytes (binary). */
export type Sendable = Message | string | Uint8Array;
"#;

/// A message: data (a string for text and close, bytes otherwise), type and partial flag.
#[wasm_bindgen(js_name = Message)]
pub struct JsMessage {
    message: Message,
    /// `data` as JavaScript sees it, made once: a loop over `message.data[i]` must not copy
    /// the payload out of wasm memory at every step.
    data: std::cell::OnceCell<JsValue>,
}

impl From<Message> for JsMessage {
    fn from(message: Message) -> Self {
        Self { message, data: std::cell::OnceCell::new() }
    }
}

#[wasm_bindgen(js_class = Message)]
impl JsMessage {
    /// A message of `type` ("text" by default for a string, "binary" for bytes).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] data: JsValue,
        #[wasm_bindgen(js_name = "type", unchecked_optional_param_type = "MessageType")] kind: Option<String>,
        #[wasm_bindgen(unchecked_optional_param_type = "boolean")] partial: Option<bool>,
    ) -> Result<JsMessage, JsValue> {
        Ok(to_message(&data, kind, partial.unwrap_or(false))?.into())
    }

    /// The payload: a string for text and close messages, a `Uint8Array` otherwise.
    #[wasm_bindgen(getter, unchecked_return_type = "string | Uint8Array")]
    pub fn data(&self) -> JsValue {
        self.data
            .get_or_init(|| match self.message.as_text() {
                Some(text) => JsValue::from_str(text),
                None => Uint8Array::from(self.message.data()).into(),
            })
            .clone()
    }

    /// The message's type.
    #[wasm_bindgen(getter, js_name = "type", unchecked_return_type = "MessageType")]
    pub fn kind(&self) -> JsValue {
        JsValue::from_str(self.message.message_type().as_str())
    }

    /// Whether more of this message follows.
    #[wasm_bindgen(getter)]
    pub fn partial(&self) -> bool {
        self.message.is_partial()
    }

    /// The close code of a close message.
    #[wasm_bindgen(getter, js_name = closeCode)]
    pub fn close_code(&self) -> Option<u16> {
        self.message.close_code().map(|code| code.0)
    }
}

/// What `for await (const message of ws)` takes at most per message: as much as the browser
/// backend lets wait unread (see `MIN_QUEUE_LIMIT` in browser/connect.rs).
const DEFAULT_MAX_MESSAGE_SIZE: usize = 64 << 20;

/// A WebSocket connection with the uniws message model.
#[wasm_bindgen(js_name = WebSocket)]
pub struct JsWebSocket {
    send: Rc<Mutex<SendHalf>>,
    recv: Rc<Mutex<RecvHalf>>,
    protocol: Option<String>,
    extensions: Option<String>,
    max_frame_size: usize,
    closed: Promise,
}

#[wasm_bindgen(js_class = WebSocket)]
impl JsWebSocket {
    /// Opens a connection; rejects with a `UniwsError` if it cannot.
    // The declarations name this class `WebSocket2` inside (exported as `WebSocket`), so
    // that the browser's own `WebSocket` stays reachable; the tsc test checks it.
    #[wasm_bindgen(unchecked_return_type = "Promise<WebSocket2>")]
    pub fn connect(
        url: String,
        #[wasm_bindgen(unchecked_optional_param_type = "ConnectOptions")] options: JsValue,
    ) -> js_sys::Promise {
        promise(async move {
            let (options, checked) = connect_options(&options)?;
            let signal = checked.signal();
            let connecting = async { uniws::connect(&url, &options).await.map_err(|e| js_error(&e)) };
            // An abort drops the connecting future, which closes the browser socket.
            let ws = abortable(signal.as_ref(), connecting).await?;
            let closed = Promise::new(&mut |resolve, _| ws.on_close(resolve));
            let protocol = ws.protocol().map(str::to_owned);
            let extensions = ws.extensions().map(str::to_owned);
            let max_frame_size = ws.max_frame_size();
            let (send, recv) = ws.split();
            let ws = JsWebSocket {
                send: Rc::new(Mutex::new(send)),
                recv: Rc::new(Mutex::new(recv)),
                protocol,
                extensions,
                max_frame_size,
                closed,
            };
            let ws = JsValue::from(ws);
            make_async_iterable(&ws, Some("messages"));
            Ok(ws)
        })
    }

    /// Sends one frame's worth; rejects with `FRAME_TOO_LARGE` over `maxFrameSize`.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn send(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Sendable")] message: JsValue,
    ) -> js_sys::Promise {
        self.send_with(message, false)
    }

    /// Sends a whole message of any size.
    #[wasm_bindgen(js_name = sendAll, unchecked_return_type = "Promise<void>")]
    pub fn send_all(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Sendable")] message: JsValue,
    ) -> js_sys::Promise {
        self.send_with(message, true)
    }

    /// The next message; one over `maxFrameSize` arrives in partial parts.
    #[wasm_bindgen(unchecked_return_type = "Promise<Message>")]
    pub fn recv(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> js_sys::Promise {
        self.receive(None, options)
    }

    /// The next whole message; rejects with `MESSAGE_TOO_LARGE` past `maxMessageSize` bytes.
    #[wasm_bindgen(js_name = recvAll, unchecked_return_type = "Promise<Message>")]
    pub fn recv_all(
        &self,
        #[wasm_bindgen(js_name = maxMessageSize)] max_message_size: f64,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> js_sys::Promise {
        self.receive(Some(max_message_size), options)
    }

    /// Whole messages of at most `maxMessageSize` bytes (default 64 MiB) until the connection
    /// closes, for `for await`; `ws[Symbol.asyncIterator]` is this method.
    #[wasm_bindgen(unchecked_return_type = "Messages")]
    pub fn messages(
        &self,
        #[wasm_bindgen(js_name = maxMessageSize, unchecked_optional_param_type = "number")] max: Option<f64>,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let max = match max {
            Some(size) => to_size(size, "maxMessageSize")?,
            None => DEFAULT_MAX_MESSAGE_SIZE,
        };
        let signal = signal_of(&options)?;
        let messages = JsValue::from(Messages { recv: self.recv.clone(), max, signal, done: Rc::default() });
        make_async_iterable(&messages, None);
        Ok(messages)
    }

    /// The negotiated subprotocol, if any.
    #[wasm_bindgen(getter)]
    pub fn protocol(&self) -> Option<String> {
        self.protocol.clone()
    }

    /// The extensions the server accepted (`Sec-WebSocket-Extensions`), if any.
    #[wasm_bindgen(getter)]
    pub fn extensions(&self) -> Option<String> {
        self.extensions.clone()
    }

    /// Resolves once the connection is closed, however that happened, with the close code,
    /// reason and whether the close handshake finished; it never rejects.
    #[wasm_bindgen(getter, unchecked_return_type = "Promise<CloseInfo>")]
    pub fn closed(&self) -> Promise {
        self.closed.clone()
    }

    /// The frame size limit.
    #[wasm_bindgen(getter, js_name = maxFrameSize)]
    pub fn max_frame_size(&self) -> f64 {
        self.max_frame_size as f64
    }

    /// Closes with `code` (default 1000) and `reason`; resolves once the connection closed.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&self, code: Option<u16>, reason: Option<String>) -> js_sys::Promise {
        let (send, recv) = (self.send.clone(), self.recv.clone());
        promise(async move {
            let code = code.unwrap_or(1000);
            send.lock().await.close(code, reason.as_deref().unwrap_or("")).await.map_err(|e| js_error(&e))?;
            recv.lock().await.finish_close().await.map_err(|e| js_error(&e))?;
            Ok(JsValue::UNDEFINED)
        })
    }
}

/// The whole messages of a connection, as an async iterator: `next` gives each text or binary
/// message and ends (`done`) when the connection closes; other errors reject.
#[wasm_bindgen]
pub struct Messages {
    recv: Rc<Mutex<RecvHalf>>,
    max: usize,
    signal: Option<AbortSignal>,
    done: Rc<Cell<bool>>,
}

#[wasm_bindgen]
impl Messages {
    /// The next whole message, or the end once the connection closed.
    #[wasm_bindgen(unchecked_return_type = "Promise<IteratorResult<Message, undefined>>")]
    pub fn next(&self) -> Promise {
        let (recv, max, done, signal) = (self.recv.clone(), self.max, self.done.clone(), self.signal.clone());
        promise(async move {
            if done.get() {
                return Ok(iterator_result(JsValue::UNDEFINED));
            }
            let message = match next_message(&recv, Some(max), signal.as_ref()).await? {
                Ok(message) if message.message_type() != MessageType::Close => Some(message),
                Ok(_) | Err(Error::Closed) => None,
                Err(e) => return Err(js_error(&e)),
            };
            done.set(message.is_none());
            Ok(iterator_result(message.map_or(JsValue::UNDEFINED, |m| JsMessage::from(m).into())))
        })
    }

    /// Ends the iteration (`break` out of `for await` calls it); the connection stays open.
    #[wasm_bindgen(js_name = "return", unchecked_return_type = "Promise<IteratorResult<Message, undefined>>")]
    pub fn finish(&self) -> Promise {
        self.done.set(true);
        Promise::resolve(&iterator_result(JsValue::UNDEFINED))
    }
}

/// `future_to_promise` through one boxed future type: each instance of it brings its own copy
/// of the promise and task glue, which for a dozen async methods cost kilobytes of wasm.
fn promise(work: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    let work: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>> = Box::pin(work);
    future_to_promise(work)
}

/// The next frame (no `max`) or whole message of at most `max` bytes, unless `signal` aborts
/// first: then the error is the signal's reason, and what `recv_all` put together stays in
/// the receiving half for the next call.
async fn next_message(
    half: &Mutex<RecvHalf>,
    max: Option<usize>,
    signal: Option<&AbortSignal>,
) -> Result<uniws::Result<Message>, JsValue> {
    let receiving = async {
        let mut half = half.lock().await;
        Ok(match max {
            None => half.recv().await,
            Some(max) => half.recv_all(max).await,
        })
    };
    abortable(signal, receiving).await
}

/// Runs `work` until it finishes or `signal` aborts; an abort drops `work` and rejects with
/// the signal's reason (an `AbortError` unless the caller gave one), as `fetch` does.
async fn abortable<T>(
    signal: Option<&AbortSignal>,
    work: impl Future<Output = Result<T, JsValue>>,
) -> Result<T, JsValue> {
    let Some(signal) = signal else { return work.await };
    if signal.aborted() {
        return Err(signal.reason());
    }
    // The promise's own `reject` is the listener: no Rust closure to keep alive or free.
    let mut reject = None;
    let aborted = Promise::new(&mut |_, r| reject = Some(r));
    let reject = reject.expect("the Promise constructor runs its executor at once");
    signal.add_event_listener_with_callback("abort", &reject)?;
    let outcome = match select(pin!(work), JsFuture::from(aborted)).await {
        Either::Left((result, _)) => result,
        Either::Right(_) => Err(signal.reason()),
    };
    let _ = signal.remove_event_listener_with_callback("abort", &reject);
    outcome
}

impl JsWebSocket {
    /// `recv` (no `max`) and `recv_all` in one promise, as `send_with` is for the sends: each
    /// async method is a state machine of its own in the wasm.
    fn receive(&self, max: Option<f64>, options: JsValue) -> js_sys::Promise {
        let half = self.recv.clone();
        promise(async move {
            let max = max.map(|max| to_size(max, "maxMessageSize")).transpose()?;
            let signal = signal_of(&options)?;
            let message = next_message(&half, max, signal.as_ref()).await?.map_err(|e| js_error(&e))?;
            Ok(JsMessage::from(message).into())
        })
    }

    fn send_with(&self, message: JsValue, whole: bool) -> js_sys::Promise {
        let half = self.send.clone();
        promise(async move {
            let message = to_message(&message, None, false)?;
            let mut half = half.lock().await;
            let sent = if whole { half.send_all(message).await } else { half.send(message).await };
            sent.map_err(|e| js_error(&e))?;
            Ok(JsValue::UNDEFINED)
        })
    }
}
