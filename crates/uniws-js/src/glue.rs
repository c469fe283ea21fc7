//! The Rust side of js/glue.js: the option objects JavaScript passes, checked there and read
//! here through typed getters, and the errors and plain objects made there. Checking an
//! object property by property in Rust costs the wasm a call, a string and a message per
//! property; in JavaScript it costs nothing in the wasm (see the size budget of issue 13).

use std::time::Duration;

use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use js_sys::Uint8Array;

use uniws::{ConnectOptions, Error, Message};

#[wasm_bindgen(module = "/js/glue.js")]
extern "C" {
    /// `ConnectOptions` as js/glue.js checked them: each option given is a property.
    pub(super) type Options;

    #[wasm_bindgen(catch, js_name = connectOptions)]
    fn check_options(value: &JsValue) -> Result<Options, JsValue>;
    #[wasm_bindgen(method, getter)]
    pub(super) fn signal(this: &Options) -> Option<AbortSignal>;
    /// A comma-separated list split as `ConnectOptions::protocol` splits it.
    #[wasm_bindgen(method, getter)]
    fn protocols(this: &Options) -> Option<Vec<String>>;
    #[wasm_bindgen(method, getter)]
    fn timeout(this: &Options) -> Option<f64>;
    #[wasm_bindgen(method, getter, js_name = maxFrameSize)]
    fn max_frame_size(this: &Options) -> Option<f64>;
    #[wasm_bindgen(method, getter, js_name = heartbeatInterval)]
    fn heartbeat_interval(this: &Options) -> Option<f64>;
    #[wasm_bindgen(method, getter, js_name = heartbeatTimeout)]
    fn heartbeat_timeout(this: &Options) -> Option<f64>;
    #[wasm_bindgen(method, getter, js_name = closeTimeout)]
    fn close_timeout(this: &Options) -> Option<f64>;
    /// Names and values in turn.
    #[wasm_bindgen(method, getter)]
    fn params(this: &Options) -> Option<Vec<String>>;

    /// `ReconnectOptions` as js/glue.js checked them, defaults filled in.
    pub(super) type ReconnectOptions;

    #[wasm_bindgen(catch, js_name = reconnectOptions)]
    pub(super) fn reconnect_options(value: &JsValue) -> Result<ReconnectOptions, JsValue>;
    #[wasm_bindgen(method, getter, js_name = initialDelay)]
    pub(super) fn initial_delay(this: &ReconnectOptions) -> f64;
    #[wasm_bindgen(method, getter, js_name = maxDelay)]
    pub(super) fn max_delay(this: &ReconnectOptions) -> f64;
    #[wasm_bindgen(method, getter, js_name = maxAttempts)]
    pub(super) fn max_attempts(this: &ReconnectOptions) -> Option<f64>;
    #[wasm_bindgen(method, getter)]
    pub(super) fn renew(this: &ReconnectOptions) -> Option<js_sys::Function>;
    #[wasm_bindgen(method, getter, js_name = onState)]
    pub(super) fn on_state(this: &ReconnectOptions) -> Option<js_sys::Function>;

    /// A message's parts as js/glue.js checked them.
    pub(super) type MessageParts;

    #[wasm_bindgen(catch, js_name = messageParts)]
    fn message_parts(value: &JsValue, kind: Option<String>, partial: bool) -> Result<MessageParts, JsValue>;
    /// The type, numbered in the order of `TYPES` in js/glue.js.
    #[wasm_bindgen(method, getter, js_name = type)]
    fn kind(this: &MessageParts) -> u8;
    /// A string for text and close, a `Uint8Array` otherwise.
    #[wasm_bindgen(method, getter)]
    fn data(this: &MessageParts) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn partial(this: &MessageParts) -> bool;

    /// The `signal` of a `WaitOptions` (or `undefined`); throws if it is not an `AbortSignal`.
    #[wasm_bindgen(catch, js_name = signalOf)]
    pub(super) fn signal_of(options: &JsValue) -> Result<Option<AbortSignal>, JsValue>;

    #[wasm_bindgen(js_name = uniwsError)]
    fn uniws_error(message: &str, code: &str, close_code: Option<u16>, status: Option<u16>) -> JsValue;

    /// A `ConnectionState` object with the fields given.
    #[wasm_bindgen(js_name = connectionState)]
    pub(super) fn connection_state(
        state: &str,
        attempt: Option<u32>,
        delay: Option<f64>,
        close_code: Option<u16>,
        reason: Option<&str>,
        error: Option<String>,
    ) -> JsValue;

    #[wasm_bindgen(js_name = dropObject)]
    pub(super) fn drop_object(close_code: u16, reason: &str) -> JsValue;

    /// Makes the instances of `instance`'s class async-iterable through their method
    /// `method`, or as their own iterator without one (wasm-bindgen cannot name a method by
    /// a symbol, so `Symbol.asyncIterator` is set on the prototype).
    #[wasm_bindgen(js_name = makeAsyncIterable)]
    pub(super) fn make_async_iterable(instance: &JsValue, method: Option<&str>);

    /// `{ value, done }`, `done` when `value` is `undefined`.
    #[wasm_bindgen(js_name = iteratorResult)]
    pub(super) fn iterator_result(value: JsValue) -> JsValue;
}

/// `ConnectOptions` from a JavaScript object (unknown keys refused), and the object as
/// checked, for its `signal`.
pub(super) fn connect_options(value: &JsValue) -> Result<(ConnectOptions, Options), JsValue> {
    let given = check_options(value)?;
    let mut options = ConnectOptions::new();
    if let Some(list) = given.protocols() {
        options = options.protocols(list);
    }
    if let Some(ms) = given.timeout() {
        options = options.timeout(millis(ms));
    }
    if let Some(size) = given.max_frame_size() {
        options = options.max_frame_size(size as usize);
    }
    if let (Some(interval), Some(timeout)) = (given.heartbeat_interval(), given.heartbeat_timeout()) {
        options = options.heartbeat(millis(interval), millis(timeout));
    }
    if let Some(ms) = given.close_timeout() {
        options = options.close_timeout(millis(ms));
    }
    for pair in given.params().unwrap_or_default().chunks_exact(2) {
        options = options.param(&pair[0], &pair[1]);
    }
    Ok((options, given))
}

/// A message from what JavaScript passed: a string, bytes, or an object with `data`, `type`
/// and `partial` (a `Message` or a plain object); `kind` and `partial` apply to the first two.
pub(super) fn to_message(value: &JsValue, kind: Option<String>, partial: bool) -> Result<Message, JsValue> {
    let parts = message_parts(value, kind, partial)?;
    let data = parts.data();
    let bytes = || data.unchecked_ref::<Uint8Array>().to_vec();
    let message = match parts.kind() {
        1 => Message::text(data.as_string().unwrap_or_default()),
        4 => Message::close(1000, data.as_string().unwrap_or_default()),
        2 => Message::ping(bytes()),
        3 => Message::pong(bytes()),
        _ => Message::binary(bytes()),
    };
    Ok(message.with_partial(parts.partial()))
}

/// A duration from a whole number of milliseconds that js/glue.js checked.
pub(super) fn millis(ms: f64) -> Duration {
    Duration::from_millis(ms as u64)
}

/// A size from JavaScript: a whole number of at least 0, or a `TypeError` naming `what`.
pub(super) fn to_size(value: f64, what: &str) -> Result<usize, JsValue> {
    if value.is_finite() && value >= 0.0 && value.fract() == 0.0 {
        Ok(value as usize)
    } else {
        Err(invalid_argument(&format!("{what} must be a whole number of at least 0")))
    }
}

/// A `TypeError` with the code `INVALID_ARGUMENT`.
fn invalid_argument(message: &str) -> JsValue {
    uniws_error(message, "INVALID_ARGUMENT", None, None)
}

/// An `Error` with a stable `code` per kind and the `name` that goes with it (and
/// `closeCode`, `status` when known).
pub(super) fn js_error(error: &Error) -> JsValue {
    let code = match error {
        Error::Closed => "CLOSED",
        Error::FrameTooLarge { .. } => "FRAME_TOO_LARGE",
        Error::MessageTooLarge { .. } => "MESSAGE_TOO_LARGE",
        Error::TooManyFragments { .. } => "TOO_MANY_FRAGMENTS",
        Error::Protocol { .. } => "PROTOCOL",
        Error::InvalidUtf8 => "INVALID_UTF8",
        Error::InvalidMessage(_) => "INVALID_MESSAGE",
        Error::Handshake { .. } => "HANDSHAKE",
        Error::InvalidUrl(_) => "INVALID_URL",
        Error::Proxy { .. } => "PROXY",
        Error::Timeout => "TIMEOUT",
        Error::HeartbeatTimeout => "HEARTBEAT_TIMEOUT",
        Error::Tls(_) => "TLS",
        Error::Io(_) => "IO",
        Error::Unsupported(_) => "UNSUPPORTED",
        Error::InvalidOptions(_) => "INVALID_ARGUMENT",
        Error::ReceiveQueueFull { .. } => "RECEIVE_QUEUE_FULL",
        // A kind the library added after this crate was written (`Error` is non-exhaustive).
        _ => "ERROR",
    };
    let status = match error {
        Error::Handshake { status, .. } => *status,
        _ => None,
    };
    uniws_error(&error.to_string(), code, error.close_code().map(|code| code.0), status)
}
