//! The JavaScript side of a browser WebSocket: the event handlers, owned by the socket and
//! removed when it is dropped, and the state they fill (received messages in a bounded
//! queue, the close event, the waker of whoever waits).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::task::Waker;

use js_sys::{ArrayBuffer, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{CloseEvent, Event, MessageEvent};

use crate::{CloseCode, Message};

/// What the event handlers have seen.
#[derive(Default)]
pub(crate) struct Events {
    pub(crate) opened: bool,
    /// The close event arrived (its message is queued after the data before it).
    pub(crate) closed: bool,
    /// Received messages not yet taken, the close message last.
    queue: VecDeque<Message>,
    queued_bytes: usize,
    /// The queue went over its limit; the connection was closed.
    pub(crate) overflowed: bool,
    /// When our close went out (`SendHalf::close`), on the clock of `Liveness` (`now` in
    /// browser/websocket.rs): the wait for the browser's close event is bounded from then on.
    pub(crate) close_sent: Option<std::time::Duration>,
    waker: Option<Waker>,
    /// The close event, kept for a callback registered after it.
    close_event: Option<CloseEvent>,
    /// Called with the close event when it arrives.
    on_close: Option<js_sys::Function>,
}

impl Events {
    /// Remembers who to wake when something happens.
    pub(crate) fn wait(&mut self, waker: &Waker) {
        self.waker = Some(waker.clone());
    }

    pub(crate) fn wake(&mut self) {
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }

    /// Calls `callback` with the close event, now if it has arrived, else when it does.
    pub(crate) fn on_close(&mut self, callback: js_sys::Function) {
        match &self.close_event {
            Some(event) => call_with(&callback, event),
            None => self.on_close = Some(callback),
        }
    }

    fn push(&mut self, message: Message) {
        self.queued_bytes += message.len();
        self.queue.push_back(message);
    }

    /// The oldest received message.
    pub(crate) fn pop(&mut self) -> Option<Message> {
        let message = self.queue.pop_front()?;
        self.queued_bytes -= message.len();
        Some(message)
    }
}

type Handler<E> = Closure<dyn FnMut(E)>;

/// The handlers installed on a `web_sys::WebSocket`; dropping this removes them.
pub(crate) struct Handlers {
    ws: web_sys::WebSocket,
    _open: Handler<Event>,
    _message: Handler<MessageEvent>,
    _close: Handler<CloseEvent>,
    _error: Handler<Event>,
}

impl Handlers {
    /// Installs the handlers. Received messages beyond `queue_limit` unread bytes close the
    /// connection (a browser cannot slow its peer down), which `recv` then reports.
    pub(crate) fn install(ws: &web_sys::WebSocket, events: &Rc<RefCell<Events>>, queue_limit: usize) -> Self {
        let open_events = events.clone();
        let open: Handler<Event> = Closure::new(move |_: Event| {
            let mut events = open_events.borrow_mut();
            events.opened = true;
            events.wake();
        });
        // The close event that follows an error says what `recv` and `connect` need.
        let error_events = events.clone();
        let error: Handler<Event> = Closure::new(move |_: Event| error_events.borrow_mut().wake());

        let message_events = events.clone();
        let socket = ws.clone();
        let message: Handler<MessageEvent> = Closure::new(move |event: MessageEvent| {
            let Some(message) = to_message(&event.data()) else { return };
            let mut events = message_events.borrow_mut();
            if events.overflowed {
                return;
            }
            if events.queued_bytes + message.len() > queue_limit {
                events.overflowed = true;
                let _ = socket.close_with_code_and_reason(
                    browser_close_code(CloseCode::POLICY_VIOLATION),
                    "receive queue over its limit",
                );
            } else {
                events.push(message);
            }
            events.wake();
        });

        let close_events = events.clone();
        let close: Handler<CloseEvent> = Closure::new(move |event: CloseEvent| {
            let mut events = close_events.borrow_mut();
            events.closed = true;
            // 1005 and 1006 are what the browser reports for "no code" and "no close frame".
            let message = match event.code() {
                1005 | 1006 => Message::close_without_code(),
                code => Message::close(code, event.reason()),
            };
            events.push(message);
            events.wake();
            if let Some(callback) = events.on_close.take() {
                call_with(&callback, &event);
            }
            events.close_event = Some(event);
        });

        ws.set_onopen(Some(open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(close.as_ref().unchecked_ref()));
        ws.set_onerror(Some(error.as_ref().unchecked_ref()));
        Self { ws: ws.clone(), _open: open, _message: message, _close: close, _error: error }
    }
}

impl Drop for Handlers {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        self.ws.set_onerror(None);
        // Dropping an open socket ends it politely, as the native backend's peers expect.
        if self.ws.ready_state() <= web_sys::WebSocket::OPEN {
            let _ = self.ws.close_with_code(CloseCode::NORMAL.0);
        }
    }
}

/// Calls a JavaScript callback; what it throws is its own business (it is a promise's
/// `resolve`, which does not throw).
fn call_with(callback: &js_sys::Function, event: &CloseEvent) {
    let _ = callback.call1(&wasm_bindgen::JsValue::UNDEFINED, event);
}

/// A received browser message as a `Message` (`binaryType` is `arraybuffer`).
fn to_message(data: &wasm_bindgen::JsValue) -> Option<Message> {
    if let Some(text) = data.as_string() {
        return Some(Message::text(text));
    }
    let buffer = data.dyn_ref::<ArrayBuffer>()?;
    Some(Message::binary(Uint8Array::new(buffer).to_vec()))
}

/// The code a browser may put on the wire for `code`: browsers send only 1000 and
/// 3000–4999, so the RFC's failure codes 10xx become 40xx (1009 → 4009).
pub(crate) fn browser_close_code(code: CloseCode) -> u16 {
    match code.0 {
        1000 | 3000..=4999 => code.0,
        other => 4000 + other % 1000,
    }
}
