//! Close frame payloads (RFC 6455 §5.5.1, §7.4): a 2-byte status code and a UTF-8 reason,
//! or nothing at all.

use bytes::{BufMut, Bytes, BytesMut};

use super::{CloseCode, MAX_CLOSE_REASON, Violation};
use crate::{Error, Message};

/// Parses a received close payload into a close message. A 1-byte payload or a code that may
/// not be sent is a protocol error (1002); a reason that is not UTF-8 is `InvalidUtf8` (1007).
pub fn parse_close_payload(payload: Bytes) -> Result<Message, Error> {
    match payload.len() {
        0 => Ok(Message::close_from_utf8(None, payload)),
        1 => Err(Error::Protocol(Violation::OneByteClosePayload)),
        _ => {
            let code = CloseCode(u16::from_be_bytes([payload[0], payload[1]]));
            if !code.is_sendable() {
                return Err(Error::Protocol(Violation::ForbiddenCloseCode));
            }
            let reason = payload.slice(2..);
            std::str::from_utf8(&reason).map_err(|_| Error::InvalidUtf8)?;
            Ok(Message::close_from_utf8(Some(code), reason))
        }
    }
}

/// Checks a close message we are about to send and appends its payload to `out`.
pub fn encode_close_payload(message: &Message, out: &mut BytesMut) -> Result<(), Error> {
    match message.close_code() {
        None if message.is_empty() => Ok(()),
        None => Err(Error::InvalidMessage("a close reason needs a close code".into())),
        Some(code) if !code.is_sendable() => {
            Err(Error::InvalidMessage(format!("close code {code} may not be sent").into()))
        }
        Some(_) if message.len() > MAX_CLOSE_REASON => {
            Err(Error::InvalidMessage("close reason over 123 bytes".into()))
        }
        Some(code) => {
            out.put_u16(code.0);
            out.extend_from_slice(message.data());
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_code_and_reason() {
        let m = parse_close_payload(Bytes::from_static(b"\x03\xe8bye")).unwrap();
        assert_eq!(m.close_code(), Some(CloseCode::NORMAL));
        assert_eq!(m.as_text(), Some("bye"));
        let empty = parse_close_payload(Bytes::new()).unwrap();
        assert_eq!(empty.close_code(), None);
    }

    #[test]
    fn enforces_every_close_code_rule() {
        for code in 0..=5000u16 {
            let payload = Bytes::copy_from_slice(&code.to_be_bytes());
            let valid = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
            assert_eq!(parse_close_payload(payload).is_ok(), valid, "code {code}");
        }
        for code in [5000u16, 65535] {
            assert!(parse_close_payload(Bytes::copy_from_slice(&code.to_be_bytes())).is_err());
        }
        assert!(matches!(
            parse_close_payload(Bytes::from_static(b"\x03")),
            Err(Error::Protocol(Violation::OneByteClosePayload))
        ));
        assert!(matches!(
            parse_close_payload(Bytes::from_static(b"\x03\xe8\xff\xfe")),
            Err(Error::InvalidUtf8)
        ));
    }

    #[test]
    fn refuses_to_send_bad_close_messages() {
        let mut out = BytesMut::new();
        assert!(encode_close_payload(&Message::close(1005, ""), &mut out).is_err());
        assert!(encode_close_payload(&Message::close(1000, "x".repeat(124)), &mut out).is_err());
        assert!(out.is_empty());
        encode_close_payload(&Message::close(1000, "x".repeat(123)), &mut out).unwrap();
        assert_eq!(out.len(), 125);
    }
}
