//! Request checks: what server code sees of an upgrade request before the 101 ([`Request`]),
//! how it refuses one with a status, headers and body of its choosing ([`Refusal`]), and an
//! Origin allow-list against cross-site WebSocket hijacking (RFC 6455 §10.2). The same types
//! serve `ServerOptions`, the hyper function and the axum extractor.

use std::net::SocketAddr;

use url::Url;

use crate::proto::handshake::{Headers, Rejection, UpgradeRequest, encode_response};
use crate::{Error, HandshakeFailure};

/// The head of an upgrade request that passed the protocol's checks, with the peer's
/// address: what a request check decides on.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    upgrade: &'a UpgradeRequest,
    peer_addr: Option<SocketAddr>,
}

impl<'a> Request<'a> {
    pub(crate) fn new(upgrade: &'a UpgradeRequest, peer_addr: Option<SocketAddr>) -> Self {
        Self { upgrade, peer_addr }
    }

    /// The method (`GET`: other methods were refused with 405 before).
    pub fn method(&self) -> &'a str {
        &self.upgrade.method
    }

    /// The request target: path and query.
    pub fn target(&self) -> &'a str {
        &self.upgrade.target
    }

    /// Every header, in order.
    pub fn headers(&self) -> &'a Headers {
        &self.upgrade.headers
    }

    /// The first value of the header `name` (case-insensitive) as text.
    pub fn header(&self, name: &'a str) -> Option<&'a str> {
        self.upgrade.headers.get_str(name)
    }

    /// The subprotocols the client offered (RFC 9110 tokens only), in its order.
    pub fn protocols(&self) -> &'a [String] {
        &self.upgrade.protocols
    }

    /// The client's address, when the transport has one.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer_addr
    }
}

/// A refusal of an upgrade request: the response sent instead of the 101, after which the
/// connection is closed.
///
/// ```
/// use uniws::Refusal;
/// let refusal = Refusal::unauthorized("Bearer realm=\"chat\"");
/// assert_eq!(refusal.status(), 401);
/// let refusal = Refusal::new(429).header("Retry-After", "5").body("slow down");
/// assert_eq!(refusal.body_bytes(), b"slow down");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Refusal {
    /// A refusal with `status` (a 4xx or 5xx), no headers and an empty body.
    pub fn new(status: u16) -> Self {
        Self { status, headers: Vec::new(), body: Vec::new() }
    }

    /// 401 with the `WWW-Authenticate` challenge RFC 9110 §15.5.2 requires.
    pub fn unauthorized(challenge: &str) -> Self {
        Self::new(401).header("WWW-Authenticate", challenge)
    }

    /// 403 with `reason` as the body.
    pub fn forbidden(reason: &str) -> Self {
        Self::new(403).body(reason)
    }

    /// 503 with `reason` as the body.
    pub fn unavailable(reason: &str) -> Self {
        Self::new(503).body(reason)
    }

    /// Adds a header (a `Content-Type` replaces the default `text/plain`).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// The status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The headers added.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The body.
    pub fn body_bytes(&self) -> &[u8] {
        &self.body
    }

    /// The HTTP response, ready to write.
    pub fn encode(&self) -> Vec<u8> {
        encode_response(self.status, self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())), &self.body)
    }

    /// The error the server's `accept` returns for this refusal.
    pub fn into_error(self) -> Error {
        Error::handshake(Some(self.status), HandshakeFailure::Refused("by the request check"))
    }
}

impl From<Rejection> for Refusal {
    fn from(rejection: Rejection) -> Self {
        let refusal =
            rejection.headers().iter().fold(Self::new(rejection.status), |r, (n, v)| r.header(*n, *v));
        refusal.body(rejection.reason)
    }
}

/// An Origin allow-list: a request whose `Origin` is not one of the listed origins (scheme,
/// host and port, compared case-insensitively, default ports filled in) is refused with 403.
/// `null`, anything that is not a bare origin and look-alikes (another scheme, port or host,
/// `https://app.example.evil.com`) are refused. Browsers always send `Origin` on a
/// WebSocket upgrade, so a request without one comes from a non-browser client; whether it
/// is allowed is an option ([`allow_missing`](Self::allow_missing), default false).
///
/// ```
/// use uniws::OriginAllowList;
/// let origins = OriginAllowList::new(["https://app.example"]).unwrap().allow_missing(true);
/// assert!(origins.check_origin(Some("HTTPS://App.Example:443")).is_ok());
/// assert_eq!(origins.check_origin(Some("https://app.example.evil.com")).unwrap_err().status(), 403);
/// assert_eq!(origins.check_origin(Some("null")).unwrap_err().status(), 403);
/// assert!(origins.check_origin(None).is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct OriginAllowList {
    allowed: Vec<url::Origin>,
    allow_missing: bool,
}

impl OriginAllowList {
    /// The list of allowed origins (`scheme://host[:port]`); an entry that is not an origin
    /// of that form is `Error::InvalidUrl`.
    pub fn new<I: IntoIterator<Item = S>, S: AsRef<str>>(origins: I) -> crate::Result<Self> {
        let allowed = origins
            .into_iter()
            .map(|o| {
                parse_origin(o.as_ref())
                    .ok_or_else(|| Error::InvalidUrl(format!("not an origin: {}", o.as_ref()).into()))
            })
            .collect::<crate::Result<_>>()?;
        Ok(Self { allowed, allow_missing: false })
    }

    /// Whether a request without `Origin` (a non-browser client) is allowed (default false).
    pub fn allow_missing(mut self, allow: bool) -> Self {
        self.allow_missing = allow;
        self
    }

    /// Checks an `Origin` header value (`None` when the request has none).
    pub fn check_origin(&self, origin: Option<&str>) -> Result<(), Refusal> {
        match origin {
            None if self.allow_missing => Ok(()),
            None => Err(Refusal::forbidden("an Origin header is required")),
            Some(origin) => match parse_origin(origin) {
                Some(origin) if self.allowed.contains(&origin) => Ok(()),
                _ => Err(Refusal::forbidden("this Origin is not allowed")),
            },
        }
    }

    /// Checks a request's `Origin`; a request with several is refused.
    pub fn check(&self, request: &Request<'_>) -> Result<(), Refusal> {
        let mut origins = request.headers().get_all("origin");
        match (origins.next(), origins.next()) {
            (origin, None) => match origin.map(std::str::from_utf8) {
                None => self.check_origin(None),
                Some(Ok(origin)) => self.check_origin(Some(origin)),
                Some(Err(_)) => Err(Refusal::forbidden("this Origin is not allowed")),
            },
            _ => Err(Refusal::forbidden("more than one Origin header")),
        }
    }
}

/// A serialized origin (RFC 6454 §6.2) as a tuple origin, or `None` when `value` is `null`,
/// has a path, query, fragment or credentials, or is not a URL with a host.
fn parse_origin(value: &str) -> Option<url::Origin> {
    let url = Url::parse(value.trim()).ok()?;
    let bare = url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && !value.trim().ends_with('/')
        && url.query().is_none()
        && url.fragment().is_none();
    let origin = url.origin();
    (bare && origin.is_tuple()).then_some(origin)
}
