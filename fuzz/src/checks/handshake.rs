//! The `handshake_request` and `handshake_response` targets: the server's parsing of an
//! upgrade request and the client's parsing and validation of the answer.
//!
//! Input layout for both: byte 0 % 8 picks `max_head` from `MAX_HEADS`; the rest is the head
//! (and whatever follows it).
//!
//! Request properties: no panic; `Ok(None)` only while the buffer is under `max_head`; a
//! refusal is 400, 405, 426 or 431 and encodes to a response that parses with that status;
//! an accepted request's head fits the buffer and `max_head`, parses the same from exactly
//! its head, is incomplete one byte shorter, and its `accept_response` (with no subprotocol,
//! and with the first one offered) parses as a 101 that `validate_response` accepts; the
//! permessage-deflate answer to whatever was offered is one a default client accepts, with
//! the same parameters on both sides.
//!
//! Response properties (fixed key, "chat" and "superchat" offered): no panic; `Ok(None)` only
//! while the buffer is under `max_head`; a parsed head fits the buffer and `max_head` (as
//! `parse_response` documents); errors are handshake errors; and when `validate_response`
//! accepts, an independent parse of the head finds status 101, `Upgrade: websocket`, an
//! `upgrade` token in `Connection`, the correct `Sec-WebSocket-Accept` first, at most one
//! offered subprotocol, and no extension but one well-formed permessage-deflate, which
//! `validate_response` then reports as agreed.

use uniws::proto::deflate::{accept_offer, parse_extensions};
use uniws::proto::handshake::{
    accept_key, accept_response, is_token, parse_request, parse_response, validate_response,
};
use uniws::{DeflateOptions, Error};

use super::Source;

const MAX_HEADS: [usize; 8] = [8192, 0, 1, 16, 64, 256, 1024, usize::MAX];

/// RFC 6455 §1.3's example key and its accept value.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

fn split(data: &[u8]) -> (usize, &[u8]) {
    let mut src = Source::new(data);
    let max_head = MAX_HEADS[usize::from(src.byte() % 8)];
    (max_head, src.rest())
}

/// Checks one `handshake_request` input; panics on a broken property.
pub fn check_request(data: &[u8]) {
    let (max_head, buf) = split(data);
    let request = match parse_request(buf, max_head) {
        Ok(None) => {
            assert!(buf.len() < max_head, "incomplete at {} bytes with max_head {max_head}", buf.len());
            return;
        }
        Err(rejection) => {
            assert!(matches!(rejection.status, 400 | 405 | 426 | 431), "status {}", rejection.status);
            let answer = rejection.encode();
            let response = parse_response(&answer, usize::MAX).expect("refusal parses").expect("complete");
            assert_eq!(response.status, rejection.status, "refusal status");
            assert_eq!(answer.len() - response.head_len, rejection.reason.len(), "refusal body");
            return;
        }
        Ok(Some(request)) => request,
    };
    assert!(request.head_len <= buf.len(), "head longer than the buffer");
    assert!(request.protocols.iter().all(|p| is_token(p)), "a subprotocol offer that is not a token");
    assert!(
        request.head_len <= max_head,
        "head of {} bytes accepted with max_head {max_head}",
        request.head_len
    );
    let again = parse_request(&buf[..request.head_len], max_head).expect("same head").expect("complete");
    assert_eq!(
        (again.head_len, &again.key, &again.target),
        (request.head_len, &request.key, &request.target)
    );
    assert!(
        matches!(parse_request(&buf[..request.head_len - 1], max_head), Ok(None)),
        "head incomplete one byte shorter"
    );

    // Whatever permessage-deflate offer the request made, a default client accepts the answer.
    let (client, server) = (DeflateOptions::client(), DeflateOptions::server());
    let deflate = accept_offer(request.headers.get_all("sec-websocket-extensions"), &server);
    let extensions = deflate.as_ref().map(|(_, answer)| answer.as_str());
    let answer = accept_response(&request, None, extensions);
    let response = parse_response(&answer, usize::MAX).expect("101 parses").expect("complete");
    assert_eq!((response.status, response.head_len), (101, answer.len()), "101 head");
    let (protocol, agreed) =
        validate_response(&response, &request.key, &[], &client).expect("client accepts the 101");
    assert_eq!((protocol, agreed), (None, deflate.map(|(params, _)| params)), "both sides agree");

    if let Some(protocol) = request.protocols.first() {
        let answer = accept_response(&request, Some(protocol), None);
        let response = parse_response(&answer, usize::MAX).expect("101 parses").expect("complete");
        let chosen = validate_response(&response, &request.key, &request.protocols, &client);
        assert_eq!(chosen.expect("client accepts its own subprotocol").0.as_ref(), Some(protocol));
    }
}

/// Checks one `handshake_response` input; panics on a broken property.
pub fn check_response(data: &[u8]) {
    assert_eq!(accept_key(KEY), ACCEPT);
    let (max_head, buf) = split(data);
    let offered = ["chat".to_owned(), "superchat".to_owned()];
    let response = match parse_response(buf, max_head) {
        Ok(None) => {
            assert!(buf.len() < max_head, "incomplete at {} bytes with max_head {max_head}", buf.len());
            return;
        }
        Err(error) => {
            assert!(matches!(error, Error::Handshake { status: None, .. }), "{error:?}");
            return;
        }
        Ok(Some(response)) => response,
    };
    assert!(response.head_len <= buf.len(), "head longer than the buffer");
    assert!(
        response.head_len <= max_head,
        "head of {} bytes accepted with max_head {max_head} (parse_response: \"a head longer than \
         `max_head` ... is a handshake error\")",
        response.head_len
    );
    let (protocol, deflate) = match validate_response(&response, KEY, &offered, &DeflateOptions::client()) {
        Ok(accepted) => accepted,
        Err(error) => {
            assert!(
                matches!(error, Error::Handshake { status: Some(s), .. } if s == response.status),
                "{error:?}"
            );
            return;
        }
    };

    // Accepted: read the head again with httparse directly.
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Response::new(&mut headers);
    assert_eq!(parsed.parse(buf).ok(), Some(httparse::Status::Complete(response.head_len)));
    assert_eq!(parsed.code, Some(101), "accepted a status other than 101");
    let first = |name: &str| {
        parsed.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value.trim_ascii())
    };
    assert_eq!(first("sec-websocket-accept"), Some(ACCEPT.as_bytes()), "accepted a wrong accept key");
    assert!(first("upgrade").is_some_and(|v| v.eq_ignore_ascii_case(b"websocket")), "Upgrade header");
    let connection_upgrade = parsed.headers.iter().any(|h| {
        h.name.eq_ignore_ascii_case("connection")
            && h.value.split(|&b| b == b',').any(|t| t.trim_ascii().eq_ignore_ascii_case(b"upgrade"))
    });
    assert!(connection_upgrade, "Connection header without upgrade");
    // An extension answer was accepted only as one valid permessage-deflate.
    let extensions =
        parsed.headers.iter().filter(|h| h.name.eq_ignore_ascii_case("sec-websocket-extensions"));
    match parse_extensions(extensions.map(|h| h.value)) {
        Some(list) if list.is_empty() => assert_eq!(deflate, None, "compression without an answer"),
        Some(list) => {
            assert!(deflate.is_some(), "an extension answer accepted without compression");
            assert!(list.len() == 1 && list[0].name.eq_ignore_ascii_case("permessage-deflate"), "{list:?}");
        }
        None => panic!("a malformed extension answer accepted"),
    }
    if let Some(protocol) = &protocol {
        assert!(offered.contains(protocol), "accepted subprotocol {protocol:?}, not offered");
    }
}
