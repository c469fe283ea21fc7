//! Negotiating permessage-deflate (RFC 7692 §5–§7): the client's offer and its check of the
//! server's answer, the server's choice among the client's offers. An offer with an unknown,
//! repeated or out-of-range parameter is declined; an answer like that fails the handshake.

use super::extensions::{Extension, parse_extensions};
use crate::DeflateOptions;
use crate::proto::Role;

const NAME: &str = "permessage-deflate";
const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

/// What both sides agreed on. Window bits are as negotiated, 8 to 15.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeflateParams {
    /// The server starts every message with an empty context.
    pub server_no_context_takeover: bool,
    /// The client starts every message with an empty context.
    pub client_no_context_takeover: bool,
    /// The largest window the server compresses with.
    pub server_max_window_bits: u8,
    /// The largest window the client compresses with.
    pub client_max_window_bits: u8,
}

impl DeflateParams {
    /// For the side `role`: whether it resets its compressor after every message, and its
    /// window bits.
    pub fn sending(&self, role: Role) -> (bool, u8) {
        match role {
            Role::Client => (self.client_no_context_takeover, self.client_max_window_bits),
            Role::Server => (self.server_no_context_takeover, self.server_max_window_bits),
        }
    }

    /// For the side `role`: whether the peer resets its context after every message, and the
    /// peer's window bits.
    pub fn receiving(&self, role: Role) -> (bool, u8) {
        match role {
            Role::Client => self.sending(Role::Server),
            Role::Server => self.sending(Role::Client),
        }
    }
}

/// The parameters of one offer or answer, each at most once.
#[derive(Debug, Default)]
struct Requested {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    /// `Some(None)`: the parameter without a value (an offer's "I can be limited").
    client_max_window_bits: Option<Option<u8>>,
}

impl Requested {
    /// `None` for an unknown, repeated or malformed parameter.
    fn parse(extension: &Extension) -> Option<Self> {
        let mut requested = Self::default();
        let mut seen = Vec::with_capacity(4);
        for (name, value) in &extension.params {
            if seen.contains(&name.as_str()) {
                return None;
            }
            seen.push(name.as_str());
            match (name.as_str(), value) {
                (SERVER_NO_CONTEXT_TAKEOVER, None) => requested.server_no_context_takeover = true,
                (CLIENT_NO_CONTEXT_TAKEOVER, None) => requested.client_no_context_takeover = true,
                (SERVER_MAX_WINDOW_BITS, Some(value)) => {
                    requested.server_max_window_bits = Some(window_bits(value)?);
                }
                (CLIENT_MAX_WINDOW_BITS, None) => requested.client_max_window_bits = Some(None),
                (CLIENT_MAX_WINDOW_BITS, Some(value)) => {
                    requested.client_max_window_bits = Some(Some(window_bits(value)?));
                }
                _ => return None,
            }
        }
        Some(requested)
    }
}

/// A window-bits value: 8 to 15, written without leading zeros (RFC 7692 §7.1.2.1).
fn window_bits(value: &str) -> Option<u8> {
    match value.as_bytes() {
        [d @ b'8'..=b'9'] => Some(d - b'0'),
        [b'1', d @ b'0'..=b'5'] => Some(10 + d - b'0'),
        _ => None,
    }
}

fn is_deflate(extension: &Extension) -> bool {
    extension.name.eq_ignore_ascii_case(NAME)
}

/// The extension value for `params`, as a server answers it (the parameters that matter to
/// the client) and as `extensions()` reports it.
fn describe(params: &DeflateParams, server_bits: bool, client_bits: bool) -> String {
    let mut value = String::from(NAME);
    if params.server_no_context_takeover {
        value.push_str("; server_no_context_takeover");
    }
    if params.client_no_context_takeover {
        value.push_str("; client_no_context_takeover");
    }
    if server_bits {
        value.push_str(&format!("; server_max_window_bits={}", params.server_max_window_bits));
    }
    if client_bits {
        value.push_str(&format!("; client_max_window_bits={}", params.client_max_window_bits));
    }
    value
}

/// The server's side: the first acceptable permessage-deflate offer among the header's
/// values, answered under `options`. `None` (the connection goes on uncompressed) when
/// compression is off, nothing is offered, the header is malformed or no offer is valid.
///
/// ```
/// use uniws::DeflateOptions;
/// use uniws::proto::deflate::accept_offer;
/// // An invalid offer first (window bits out of range), then Chrome's.
/// let offer = &b"permessage-deflate; server_max_window_bits=16, permessage-deflate; client_max_window_bits"[..];
/// let (params, answer) = accept_offer([offer], &DeflateOptions::server()).unwrap();
/// assert_eq!(answer, "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
/// assert_eq!(params.client_max_window_bits, 15);
/// ```
pub fn accept_offer<'a>(
    values: impl IntoIterator<Item = &'a [u8]>,
    options: &DeflateOptions,
) -> Option<(DeflateParams, String)> {
    if !options.enabled {
        return None;
    }
    let offers = parse_extensions(values)?;
    let requested = offers.iter().filter(|e| is_deflate(e)).find_map(Requested::parse)?;
    let server_max_window_bits =
        requested.server_max_window_bits.unwrap_or(15).min(options.server_max_window_bits.unwrap_or(15));
    // Only a client that offered the parameter may be limited; without a value it takes ours.
    let client_max_window_bits = match requested.client_max_window_bits {
        None => 15,
        Some(offered) => offered.unwrap_or(15).min(options.client_max_window_bits.unwrap_or(15)),
    };
    let params = DeflateParams {
        server_no_context_takeover: requested.server_no_context_takeover
            || options.server_no_context_takeover,
        client_no_context_takeover: requested.client_no_context_takeover
            || options.client_no_context_takeover,
        server_max_window_bits,
        client_max_window_bits,
    };
    let server_bits = requested.server_max_window_bits.is_some() || server_max_window_bits < 15;
    let client_bits = requested.client_max_window_bits.is_some() && client_max_window_bits < 15;
    Some((params, describe(&params, server_bits, client_bits)))
}

/// The client's offer under `options`, or `None` when compression is off. Without settings
/// it is what browsers offer: `permessage-deflate; client_max_window_bits`.
pub fn client_offer(options: &DeflateOptions) -> Option<String> {
    if !options.enabled {
        return None;
    }
    let mut offer = String::from(NAME);
    if options.server_no_context_takeover {
        offer.push_str("; server_no_context_takeover");
    }
    if options.client_no_context_takeover {
        offer.push_str("; client_no_context_takeover");
    }
    if let Some(bits) = options.server_max_window_bits {
        offer.push_str(&format!("; server_max_window_bits={bits}"));
    }
    match options.client_max_window_bits {
        Some(bits) => offer.push_str(&format!("; client_max_window_bits={bits}")),
        None => offer.push_str("; client_max_window_bits"),
    }
    Some(offer)
}

/// The client's check of the server's `Sec-WebSocket-Extensions` answer to
/// [`client_offer`]`(options)`: `Ok(None)` when the server chose no extension, the agreed
/// parameters when it accepted the offer, and why not when the answer is one the client
/// did not offer or cannot honour (the handshake then fails).
pub fn validate_answer<'a>(
    values: impl IntoIterator<Item = &'a [u8]>,
    options: &DeflateOptions,
) -> Result<Option<DeflateParams>, &'static str> {
    let mut values = values.into_iter().peekable();
    if values.peek().is_none() {
        return Ok(None);
    }
    if !options.enabled {
        return Err("server chose an extension that was not offered");
    }
    let answer = parse_extensions(values).ok_or("malformed Sec-WebSocket-Extensions")?;
    let [extension] = answer.as_slice() else {
        return Err("server answered other than one extension");
    };
    if !is_deflate(extension) {
        return Err("server chose an extension that was not offered");
    }
    let answered =
        Requested::parse(extension).ok_or("server answered permessage-deflate with an invalid parameter")?;
    if options.server_no_context_takeover && !answered.server_no_context_takeover {
        return Err("server did not accept server_no_context_takeover");
    }
    let server_max_window_bits = match (options.server_max_window_bits, answered.server_max_window_bits) {
        (Some(_), None) => return Err("server did not accept server_max_window_bits"),
        (Some(offered), Some(bits)) if bits > offered => {
            return Err("server answered a larger server_max_window_bits than offered");
        }
        (_, bits) => bits.unwrap_or(15),
    };
    let client_max_window_bits = match answered.client_max_window_bits {
        None => options.client_max_window_bits.unwrap_or(15),
        Some(None) => return Err("server answered client_max_window_bits without a value"),
        Some(Some(bits)) if options.client_max_window_bits.is_some_and(|offered| bits > offered) => {
            return Err("server answered a larger client_max_window_bits than offered");
        }
        Some(Some(bits)) => bits,
    };
    Ok(Some(DeflateParams {
        server_no_context_takeover: answered.server_no_context_takeover,
        client_no_context_takeover: answered.client_no_context_takeover || options.client_no_context_takeover,
        server_max_window_bits,
        client_max_window_bits,
    }))
}
