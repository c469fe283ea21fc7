//! The rules of RFC 6455 (and RFC 7692 for permessage-deflate) a peer can break, one variant
//! each, with the close code that fails the connection for it. `Error::Protocol` carries one,
//! so a test or a user can tell which rule fired without reading a sentence.

use super::CloseCode;

/// A rule of the protocol the peer broke. The connection was failed with
/// [`close_code`](Self::close_code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Violation {
    /// A client sent an unmasked frame (RFC 6455 §5.1).
    #[error("unmasked frame from a client")]
    UnmaskedClientFrame,
    /// A server sent a masked frame (RFC 6455 §5.1).
    #[error("masked frame from a server")]
    MaskedServerFrame,
    /// RSV1, RSV2 or RSV3 set with no extension negotiated that defines it (RFC 6455 §5.2).
    #[error("reserved bits set without a negotiated extension")]
    ReservedBits,
    /// A reserved opcode (3–7, 11–15; RFC 6455 §5.2).
    #[error("reserved opcode")]
    ReservedOpcode,
    /// A payload length not written in its shortest form (RFC 6455 §5.2).
    #[error("payload length not in minimal form")]
    NonMinimalLength,
    /// A 64-bit payload length with its most significant bit set (RFC 6455 §5.2).
    #[error("payload length has its high bit set")]
    LengthHighBit,
    /// A control frame without FIN (RFC 6455 §5.5).
    #[error("fragmented control frame")]
    FragmentedControl,
    /// A control frame's payload over 125 bytes (RFC 6455 §5.5).
    #[error("control frame payload over 125 bytes")]
    ControlTooLong,
    /// A continuation frame with no fragmented message in progress (RFC 6455 §5.4).
    #[error("continuation frame with no message in progress")]
    UnexpectedContinuation,
    /// A new text or binary frame while a fragmented message is unfinished (RFC 6455 §5.4).
    #[error("new message before the fragmented one finished")]
    InterleavedMessage,
    /// A close payload of one byte: a code takes two (RFC 6455 §5.5.1).
    #[error("close payload of one byte")]
    OneByteClosePayload,
    /// A close code that may not be sent (RFC 6455 §7.4: 1005, 1006, 1015, unassigned).
    #[error("close code that may not be sent")]
    ForbiddenCloseCode,
    /// RSV1 ("compressed") on a continuation frame (RFC 7692 §6.1).
    #[error("RSV1 set on a continuation frame")]
    CompressedContinuation,
    /// RSV1 on a control frame (RFC 7692 §6.1).
    #[error("RSV1 set on a control frame")]
    CompressedControl,
    /// A compressed message that is not valid DEFLATE data (RFC 7692 §7.2.2).
    #[error("invalid deflate data")]
    InvalidDeflate,
    /// Bytes after the final DEFLATE block of a message (RFC 7692 §7.2.2).
    #[error("data after the final deflate block")]
    DataAfterFinalBlock,
}

impl Violation {
    /// The close code this violation fails the connection with: 1007 for data that does not
    /// inflate (its payload is inconsistent with its type), 1002 for every framing rule.
    pub fn close_code(self) -> CloseCode {
        match self {
            Self::InvalidDeflate | Self::DataAfterFinalBlock => CloseCode::INVALID_PAYLOAD,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}
