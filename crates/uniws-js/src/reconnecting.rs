//! `ReconnectingWebSocket`: the crate's `Reconnecting` for JavaScript, with the options and
//! state objects of the declarations (see mod.rs).

use std::cell::RefCell;
use std::rc::Rc;

use futures::lock::Mutex;
use wasm_bindgen::prelude::*;

use super::glue::{self, connect_options, js_error, millis, to_message, to_size};
use super::{JsMessage, promise};
use uniws::{ConnectionState, ReconnectPolicy, Reconnecting, ReconnectingSender};

/// A WebSocket that connects again when its connection drops: `Reconnecting` for JavaScript.
#[wasm_bindgen(js_name = ReconnectingWebSocket)]
pub struct JsReconnecting {
    inner: Rc<Mutex<Reconnecting>>,
    sender: ReconnectingSender,
    /// Each drop's close code and reason, kept by the state callback so that reading them
    /// does not wait for a pending `recv`.
    drops: Rc<RefCell<Vec<(u16, String)>>>,
}

#[wasm_bindgen(js_class = ReconnectingWebSocket)]
impl JsReconnecting {
    /// Opens the first connection (no retries: a wrong URL shows at once); afterwards drops
    /// are followed by new attempts as `reconnect` says.
    #[wasm_bindgen(unchecked_return_type = "Promise<ReconnectingWebSocket>")]
    pub fn connect(
        url: String,
        #[wasm_bindgen(unchecked_optional_param_type = "ConnectOptions")] options: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ReconnectOptions")] reconnect: JsValue,
    ) -> js_sys::Promise {
        promise(async move {
            let (options, _) = connect_options(&options)?;
            let reconnect = glue::reconnect_options(&reconnect)?;
            let mut policy = ReconnectPolicy::new()
                .backoff(millis(reconnect.initial_delay()), millis(reconnect.max_delay()));
            if let Some(attempts) = reconnect.max_attempts() {
                policy = policy.max_attempts(attempts.min(u32::MAX as f64) as u32);
            }
            let drops = Rc::new(RefCell::new(Vec::new()));
            let (kept, on_state) = (drops.clone(), reconnect.on_state());
            let mut socket = Reconnecting::new(url, options, policy).on_state(move |state| {
                if let ConnectionState::Dropped(drop) = state {
                    kept.borrow_mut().push((drop.code.0, drop.reason.clone()));
                }
                if let Some(on_state) = &on_state {
                    let _ = on_state.call1(&JsValue::NULL, &state_object(state));
                }
            });
            if let Some(renew) = reconnect.renew() {
                socket = socket.renew(move |attempt, url, _options| {
                    if let Ok(Some(new)) = renew
                        .call2(&JsValue::NULL, &attempt.into(), &url.as_str().into())
                        .map(|v| v.as_string())
                    {
                        *url = new;
                    }
                });
            }
            socket.connect().await.map_err(|e| js_error(&e))?;
            let sender = socket.sender();
            Ok(JsReconnecting { inner: Rc::new(Mutex::new(socket)), sender, drops }.into())
        })
    }

    /// Sends one frame's worth on the connection that is up; rejects with `CLOSED` while it
    /// is down.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn send(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Sendable")] message: JsValue,
    ) -> js_sys::Promise {
        self.send_with(message, false)
    }

    /// Sends a whole message of any size on the connection that is up.
    #[wasm_bindgen(js_name = sendAll, unchecked_return_type = "Promise<void>")]
    pub fn send_all(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Sendable")] message: JsValue,
    ) -> js_sys::Promise {
        self.send_with(message, true)
    }

    /// The next message, across drops.
    #[wasm_bindgen(unchecked_return_type = "Promise<Message>")]
    pub fn recv(&self) -> js_sys::Promise {
        self.receive(None)
    }

    /// The next whole message, across drops.
    #[wasm_bindgen(js_name = recvAll, unchecked_return_type = "Promise<Message>")]
    pub fn recv_all(
        &self,
        #[wasm_bindgen(js_name = maxMessageSize)] max_message_size: f64,
    ) -> js_sys::Promise {
        self.receive(Some(max_message_size))
    }

    /// Closes with `code` (default 1000) and `reason`; no reconnection follows. Resolves once
    /// the connection closed (a pending `recv` ends with the server's close).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&self, code: Option<u16>, reason: Option<String>) -> js_sys::Promise {
        let (sender, inner) = (self.sender.clone(), self.inner.clone());
        promise(async move {
            let (code, reason) = (code.unwrap_or(1000), reason.unwrap_or_default());
            sender.close(code, &reason).await.map_err(|e| js_error(&e))?;
            inner.lock().await.close(code, &reason).await.map_err(|e| js_error(&e))?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Every drop so far, oldest first: `{ closeCode, reason }`.
    #[wasm_bindgen(getter, unchecked_return_type = "Array<{ closeCode: number; reason: string }>")]
    pub fn drops(&self) -> js_sys::Array {
        self.drops.borrow().iter().map(|(code, reason)| glue::drop_object(*code, reason)).collect()
    }
}

// One promise for both sends and one for both receives: each async method is a state
// machine of its own in the wasm.
impl JsReconnecting {
    fn send_with(&self, message: JsValue, whole: bool) -> js_sys::Promise {
        let sender = self.sender.clone();
        promise(async move {
            let message = to_message(&message, None, false)?;
            let sent = if whole { sender.send_all(message).await } else { sender.send(message).await };
            sent.map_err(|e| js_error(&e))?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// `recv` (no `max`) or `recv_all`.
    fn receive(&self, max: Option<f64>) -> js_sys::Promise {
        let inner = self.inner.clone();
        promise(async move {
            let max = max.map(|max| to_size(max, "maxMessageSize")).transpose()?;
            let message = inner.lock().await.receive(max).await.map_err(|e| js_error(&e))?;
            Ok(JsMessage::from(message).into())
        })
    }
}

/// A state as the plain object the declarations describe.
fn state_object(state: &ConnectionState<'_>) -> JsValue {
    let state_of = glue::connection_state;
    match state {
        ConnectionState::Connected { attempt } => {
            state_of("connected", Some(*attempt), None, None, None, None)
        }
        ConnectionState::Dropped(drop) => state_of(
            "dropped",
            None,
            None,
            Some(drop.code.0),
            Some(&drop.reason),
            drop.error.as_ref().map(ToString::to_string),
        ),
        ConnectionState::Reconnecting { attempt, delay } => {
            state_of("reconnecting", Some(*attempt), Some(delay.as_millis() as f64), None, None, None)
        }
        ConnectionState::AttemptFailed { attempt, error } => {
            state_of("attemptFailed", Some(*attempt), None, None, None, Some(error.to_string()))
        }
        ConnectionState::GaveUp => state_of("gaveUp", None, None, None, None, None),
        // A state the library added after this crate was written: named, with nothing more.
        _ => state_of("other", None, None, None, None, None),
    }
}
