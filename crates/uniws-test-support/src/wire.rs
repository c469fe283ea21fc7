//! Frames built by hand for the tests that play a hostile or raw peer: the first byte's bits,
//! a sample key and mask, frames right or deliberately wrong, a frame read off the wire, and a
//! header's value in an HTTP head. Each test uses part of it.

use tokio::io::{AsyncRead, AsyncReadExt};

/// RFC 6455 §1.3's sample key.
pub const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
/// The masking key of every frame a raw client sends.
pub const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

// The first byte of a frame: FIN, the RSV bits and the opcode, OR-ed together.
pub const FIN: u8 = 0x80;
pub const RSV1: u8 = 0x40;
pub const RSV2: u8 = 0x20;
pub const RSV3: u8 = 0x10;
pub const CONTINUATION: u8 = 0x0;
pub const TEXT: u8 = 0x1;
pub const BINARY: u8 = 0x2;
pub const CLOSE: u8 = 0x8;
pub const PING: u8 = 0x9;
pub const PONG: u8 = 0xa;

/// How a frame header states its payload length.
#[derive(Clone, Copy, Debug)]
pub enum Len {
    /// The payload's real length, in minimal form.
    Exact,
    /// This length in the 7-bit field (0–125).
    Short(u8),
    /// This length in the 16-bit form, minimal or not.
    Bits16(u16),
    /// This length in the 64-bit form, minimal or not, high bit or not.
    Bits64(u64),
}

impl Len {
    /// The 7-bit length field and the extended length bytes after it.
    fn encode(self, actual: usize) -> (u8, Vec<u8>) {
        match self {
            Self::Exact if actual <= 125 => (actual as u8, Vec::new()),
            Self::Exact if actual <= 0xffff => (126, (actual as u16).to_be_bytes().to_vec()),
            Self::Exact => (127, (actual as u64).to_be_bytes().to_vec()),
            Self::Short(n) => (n, Vec::new()),
            Self::Bits16(n) => (126, n.to_be_bytes().to_vec()),
            Self::Bits64(n) => (127, n.to_be_bytes().to_vec()),
        }
    }
}

/// Any frame: first byte `b0` (FIN | RSV | opcode), the length stated as `len` (which may lie
/// about `payload`), masked with `mask` if given. With a stated length larger than `payload`,
/// only the header and the first bytes go out.
pub fn raw_frame(b0: u8, len: Len, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
    let (len7, extended) = len.encode(payload.len());
    let mut out = vec![b0, if mask.is_some() { 0x80 } else { 0 } | len7];
    out.extend(extended);
    match mask {
        Some(key) => {
            out.extend(key);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        }
        None => out.extend(payload),
    }
    out
}

/// A well-formed client frame: masked, its length in minimal form; `b0` is FIN | RSV | opcode.
pub fn masked(b0: u8, payload: &[u8]) -> Vec<u8> {
    raw_frame(b0, Len::Exact, Some(MASK), payload)
}

/// The value of header `name` in an HTTP head.
pub fn header_value<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// Reads the next frame a uniws end sent: its first byte and its payload, unmasked. Its mask
/// bit must be `masked` (a client masks, a server does not), its length at most `max_len`
/// (checked before the payload is read).
pub async fn read_frame(
    io: &mut (impl AsyncRead + Unpin),
    masked: bool,
    max_len: u64,
) -> std::io::Result<(u8, Vec<u8>)> {
    let b0 = io.read_u8().await?;
    let b1 = io.read_u8().await?;
    assert_eq!(b1 & 0x80 != 0, masked, "the mask bit of a frame from uniws");
    let len = match b1 & 0x7f {
        126 => u64::from(io.read_u16().await?),
        127 => io.read_u64().await?,
        n => u64::from(n),
    };
    assert!(len <= max_len, "implausible frame length {len}");
    let mut key = [0; 4];
    if masked {
        io.read_exact(&mut key).await?;
    }
    let mut payload = vec![0; len as usize];
    io.read_exact(&mut payload).await?;
    payload.iter_mut().enumerate().for_each(|(i, b)| *b ^= key[i % 4]);
    Ok((b0, payload))
}
