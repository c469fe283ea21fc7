//! Why an opening handshake failed, one variant per rule or event, on every target
//! (`Error::Handshake` carries one beside the HTTP status involved). The peer's faults and
//! ours are told apart: a bad option of the caller is `Error::InvalidOptions`, never here.

/// What went wrong in the opening handshake (RFC 6455 §4).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeFailure {
    /// The server answered with another status than 101 Switching Protocols (its reason
    /// phrase kept); the status is `Error::Handshake`'s.
    // `{reason}`, not `{reason:?}`: Debug's string escaping would cost the npm package's wasm
    // about 5 KB, though the browser never builds this variant.
    #[error("the server did not switch protocols ({reason})")]
    NotSwitching {
        /// The reason phrase of the answer.
        reason: String,
    },
    /// The response head grew past its limit before it ended.
    #[error("response head too large")]
    ResponseTooLarge,
    /// The response is not HTTP/1.1 (httparse's words; `wss://` to a plain server, or `ws://`
    /// to a TLS one, ends here).
    #[error("malformed HTTP response: {0}")]
    MalformedResponse(String),
    /// The 101 lacks `Upgrade: websocket` (RFC 6455 §4.1, rule 2).
    #[error("missing or wrong Upgrade header")]
    MissingUpgrade,
    /// The 101's `Connection` header lacks the `upgrade` token (RFC 6455 §4.1, rule 3).
    #[error("Connection header lacks the upgrade token")]
    MissingConnectionUpgrade,
    /// The 101's `Sec-WebSocket-Accept` is missing or not the key's (RFC 6455 §4.1, rule 4).
    #[error("wrong or missing Sec-WebSocket-Accept")]
    WrongAccept,
    /// The server's extension answer does not fit what was offered (RFC 6455 §4.1 rule 5,
    /// RFC 7692 §5); which rule, in words.
    #[error("unacceptable extension answer: {0}")]
    Extensions(&'static str),
    /// The server chose more than one subprotocol (RFC 6455 §4.1, rule 6).
    #[error("server chose more than one subprotocol")]
    SeveralProtocols,
    /// The server chose a subprotocol the client did not offer (RFC 6455 §4.1, rule 6).
    #[error("server chose a subprotocol that was not offered")]
    ProtocolNotOffered,
    /// More redirects than `max_redirects` allows.
    #[error("more than {max} redirects")]
    TooManyRedirects {
        /// The limit.
        max: usize,
    },
    /// A redirect without a usable `Location`: absent, not a URL, or not `ws`/`wss`/`http`/
    /// `https`.
    #[error("redirect without a usable Location: {0}")]
    BadRedirect(String),
    /// A redirect from `wss` down to `ws`, refused.
    #[error("refusing a redirect from wss to ws")]
    InsecureRedirect,
    /// The peer closed the connection before the handshake ended.
    #[error("the peer closed the connection during the handshake")]
    ClosedEarly,
    /// The request was refused: by the server's own checks (the RFC's 400, 405, 426, 431, the
    /// reason being what was wrong) or by the application's request check.
    #[error("request refused: {0}")]
    Refused(&'static str),
    /// In the browser, which does not say why: refused, unreachable, TLS or handshake failure.
    #[error(
        "the browser could not open the connection (refused, unreachable, TLS or handshake failure: the browser does not say which)"
    )]
    BrowserRefused,
}
