//! The client's connection options, the reference's `websocket-connect` keywords as a builder.

use std::time::Duration;

use crate::{DeflateOptions, Error, Result};

/// The default `max_frame_size`: 1 MiB, as in the reference.
pub const DEFAULT_MAX_FRAME_SIZE: usize = 1 << 20;

/// The default `max_message_size`: the limit of the whole messages a
/// [`Messages`](crate::Messages) stream receives.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 64 << 20;

/// How long `close` waits for the peer's close frame, and a failing connection for its
/// close frame to go out.
pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// A heartbeat: natively, a ping goes out when nothing has arrived for `interval`, and the
/// connection fails with [`Error::HeartbeatTimeout`] (close code 1011) when nothing arrives
/// within `timeout` after it. It runs while the receiving half waits in `recv` (as in any
/// read loop), and it bounds the sending side too: a `send` (of either half) that waits
/// `interval + timeout` without the transport taking a byte (a peer that stopped reading, or
/// vanished while there was data for it) fails with the same error, and so does the
/// receiving half's next wait. A browser cannot send pings, so there it is an idle timeout:
/// a `recv` that hears nothing for `interval + timeout` fails the same way (close code 4011).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Heartbeat {
    /// How long a silence lasts before a ping.
    pub interval: Duration,
    /// How long after the ping something must arrive.
    pub timeout: Duration,
}

/// Which proxy a native client goes through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ProxyChoice {
    /// The environment's, as curl reads it (the default).
    FromEnv,
    /// None, whatever the environment says.
    Off,
    /// This one.
    Url(String),
}

/// Credentials sent in the `Authorization` header of the upgrade request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// HTTP Basic authentication.
    Basic {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
    /// A bearer token.
    Bearer(String),
}

/// Options for [`connect`](crate::connect): the reference's `protocol`, `redirect`,
/// `headers`, `cookies`, `params`, `auth`, `ssl-context`, `timeout` and `max-frame-size`.
///
/// ```
/// use std::time::Duration;
/// use uniws::ConnectOptions;
/// let options = ConnectOptions::new()
///     .protocol("chat.v2, chat.v1")
///     .param("room", "lobby")
///     .header("X-Client", "demo")
///     .bearer_auth("token")
///     .max_redirects(3)
///     .timeout(Duration::from_secs(5))
///     .max_frame_size(64 * 1024);
/// assert_eq!(options.protocols_offered(), ["chat.v2", "chat.v1"]);
/// ```
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    pub(crate) protocols: Vec<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) cookies: Vec<(String, String)>,
    pub(crate) params: Vec<(String, String)>,
    pub(crate) auth: Option<Auth>,
    pub(crate) max_redirects: usize,
    pub(crate) timeout: Option<Duration>,
    pub(crate) max_frame_size: usize,
    pub(crate) max_message_size: usize,
    pub(crate) auto_pong: bool,
    pub(crate) heartbeat: Option<Heartbeat>,
    pub(crate) close_timeout: Duration,
    pub(crate) proxy: ProxyChoice,
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) tls_config: Option<std::sync::Arc<rustls::ClientConfig>>,
    /// Whether `tls_config` was set: the browser refuses it, so there is nothing to keep.
    #[cfg(target_arch = "wasm32")]
    pub(crate) tls_config: bool,
    pub(crate) deflate: DeflateOptions,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            protocols: Vec::new(),
            headers: Vec::new(),
            cookies: Vec::new(),
            params: Vec::new(),
            auth: None,
            max_redirects: 0,
            timeout: None,
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            auto_pong: true,
            heartbeat: None,
            close_timeout: DEFAULT_CLOSE_TIMEOUT,
            proxy: ProxyChoice::FromEnv,
            tls_config: Default::default(),
            deflate: DeflateOptions::client(),
        }
    }
}

impl ConnectOptions {
    /// The defaults: no subprotocol, no redirects, no timeout, 1 MiB frames, automatic pongs,
    /// permessage-deflate offered as browsers offer it.
    pub fn new() -> Self {
        Self::default()
    }

    /// Subprotocols to offer, as the reference's comma-separated list; adds to earlier ones.
    pub fn protocol(mut self, list: &str) -> Self {
        self.protocols.extend(list.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned));
        self
    }

    /// Subprotocols to offer, in order of preference; adds to earlier ones.
    pub fn protocols<I: IntoIterator<Item = S>, S: Into<String>>(mut self, protocols: I) -> Self {
        self.protocols.extend(protocols.into_iter().map(Into::into));
        self
    }

    /// The subprotocols offered so far.
    pub fn protocols_offered(&self) -> &[String] {
        &self.protocols
    }

    /// An extra header for the upgrade request.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// A cookie, sent in the `Cookie` header.
    pub fn cookie(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.cookies.push((name.into(), value.into()));
        self
    }

    /// A query parameter appended to the URL (percent-encoded).
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    /// HTTP Basic credentials.
    pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.auth = Some(Auth::Basic { user: user.into(), password: password.into() });
        self
    }

    /// A bearer token.
    pub fn bearer_auth(mut self, token: impl Into<String>) -> Self {
        self.auth = Some(Auth::Bearer(token.into()));
        self
    }

    /// Follow up to `hops` redirects (301, 302, 303, 307, 308); 0, the default, follows none.
    /// A redirect from `wss` to `ws` is always refused.
    pub fn max_redirects(mut self, hops: usize) -> Self {
        self.max_redirects = hops;
        self
    }

    /// One deadline for the whole connection: name lookup, TCP, TLS, the handshake and every
    /// redirect.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The largest frame `recv` hands out and `send` allows; `send_all` cuts messages into
    /// frames of this size (default 1 MiB). A frame larger than this fails `recv` with
    /// `FrameTooLarge` (1009), but `recv_all` takes it: its limit is the message's, since the
    /// size of the peer's frames is the peer's choice. So two ends with different limits
    /// exchange whole messages whatever their frame sizes (as a browser, which takes any);
    /// frame by frame, the receiver's limit must be at least the sender's.
    pub fn max_frame_size(mut self, size: usize) -> Self {
        self.max_frame_size = size;
        self
    }

    /// The largest whole message the socket's [`Messages`](crate::Messages) stream receives
    /// (the `recv_all` limit it uses; default 64 MiB).
    pub fn max_message_size(mut self, size: usize) -> Self {
        self.max_message_size = size;
        self
    }

    /// Whether pings are answered with pongs automatically (default true; pings are still
    /// returned by `recv`).
    pub fn auto_pong(mut self, on: bool) -> Self {
        self.auto_pong = on;
        self
    }

    /// A ping after `interval` of silence, and [`Error::HeartbeatTimeout`] when nothing
    /// arrives within `timeout` after it (see [`Heartbeat`]; off by default).
    pub fn heartbeat(mut self, interval: Duration, timeout: Duration) -> Self {
        self.heartbeat = Some(Heartbeat { interval, timeout });
        self
    }

    /// How long `close` (and a split socket's receiving half after `SendHalf::close`) waits
    /// for the peer's close, and a failing connection for its close frame to go out
    /// (default 5 seconds).
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// Connects through this proxy: `http://` or `https://` (HTTP CONNECT), `socks5://` (the
    /// name resolved here) or `socks5h://` (resolved by the proxy); `user:password@` in the
    /// URL are its credentials (`Proxy-Authorization: Basic`, or SOCKS5's user/password);
    /// `host:port` alone is an HTTP proxy. Without it, the environment chooses as curl's
    /// does: `HTTPS_PROXY` for wss, `HTTP_PROXY` for ws, else `ALL_PROXY` (lower-case names
    /// first), unless `NO_PROXY` lists the host (a domain and the names under it, an IP, a
    /// CIDR block, or `*`). TLS to an `https://` proxy uses `tls_config` too. A browser
    /// applies its own proxy and refuses this.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = ProxyChoice::Url(url.into());
        self
    }

    /// Connects straight to the server, ignoring the proxy environment variables. A browser
    /// refuses it (its own proxy settings apply).
    pub fn no_proxy(mut self) -> Self {
        self.proxy = ProxyChoice::Off;
        self
    }

    /// The permessage-deflate offer (default [`DeflateOptions::client`]: what browsers offer);
    /// [`DeflateOptions::disabled`] offers none. A browser negotiates compression itself and
    /// refuses anything but the default.
    pub fn deflate(mut self, options: DeflateOptions) -> Self {
        self.deflate = options;
        self
    }

    /// The rustls client configuration for `wss` (the reference's `ssl-context`); the default
    /// trusts the Mozilla roots from `webpki-roots`. A browser refuses it: its own TLS
    /// settings apply.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn tls_config(mut self, config: std::sync::Arc<rustls::ClientConfig>) -> Self {
        self.tls_config = Some(config);
        self
    }

    /// In a browser, TLS is the browser's own: `connect` refuses this option with
    /// [`Error::Unsupported`](crate::Error::Unsupported). It takes any configuration (natively,
    /// a rustls `ClientConfig`) so that code setting it compiles for both targets, while the
    /// browser build carries no TLS library.
    #[cfg(target_arch = "wasm32")]
    pub fn tls_config<C: ?Sized>(mut self, _config: std::sync::Arc<C>) -> Self {
        self.tls_config = true;
        self
    }
}

impl ConnectOptions {
    /// Every subprotocol offered must be a non-empty token.
    pub(crate) fn check_protocols(&self) -> Result<()> {
        if self.protocols.iter().any(|p| p.is_empty() || p.contains([',', ' ', '\t', '\r', '\n'])) {
            return Err(Error::InvalidOptions("a subprotocol must be a non-empty token".into()));
        }
        Ok(())
    }
}
