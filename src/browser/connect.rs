//! The browser client: `connect(url, options)` over `web_sys::WebSocket`, refusing by name
//! every option a browser cannot honour, and turning a failure before open into an error
//! rather than a hang. URLs are parsed by the browser's own `URL`, so the wasm carries no URL
//! parser (the native backend's `url` crate brings Unicode tables with it).

use std::future::poll_fn;
use std::task::Poll;

use super::websocket::{Socket, js_error, within};
use crate::options::ProxyChoice;
use crate::{ConnectOptions, DeflateOptions, Error, HandshakeFailure, Result, WebSocket};

/// Received messages the application has not taken yet may hold at most this many bytes,
/// or sixteen frames if that is more.
const MIN_QUEUE_LIMIT: usize = 64 << 20;

/// Connects to a `ws://` or `wss://` URL from the browser: the same call as natively.
/// Options a browser cannot honour (headers, cookies, auth, TLS configuration, redirects,
/// turning automatic pongs off, proxies) are refused with [`Error::Unsupported`] naming them.
///
/// # Errors
///
/// [`Error::Unsupported`] for such an option, [`Error::InvalidOptions`] for a subprotocol
/// that is not a token, [`Error::InvalidUrl`] for a URL the browser refuses,
/// [`Error::Handshake`] with [`HandshakeFailure::BrowserRefused`] when the browser could not
/// open the connection (it does not say why), [`Error::Timeout`] after the options' timeout.
pub async fn connect(url: &str, options: &ConnectOptions) -> Result<WebSocket> {
    refuse_unsupported(options)?;
    options.check_protocols()?;
    let url = target_url(url, options)?;
    let ws = if options.protocols.is_empty() {
        web_sys::WebSocket::new(&url)
    } else {
        let protocols: js_sys::Array =
            options.protocols.iter().map(|p| wasm_bindgen::JsValue::from_str(p)).collect();
        web_sys::WebSocket::new_with_str_sequence(&url, &protocols)
    }
    .map_err(|e| Error::InvalidUrl(format!("the browser refused the URL: {}", js_error(e)).into()))?;
    ws.set_binary_type(web_sys::BinaryType::Arraybuffer);
    let queue_limit = MIN_QUEUE_LIMIT.max(options.max_frame_size.saturating_mul(16));
    let mut socket = Socket::new(ws, options, queue_limit);

    let opened = poll_fn(|cx| {
        let mut events = socket.events.borrow_mut();
        if events.opened {
            Poll::Ready(Ok(()))
        } else if events.closed {
            Poll::Ready(Err(Error::handshake(None, HandshakeFailure::BrowserRefused)))
        } else {
            events.wait(cx.waker());
            Poll::Pending
        }
    });
    // On a timeout the socket is dropped here, which closes it.
    within(options.timeout, opened).await?;
    let protocol = socket.ws.protocol();
    socket.facts.protocol = (!protocol.is_empty()).then_some(protocol);
    let extensions = socket.ws.extensions();
    socket.facts.extensions = (!extensions.is_empty()).then_some(extensions);
    Ok(WebSocket::new(socket, options.heartbeat))
}

/// The URL to open, as the native backend makes it: `http`/`https` become `ws`/`wss`, the
/// fragment goes, the query parameters are appended (form-encoded). Every URL of these
/// schemes has a host, by the URL standard, so there is no host to check.
fn target_url(url: &str, options: &ConnectOptions) -> Result<String> {
    let parsed =
        web_sys::Url::new(url).map_err(|_| Error::InvalidUrl(format!("not a URL: \"{url}\"").into()))?;
    let scheme = match parsed.protocol().as_str() {
        "ws:" | "http:" => "ws:",
        "wss:" | "https:" => "wss:",
        other => {
            let other = other.trim_end_matches(':');
            return Err(Error::InvalidUrl(format!("scheme \"{other}\" is not ws or wss").into()));
        }
    };
    parsed.set_protocol(scheme);
    parsed.set_hash("");
    let query = parsed.search_params();
    for (name, value) in &options.params {
        query.append(name, value);
    }
    Ok(parsed.href())
}

/// Refuses, by name, every option set that a browser cannot honour.
fn refuse_unsupported(options: &ConnectOptions) -> Result<()> {
    let refused = browser_refusals(options);
    if refused.is_empty() {
        Ok(())
    } else {
        Err(Error::Unsupported(format!("options a browser cannot honour: {}", refused.join(", ")).into()))
    }
}

/// The options set that a browser cannot honour, by name (empty if none); each is checked
/// by name in the browser tests (wasm-tests/browser.rs).
fn browser_refusals(options: &ConnectOptions) -> Vec<&'static str> {
    [
        (!options.headers.is_empty(), "headers"),
        (!options.cookies.is_empty(), "cookies (the browser sends its own)"),
        (options.auth.is_some(), "auth"),
        (options.max_redirects > 0, "max_redirects (the browser decides)"),
        (!options.auto_pong, "auto_pong(false) (the browser always answers pings)"),
        (options.tls_config, "tls_config (the browser's own TLS settings apply)"),
        (options.deflate != DeflateOptions::client(), "deflate (the browser negotiates compression itself)"),
        (
            options.proxy != ProxyChoice::FromEnv,
            "proxy / no_proxy (the browser applies its own proxy settings)",
        ),
    ]
    .into_iter()
    .filter_map(|(set, name)| set.then_some(name))
    .collect()
}
