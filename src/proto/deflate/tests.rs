//! Negotiation in both roles, the codec's round trips, its limits and its refusals.

use super::*;
use crate::DeflateOptions;
use crate::proto::Role;

fn offer(value: &str, options: &DeflateOptions) -> Option<(DeflateParams, String)> {
    accept_offer([value.as_bytes()], options)
}

fn answer(value: &str, options: &DeflateOptions) -> Result<Option<DeflateParams>, &'static str> {
    validate_answer([value.as_bytes()], options)
}

#[test]
fn a_server_takes_the_first_valid_offer() {
    let server = DeflateOptions::server();
    // Firefox's bare offer, Chrome's offer.
    let (params, text) = offer("permessage-deflate", &server).unwrap();
    assert_eq!(text, "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
    assert_eq!((params.server_max_window_bits, params.client_max_window_bits), (15, 15));
    let (_, text) = offer("permessage-deflate; client_max_window_bits", &server).unwrap();
    assert_eq!(text, "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
    // Declined offers are skipped, in order.
    for bad in [
        "permessage-deflate; x=1",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=010",
        "permessage-deflate; client_max_window_bits=0x0a",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
        "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
    ] {
        assert_eq!(offer(bad, &server), None, "{bad}");
        let both = format!("{bad}, permessage-deflate; server_max_window_bits=12");
        let (params, text) = offer(&both, &server).unwrap();
        assert_eq!(params.server_max_window_bits, 12, "{both}");
        assert!(text.ends_with("server_max_window_bits=12"), "{text}");
    }
    // A quoted value is a value.
    let (params, _) = offer("permessage-deflate; client_max_window_bits=\"9\"", &server).unwrap();
    assert_eq!(params.client_max_window_bits, 9);
    // Other extensions are passed over; a malformed header declines everything.
    assert!(offer("x-webkit-deflate-frame, permessage-deflate", &server).is_some());
    assert_eq!(offer("permessage-deflate; ;", &server), None);
    assert_eq!(offer("permessage-deflate; a=\"unterminated", &server), None);
    assert_eq!(offer("x-webkit-deflate-frame", &server), None);
    assert_eq!(offer("permessage-deflate", &DeflateOptions::disabled()), None);
}

#[test]
fn a_server_honours_and_applies_window_limits() {
    let server = DeflateOptions::server().server_no_context_takeover(false).client_no_context_takeover(false);
    let (params, text) = offer("permessage-deflate; server_max_window_bits=10", &server).unwrap();
    assert_eq!(text, "permessage-deflate; server_max_window_bits=10");
    assert_eq!(params.sending(Role::Server), (false, 10));
    // The client is limited only if it offered the parameter.
    let limiting = server.clone().client_max_window_bits(11);
    let (params, text) = offer("permessage-deflate", &limiting).unwrap();
    assert_eq!((params.client_max_window_bits, text.as_str()), (15, "permessage-deflate"));
    let (params, text) = offer("permessage-deflate; client_max_window_bits", &limiting).unwrap();
    assert_eq!(params.client_max_window_bits, 11);
    assert_eq!(text, "permessage-deflate; client_max_window_bits=11");
    let (params, _) = offer("permessage-deflate; client_max_window_bits=9", &limiting).unwrap();
    assert_eq!(params.receiving(Role::Server), (false, 9));
    // What the client asks for is granted.
    let (params, text) =
        offer("permessage-deflate; server_no_context_takeover; client_no_context_takeover", &server).unwrap();
    assert!(params.server_no_context_takeover && params.client_no_context_takeover, "{text}");
}

#[test]
fn a_client_offers_as_a_browser_and_checks_the_answer() {
    let client = DeflateOptions::client();
    assert_eq!(client_offer(&client).unwrap(), "permessage-deflate; client_max_window_bits");
    assert_eq!(client_offer(&DeflateOptions::disabled()), None);
    let params = answer("permessage-deflate; client_max_window_bits=8; server_max_window_bits=9", &client)
        .unwrap()
        .unwrap();
    assert_eq!(params.sending(Role::Client), (false, 8));
    assert_eq!(params.receiving(Role::Client), (false, 9));
    assert_eq!(validate_answer(std::iter::empty(), &client), Ok(None));
    for bad in [
        "x-webkit-deflate-frame",
        "permessage-deflate, permessage-deflate",
        "permessage-deflate; client_max_window_bits",
        "permessage-deflate; unknown",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate;",
    ] {
        assert!(answer(bad, &client).is_err(), "{bad}");
    }
    assert!(answer("permessage-deflate", &DeflateOptions::disabled()).is_err());
    // What was asked for must be in the answer, and no larger.
    let asking =
        client.clone().server_no_context_takeover(true).server_max_window_bits(10).client_max_window_bits(12);
    assert_eq!(
        client_offer(&asking).unwrap(),
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12"
    );
    assert!(answer("permessage-deflate; server_max_window_bits=10", &asking).is_err());
    assert!(answer("permessage-deflate; server_no_context_takeover", &asking).is_err());
    assert!(
        answer("permessage-deflate; server_no_context_takeover; server_max_window_bits=11", &asking).is_err()
    );
    assert!(answer("permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=13", &asking).is_err());
    let params = answer("permessage-deflate; server_no_context_takeover; server_max_window_bits=9", &asking)
        .unwrap()
        .unwrap();
    assert_eq!(params.sending(Role::Client), (false, 12));
}

/// Compresses `parts` as one message and inflates it frame by frame.
fn roundtrip(parts: &[&[u8]], send: &mut Deflater, recv: &mut Inflater) -> Vec<u8> {
    let mut inflated = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let fin = i + 1 == parts.len();
        let mut frame = Vec::new();
        send.compress(part, fin, &mut frame);
        if fin {
            assert!(!frame.ends_with(&[0, 0, 0xff, 0xff]), "the tail is cut");
        }
        recv.inflate(&frame, fin, usize::MAX, &mut inflated).unwrap();
    }
    inflated
}

#[test]
fn messages_round_trip_with_and_without_context_takeover() {
    let text = b"{\"user\":\"ada\",\"text\":\"hello, hello, hello\"}".repeat(20);
    for (reset, bits) in [(false, 15), (true, 15), (false, 8), (true, 9), (false, 12)] {
        let mut send = Deflater::new(6, bits, reset, 0);
        let mut recv = Inflater::new(bits, reset);
        for _ in 0..3 {
            assert_eq!(roundtrip(&[&text], &mut send, &mut recv), text);
            assert_eq!(roundtrip(&[&text[..100], b"", &text[100..]], &mut send, &mut recv), text);
            assert_eq!(roundtrip(&[b""], &mut send, &mut recv), b"");
            assert_eq!(roundtrip(&[b"", b""], &mut send, &mut recv), b"");
        }
    }
}

#[test]
fn context_takeover_shrinks_repeated_messages() {
    let message = b"{\"type\":\"chat\",\"room\":\"lobby\",\"text\":\"the same again\"}";
    let sizes = |reset| {
        let mut send = Deflater::new(6, 15, reset, 0);
        (0..2)
            .map(|_| {
                let mut out = Vec::new();
                send.compress(message, true, &mut out);
                out.len()
            })
            .collect::<Vec<_>>()
    };
    let (kept, reset) = (sizes(false), sizes(true));
    assert!(kept[1] < kept[0] / 2, "{kept:?}");
    assert_eq!(reset[0], reset[1]);
}

#[test]
fn a_small_message_compresses_to_the_same_bytes_with_a_smaller_compressor() {
    // The first message of a context kept uses the default memory level; one message of
    // each alone under 2 KiB a smaller one. Both compress from an empty context.
    let text = b"{\"type\":\"message\",\"user\":{\"name\":\"ada\"},\"text\":\"hello there\"}".repeat(40);
    let mut state = 1u32;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) as u8
        })
        .collect();
    for data in [&text[..], &noise[..]] {
        for (level, len) in
            [0, 1, 6, 9].into_iter().flat_map(|l| [1, 200, 1024, 2046, 2047, 2048, 2049].map(|n| (l, n)))
        {
            let compress = |reset| {
                let mut out = Vec::new();
                Deflater::new(level, 15, reset, 0).compress(&data[..len], true, &mut out);
                out
            };
            assert_eq!(compress(true), compress(false), "level {level}, {len} bytes");
        }
    }
}

#[test]
fn the_rfc_examples_inflate() {
    // RFC 7692 §7.2.3.1 ("Hello" in one frame), §7.2.3.2 (after it, with context takeover),
    // §7.2.3.3 (no compression block), §7.2.3.4 (a final block).
    let mut recv = Inflater::new(15, false);
    for payload in [
        &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00][..],
        &[0xf2, 0x00, 0x11, 0x00, 0x00][..],
        &[0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00][..],
        &[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00][..],
    ] {
        let mut out = Vec::new();
        recv.inflate(payload, true, 1024, &mut out).unwrap();
        assert_eq!(out, b"Hello");
    }
    // Fragmented: "Hel" and "lo".
    let mut out = Vec::new();
    let mut recv = Inflater::new(15, true);
    recv.inflate(&[0xf2, 0x48, 0xcd], false, 1024, &mut out).unwrap();
    recv.inflate(&[0xc9, 0xc9, 0x07, 0x00], true, 1024, &mut out).unwrap();
    assert_eq!(out, b"Hello");
}

#[test]
fn inflating_stops_at_the_limit() {
    let mut send = Deflater::new(9, 15, true, 0);
    let mut bomb = Vec::new();
    send.compress(&vec![0; 16 << 20], true, &mut bomb);
    assert!(bomb.len() < 32 << 10, "{} bytes", bomb.len());
    let mut recv = Inflater::new(15, true);
    let mut out = Vec::new();
    // Its size is counted on (into a scratch buffer): the real one, as it is under the count's
    // limit.
    assert_eq!(recv.inflate(&bomb, true, 1 << 20, &mut out), Err(InflateError::TooLarge { size: 16 << 20 }));
    assert!(out.len() <= (1 << 20) + 1 && out.capacity() <= (1 << 20) + 1, "{}", out.capacity());
    // Exactly at the limit is fine.
    let mut exact = Vec::new();
    send.compress(&[7; 1000], true, &mut exact);
    let mut out = Vec::new();
    assert_eq!(recv.inflate(&exact, true, 1000, &mut out), Ok(()));
    assert_eq!(out.len(), 1000);
    let mut out = Vec::new();
    assert_eq!(recv.inflate(&exact, true, 999, &mut out), Err(InflateError::TooLarge { size: 1000 }));
}

#[test]
fn corrupt_and_trailing_data_are_refused() {
    let mut recv = Inflater::new(15, false);
    let mut out = Vec::new();
    // BTYPE 11 is reserved.
    assert!(matches!(recv.inflate(&[0xff, 0xff, 0xff], true, 1024, &mut out), Err(InflateError::Corrupt(_))));
    // A final block, then more.
    let mut out = Vec::new();
    let trailing = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x01, 0x02];
    assert!(matches!(recv.inflate(&trailing, true, 1024, &mut out), Err(InflateError::Corrupt(_))));
    // The decompressor is usable afterwards (a new message starts afresh).
    let mut out = Vec::new();
    recv.inflate(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], true, 1024, &mut out).unwrap();
    assert_eq!(out, b"Hello");
    // A final block in a message's first frame, data in its second.
    let mut recv = Inflater::new(15, true);
    let mut out = Vec::new();
    recv.inflate(&[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], false, 1024, &mut out).unwrap();
    assert!(recv.inflate(&[0xf2, 0x00], true, 1024, &mut out).is_err());
}
