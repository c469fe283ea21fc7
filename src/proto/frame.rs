//! Frame headers (RFC 6455 §5.2): opcodes, the FIN and RSV bits, the 7/16/64-bit payload
//! length and the masking key, decoded strictly and encoded minimally.

use super::Violation;
use crate::Error;

/// The largest header: 2 bytes, an 8-byte length and a 4-byte masking key.
pub const MAX_HEADER_LEN: usize = 14;

/// The largest payload of a control frame.
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// A frame's opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpCode {
    /// 0x0: a later frame of a fragmented message.
    Continuation,
    /// 0x1: the first frame of a text message.
    Text,
    /// 0x2: the first frame of a binary message.
    Binary,
    /// 0x8: close.
    Close,
    /// 0x9: ping.
    Ping,
    /// 0xA: pong.
    Pong,
}

impl OpCode {
    /// The opcode for a 4-bit value, or `None` for the reserved ones.
    pub fn from_bits(bits: u8) -> Option<Self> {
        Some(match bits {
            0x0 => Self::Continuation,
            0x1 => Self::Text,
            0x2 => Self::Binary,
            0x8 => Self::Close,
            0x9 => Self::Ping,
            0xa => Self::Pong,
            _ => return None,
        })
    }

    /// The 4-bit value.
    pub fn bits(self) -> u8 {
        match self {
            Self::Continuation => 0x0,
            Self::Text => 0x1,
            Self::Binary => 0x2,
            Self::Close => 0x8,
            Self::Ping => 0x9,
            Self::Pong => 0xa,
        }
    }

    /// Whether this is a control opcode (close, ping, pong).
    pub fn is_control(self) -> bool {
        self.bits() & 0x8 != 0
    }
}

/// A decoded frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// Set on the last frame of a message.
    pub fin: bool,
    /// RSV1: with permessage-deflate, set on the first frame of a compressed message.
    pub rsv1: bool,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key, present on every client-to-server frame.
    pub mask: Option<[u8; 4]>,
    /// The payload length.
    pub payload_len: u64,
}

impl FrameHeader {
    /// Decodes a header from the start of `buf`. `Ok(None)` means more bytes are needed;
    /// otherwise returns the header and its length. Rejects RSV2 and RSV3 (no extension
    /// uses them; whether RSV1 may be set is the decoder's call), reserved opcodes, fragmented or oversized control frames, lengths not in
    /// their minimal form and 64-bit lengths with the high bit set, all with close code 1002.
    pub fn decode(buf: &[u8]) -> Result<Option<(Self, usize)>, Error> {
        let [b0, b1, ..] = *buf else { return Ok(None) };
        if b0 & 0x30 != 0 {
            return Err(Error::Protocol(Violation::ReservedBits));
        }
        let opcode =
            OpCode::from_bits(b0 & 0x0f).ok_or_else(|| Error::Protocol(Violation::ReservedOpcode))?;
        let fin = b0 & 0x80 != 0;
        let rsv1 = b0 & 0x40 != 0;
        let masked = b1 & 0x80 != 0;
        let (payload_len, mut len) = match b1 & 0x7f {
            126 => {
                let Some(bytes) = buf.get(2..4) else { return Ok(None) };
                let n = u16::from_be_bytes([bytes[0], bytes[1]]) as u64;
                if n < 126 {
                    return Err(Error::Protocol(Violation::NonMinimalLength));
                }
                (n, 4)
            }
            127 => {
                let Some(bytes) = buf.get(2..10) else { return Ok(None) };
                let n = u64::from_be_bytes(bytes.try_into().expect("8 bytes"));
                if n >> 63 != 0 {
                    return Err(Error::Protocol(Violation::LengthHighBit));
                }
                if n <= u16::MAX as u64 {
                    return Err(Error::Protocol(Violation::NonMinimalLength));
                }
                (n, 10)
            }
            n => (n as u64, 2),
        };
        if opcode.is_control() {
            if !fin {
                return Err(Error::Protocol(Violation::FragmentedControl));
            }
            if payload_len > MAX_CONTROL_PAYLOAD as u64 {
                return Err(Error::Protocol(Violation::ControlTooLong));
            }
        }
        let mask = if masked {
            let Some(bytes) = buf.get(len..len + 4) else { return Ok(None) };
            len += 4;
            Some(bytes.try_into().expect("4 bytes"))
        } else {
            None
        };
        Ok(Some((Self { fin, rsv1, opcode, mask, payload_len }, len)))
    }

    /// Encodes the header into `out` in minimal form and returns its length.
    pub fn encode(&self, out: &mut [u8; MAX_HEADER_LEN]) -> usize {
        out[0] = (self.fin as u8) << 7 | (self.rsv1 as u8) << 6 | self.opcode.bits();
        let mask_bit = (self.mask.is_some() as u8) << 7;
        let mut len = match self.payload_len {
            n @ 0..=125 => {
                out[1] = mask_bit | n as u8;
                2
            }
            n @ 126..=0xffff => {
                out[1] = mask_bit | 126;
                out[2..4].copy_from_slice(&(n as u16).to_be_bytes());
                4
            }
            n => {
                out[1] = mask_bit | 127;
                out[2..10].copy_from_slice(&n.to_be_bytes());
                10
            }
        };
        if let Some(key) = self.mask {
            out[len..len + 4].copy_from_slice(&key);
            len += 4;
        }
        len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(header: FrameHeader) {
        let mut out = [0; MAX_HEADER_LEN];
        let len = header.encode(&mut out);
        // Every prefix is incomplete, the whole decodes to the same header.
        for cut in 0..len {
            assert_eq!(FrameHeader::decode(&out[..cut]).unwrap(), None, "cut {cut}");
        }
        assert_eq!(FrameHeader::decode(&out[..len]).unwrap(), Some((header, len)));
    }

    #[test]
    fn encodes_each_length_form_minimally() {
        for (payload_len, header_len) in
            [(0, 2), (125, 2), (126, 4), (65535, 4), (65536, 10), (1 << 40, 10), (i64::MAX as u64, 10)]
        {
            for mask in [None, Some([1, 2, 3, 4])] {
                let header =
                    FrameHeader { fin: true, rsv1: false, opcode: OpCode::Binary, mask, payload_len };
                let mut out = [0; MAX_HEADER_LEN];
                let expected = header_len + if mask.is_some() { 4 } else { 0 };
                assert_eq!(header.encode(&mut out), expected);
                roundtrip(header);
            }
        }
    }

    #[test]
    fn rfc_examples() {
        // RFC 6455 §5.7: unmasked "Hello", masked "Hello", 256-byte binary, 64 KiB binary.
        let (h, n) = FrameHeader::decode(&[0x81, 0x05, 0x48]).unwrap().unwrap();
        assert_eq!((h.fin, h.opcode, h.mask, h.payload_len, n), (true, OpCode::Text, None, 5, 2));
        let (h, n) = FrameHeader::decode(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d]).unwrap().unwrap();
        assert_eq!((h.mask, h.payload_len, n), (Some([0x37, 0xfa, 0x21, 0x3d]), 5, 6));
        let (h, _) = FrameHeader::decode(&[0x82, 0x7e, 0x01, 0x00]).unwrap().unwrap();
        assert_eq!(h.payload_len, 256);
        let (h, _) = FrameHeader::decode(&[0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]).unwrap().unwrap();
        assert_eq!(h.payload_len, 65536);
        let (h, _) = FrameHeader::decode(&[0x01, 0x03]).unwrap().unwrap();
        assert!(!h.fin);
    }

    fn violates(bytes: &[u8], rule: Violation) -> bool {
        matches!(FrameHeader::decode(bytes), Err(Error::Protocol(v)) if v == rule)
    }

    #[test]
    fn rejects_what_the_rfc_forbids() {
        let (h, _) = FrameHeader::decode(&[0xc1, 0x00]).unwrap().unwrap();
        assert!(h.rsv1, "RSV1 is reported, for the decoder to judge");
        assert!(violates(&[0xa1, 0x00], Violation::ReservedBits), "RSV2");
        assert!(violates(&[0x91, 0x00], Violation::ReservedBits), "RSV3");
        for op in [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf] {
            assert!(violates(&[0x80 | op, 0x00], Violation::ReservedOpcode), "opcode {op}");
        }
        assert!(violates(&[0x09, 0x00], Violation::FragmentedControl), "fragmented ping");
        assert!(violates(&[0x89, 0x7e, 0x00, 0x7e], Violation::ControlTooLong), "ping of 126 bytes");
        assert!(violates(&[0x82, 0x7e, 0x00, 0x7d], Violation::NonMinimalLength), "16-bit length under 126");
        let short64 = [0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0xff, 0xff];
        assert!(violates(&short64, Violation::NonMinimalLength), "64-bit length under 65536");
        assert!(violates(&[0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0], Violation::LengthHighBit), "high bit");
    }
}
