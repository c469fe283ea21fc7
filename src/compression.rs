//! The permessage-deflate settings (RFC 7692) one side of a connection offers or accepts,
//! shared by [`ConnectOptions`](crate::ConnectOptions) and, natively, `ServerOptions`.
//! The browser negotiates compression itself: there only the defaults are accepted.

/// What one side of a connection asks for and allows with permessage-deflate.
///
/// The names are RFC 7692's: "server" parameters govern what the server compresses, "client"
/// ones what the client compresses. A client offers them; a server applies them to the first
/// acceptable offer. Window bits are 8 to 15 (zlib cannot compress with 8, so a side asked
/// for 8 compresses with 9, whose back-references never reach past 256 bytes either).
///
/// Defaults differ by role, each chosen for what that side usually is:
/// - [`DeflateOptions::client`] offers what a browser offers
///   (`permessage-deflate; client_max_window_bits`) and keeps its contexts between messages
///   (best ratio; about 300 KiB of compressor and 40 KiB of decompressor per connection).
/// - [`DeflateOptions::server`] accepts any valid offer and asks for no context takeover
///   both ways, so nothing is held between messages: a compressor or decompressor is taken
///   from a small per-thread pool for one message and given back. An idle connection holds
///   no compression state.
///
/// ```
/// use uniws::DeflateOptions;
/// let options = DeflateOptions::client().level(6).client_max_window_bits(12).threshold(64);
/// assert!(options.is_enabled());
/// assert!(!DeflateOptions::disabled().is_enabled());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeflateOptions {
    pub(crate) enabled: bool,
    pub(crate) level: u32,
    pub(crate) server_max_window_bits: Option<u8>,
    pub(crate) client_max_window_bits: Option<u8>,
    pub(crate) server_no_context_takeover: bool,
    pub(crate) client_no_context_takeover: bool,
    pub(crate) threshold: usize,
}

/// zlib's default level: a good ratio at a moderate cost.
const DEFAULT_LEVEL: u32 = 6;

/// Messages shorter than this go out uncompressed by default: below it, deflate's block
/// overhead eats most of the gain.
pub const DEFAULT_COMPRESSION_THRESHOLD: usize = 32;

impl DeflateOptions {
    /// A client's defaults: offer permessage-deflate as a browser does, keep contexts.
    pub fn client() -> Self {
        Self {
            enabled: true,
            level: DEFAULT_LEVEL,
            server_max_window_bits: None,
            client_max_window_bits: None,
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            threshold: DEFAULT_COMPRESSION_THRESHOLD,
        }
    }

    /// A server's defaults: accept any valid offer, with no context takeover either way.
    pub fn server() -> Self {
        Self { server_no_context_takeover: true, client_no_context_takeover: true, ..Self::client() }
    }

    /// No compression: a client offers none, a server declines every offer.
    pub fn disabled() -> Self {
        Self { enabled: false, ..Self::client() }
    }

    /// Whether permessage-deflate is offered (client) or accepted (server).
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// The compression level, 0 (stored) to 9 (best); default 6. Larger values are 9.
    pub fn level(mut self, level: u32) -> Self {
        self.level = level.min(9);
        self
    }

    /// The largest window the server may compress with: offered by a client, applied by a
    /// server (which also honours a smaller one offered). 8 to 15; others are clamped.
    pub fn server_max_window_bits(mut self, bits: u8) -> Self {
        self.server_max_window_bits = Some(bits.clamp(8, 15));
        self
    }

    /// The largest window the client may compress with: a client offers it with this value
    /// (without a value otherwise, as browsers do) and compresses within it; a server asks a
    /// client that offered the parameter for it. 8 to 15; others are clamped.
    pub fn client_max_window_bits(mut self, bits: u8) -> Self {
        self.client_max_window_bits = Some(bits.clamp(8, 15));
        self
    }

    /// Whether the server starts every message with an empty compression context (a client
    /// asks for it; a server applies it, and always does when asked).
    pub fn server_no_context_takeover(mut self, on: bool) -> Self {
        self.server_no_context_takeover = on;
        self
    }

    /// Whether the client starts every message with an empty compression context (a client
    /// offers and applies it; a server asks for it, and it is then bound by it).
    pub fn client_no_context_takeover(mut self, on: bool) -> Self {
        self.client_no_context_takeover = on;
        self
    }

    /// Messages shorter than `bytes` are sent uncompressed (default 32). The first part of a
    /// message sent in parts decides for the whole message.
    pub fn threshold(mut self, bytes: usize) -> Self {
        self.threshold = bytes;
        self
    }
}
