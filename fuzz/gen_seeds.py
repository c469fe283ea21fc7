#!/usr/bin/env python3
"""Writes the fuzz seed corpus, fuzz/corpus/<target>/<name>, in each target's input layout
(see fuzz/src/checks/*.rs): valid frames of each opcode masked and unmasked, fragmented text
with split characters, close frames, upgrade requests and 101 answers, edge UTF-8, and some
inputs each check must refuse. Deterministic; rerun after changing a layout:
    python3 fuzz/gen_seeds.py
"""
import os
import shutil
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
KEY = bytes([0x37, 0xFA, 0x21, 0x3D])


def frame(opcode, payload=b"", fin=True, mask=None, rsv=0, length=None):
    """One frame; `length` overrides the announced payload length."""
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | rsv << 4 | opcode
    mbit = 0x80 if mask else 0
    if n < 126:
        head = bytes([b0, mbit | n])
    elif n <= 0xFFFF:
        head = bytes([b0, mbit | 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, mbit | 127]) + struct.pack(">Q", n)
    if mask:
        head += mask
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + payload


def close(code, reason=b""):
    return struct.pack(">H", code) + reason


def decoder_input(stream, server=False, max_index=0, budget_index=0, pattern=()):
    """Config byte (role, max_frame_size, budget), chunk pattern, stream."""
    config = (1 if server else 0) | max_index << 1 | budget_index << 4
    return bytes([config, len(pattern)]) + bytes(pattern) + stream


def decoder_seeds():
    text = "aé€𝄞z".encode()  # 1-, 2-, 3- and 4-byte characters
    seeds = {}
    for server in (False, True):
        m = KEY if server else None
        side = "masked" if server else "unmasked"
        streams = {
            "text": frame(1, b"Hello", mask=m),
            "binary": frame(2, bytes(range(256)), mask=m),  # 16-bit length
            "ping": frame(9, b"ping", mask=m),
            "pong_empty": frame(10, b"", mask=m),
            "close_reason": frame(8, close(1000, "bye ✓".encode()), mask=m),
            "close_empty": frame(8, b"", mask=m),
            "close_then_more": frame(8, close(1001), mask=m) + frame(1, b"late", mask=m),
            # Fragments cut inside the 2-, 3- and 4-byte characters, a ping in between.
            "fragmented_text": frame(1, text[:2], fin=False, mask=m)
            + frame(0, text[2:5], fin=False, mask=m)
            + frame(9, b"mid", mask=m)
            + frame(0, text[5:8], fin=False, mask=m)
            + frame(0, b"", fin=False, mask=m)
            + frame(0, text[8:], mask=m),
            "fragmented_binary": frame(2, b"\x00\x01", fin=False, mask=m)
            + frame(0, b"\x02", fin=False, mask=m)
            + frame(10, b"", mask=m)
            + frame(0, b"\x03\x04", mask=m),
            "many": frame(1, b"one", mask=m)
            + frame(2, b"\xff\xfe", mask=m)
            + frame(9, b"", mask=m)
            + frame(1, "κόσμε".encode(), mask=m)
            + frame(8, close(4000, b"app"), mask=m),
        }
        for name, stream in streams.items():
            seeds[f"{name}_{side}"] = decoder_input(stream, server)
        # The same streams byte by byte and in odd chunks.
        seeds[f"fragmented_text_{side}_bytewise"] = decoder_input(streams["fragmented_text"], server, pattern=[1])
        seeds[f"many_{side}_chunks"] = decoder_input(streams["many"], server, pattern=[3, 0, 7, 2])
    seeds["binary_64bit_length"] = decoder_input(frame(2, bytes(65536)))
    # Violations, each with its close code in the name.
    bad = {
        "rsv1_1002": frame(1, b"x", rsv=4),
        "reserved_opcode_1002": frame(3, b""),
        "masked_from_server_1002": frame(1, b"x", mask=KEY),
        "fragmented_ping_1002": frame(9, b"", fin=False),
        "long_ping_1002": frame(9, bytes(126)),
        "non_minimal_length_1002": bytes([0x82, 126, 0, 5]) + bytes(5),
        "continuation_first_1002": frame(0, b"x"),
        "text_inside_fragment_1002": frame(1, b"a", fin=False) + frame(1, b"b"),
        "close_one_byte_1002": frame(8, b"\x03"),
        "close_code_1005_1002": frame(8, close(1005)),
        "close_reason_utf8_1007": frame(8, close(1000, b"\xff")),
        "text_invalid_1007": frame(1, b"ok\xed\xa0\x80"),
        "text_truncated_1007": frame(1, b"\xe2\x82"),
        "text_split_bad_1007": frame(1, b"\xf0\x9f", fin=False) + frame(0, b"\x41"),
        "text_fail_fast_incomplete_frame_1007": frame(1, b"\xc0" + bytes(50))[:10],
    }
    for name, stream in bad.items():
        seeds[name] = decoder_input(stream)
    seeds["unmasked_to_server_1002"] = decoder_input(frame(1, b"x"), server=True)
    seeds["over_max_frame_1009"] = decoder_input(frame(2, bytes(126)), max_index=3)
    seeds["over_budget_1009"] = decoder_input(frame(1, b"x" * 200), budget_index=4)
    seeds["ping_over_small_max_1009"] = decoder_input(frame(9, b"abc"), max_index=2)
    return seeds


MAX_FRAGMENTS = 1 << 16


def whole_input(stream, server=False, max_index=0, budget_index=0, pattern=(), modes=0, repeat=(0, 0, 0)):
    """decoder_whole layout: the decoder's config and pattern, the mixed run's mode bits, the
    repetition (count byte, segment start, segment length), the stream."""
    config = (1 if server else 0) | max_index << 1 | budget_index << 4
    return bytes([config, len(pattern), *pattern, modes, *repeat]) + stream


def limit_count(count):
    """decoder_whole_limit's count byte for MAX_FRAGMENTS + offset, offset in -4..3."""
    assert -4 <= count - MAX_FRAGMENTS <= 3
    return count - MAX_FRAGMENTS + 4


def decoder_whole_seeds():
    text = "aé€𝄞z".encode()
    seeds = {}
    for server in (False, True):
        m = KEY if server else None
        side = "masked" if server else "unmasked"
        fragmented_text = (
            frame(1, text[:2], fin=False, mask=m)
            + frame(0, text[2:5], fin=False, mask=m)
            + frame(9, b"mid", mask=m)
            + frame(0, text[5:8], fin=False, mask=m)
            + frame(0, b"", fin=False, mask=m)
            + frame(0, text[8:], mask=m)
            + frame(1, b"after", mask=m)
        )
        fragmented_binary = (
            frame(2, b"\x00\x01", fin=False, mask=m)
            + frame(0, b"\x02", fin=False, mask=m)
            + frame(10, b"", mask=m)
            + frame(0, b"\x03\x04", mask=m)
            + frame(8, close(1000, b"bye"), mask=m)
        )
        seeds[f"fragmented_text_{side}"] = whole_input(fragmented_text, server)
        seeds[f"fragmented_text_{side}_bytewise_mixed"] = whole_input(fragmented_text, server, pattern=[1], modes=0x55)
        seeds[f"fragmented_text_{side}_chunks_mixed"] = whole_input(
            fragmented_text, server, pattern=[3, 0, 7, 2], modes=0x9C
        )
        seeds[f"fragmented_binary_{side}"] = whole_input(fragmented_binary, server, pattern=[5], modes=0xAA)
        # A close frame in the middle of a fragmented message.
        seeds[f"close_inside_message_{side}"] = whole_input(
            frame(2, b"abc", fin=False, mask=m) + frame(8, b"", mask=m) + frame(0, b"d", mask=m), server
        )
    # 600 + 600 bytes: one frame fits a budget of 1000, the message does not.
    over = frame(2, bytes(600), fin=False) + frame(0, bytes(600))
    seeds["budget_whole_message_1009"] = whole_input(over, budget_index=5)
    seeds["budget_whole_message_mixed"] = whole_input(over, budget_index=5, pattern=[40], modes=0x0F)
    # Messages of an empty first frame and a last one, as a sender streaming each message
    # might send them, then a fragmented one.
    seeds["empty_first_fragments"] = whole_input(
        (frame(1, b"", fin=False) + frame(0, b"hi")) * 3 + frame(2, b"a", fin=False) + frame(0, b"b"),
        pattern=[9],
        modes=0x3C,
    )
    # Text in 512 frames, "t" then an "é" split in two 255 times, mixed calls.
    seeds["many_fragments_text_mixed"] = whole_input(
        frame(1, b"t", fin=False) + frame(0, b"\xc3", fin=False) + frame(0, b"\xa9", fin=False) + frame(0, b""),
        pattern=[64],
        modes=0xF7,
        repeat=(255, 3, 6),
    )
    return seeds


def decoder_whole_limit_seeds():
    seeds = {}
    # A message of exactly MAX_FRAGMENTS frames and one of one more: "x", empty frames repeated,
    # an empty last frame; masked too.
    for server in (False, True):
        m = KEY if server else None
        side = "masked" if server else "unmasked"
        first = frame(2, b"x", fin=False, mask=m)
        empty = frame(0, b"", fin=False, mask=m)
        stream = first + empty + frame(0, b"", mask=m)
        for frames, name in ((MAX_FRAGMENTS, "max"), (MAX_FRAGMENTS + 1, "over_1009")):
            seeds[f"fragments_{name}_{side}"] = whole_input(
                stream, server, repeat=(limit_count(frames - 2), len(first), len(empty))
            )
    # The same with an empty first frame and "x" last.
    seeds["fragments_max_empty_first"] = whole_input(
        frame(2, b"", fin=False) + frame(0, b"", fin=False) + frame(0, b"x"),
        repeat=(limit_count(MAX_FRAGMENTS - 2), 2, 2),
    )
    # Text of MAX_FRAGMENTS frames, each cutting an "é" in two.
    seeds["fragments_max_text"] = whole_input(
        frame(1, b"\xc3", fin=False) + frame(0, b"\xa9\xc3", fin=False) + frame(0, b"\xa9"),
        repeat=(limit_count(MAX_FRAGMENTS - 2), 3, 4),
    )
    return seeds


def roundtrip_input(max_index, *messages):
    return bytes([max_index]) + b"".join(messages)


def msg(kind, length_index, partial=False, seed=b"", code_byte=None):
    """kind: 0 text, 1 binary, 2 ping, 3 pong, 4 close with code, 5 close without."""
    tag = kind | (8 if partial else 0) | length_index << 4
    out = bytes([tag])
    if kind == 4:
        out += bytes([code_byte])
    # 16 seed bytes exactly, so the next tag is where the reader expects it.
    return out + (seed * 16)[:16] if seed else out + bytes(16)


def roundtrip_seeds():
    return {
        "each_type": roundtrip_input(
            0,
            msg(0, 3, seed=b"hello"),
            msg(1, 4, seed=b"\x00\xff"),
            msg(2, 8, seed=b"p"),
            msg(3, 0),
            msg(4, 2, seed=b"bye", code_byte=0),
        ),
        "fragmented_text_and_ping": roundtrip_input(
            0,
            msg(0, 4, partial=True, seed="é€𝄞".encode()),
            msg(2, 1, seed=b"!"),
            msg(0, 5, partial=True, seed="κόσμε".encode()),
            msg(0, 2, seed=b"z"),
        ),
        "large_server_payload": roundtrip_input(0, msg(1, 13, seed=b"big"), msg(0, 12, seed=b"t")),
        "64bit_length": roundtrip_input(7, msg(1, 15, seed=b"\x01")),
        "refused_then_accepted": roundtrip_input(
            3,
            msg(2, 9),  # 126-byte ping: refused
            msg(1, 5),  # over max_frame_size 16: refused
            msg(1, 4, partial=True),
            msg(0, 1),  # text while binary is open: refused
            msg(1, 1),
            msg(4, 2, code_byte=5),  # 1005 may not be sent: refused
            msg(5, 0),
            msg(0, 1),  # after close: refused
        ),
        # Code byte 200 (16 or more): the code is the next two bytes, 4000.
        "close_raw_code": roundtrip_input(0, bytes([4 | 6 << 4, 200, 0x0F, 0xA0]) + b"r" * 16),
    }


REQUEST = (
    b"GET /chat?x=1 HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
)


def handshake_request_seeds():
    ok = REQUEST + b"\r\n"
    return {
        "valid": b"\x00" + ok,
        "valid_with_frames_after": b"\x00" + ok + frame(1, b"hi", mask=KEY),
        "protocols": b"\x00" + REQUEST + b"Sec-WebSocket-Protocol: chat, superchat\r\nOrigin: http://x\r\n\r\n",
        "lowercase_and_tokens": b"\x00" + ok.replace(b"Upgrade: websocket", b"upgrade: WebSocket, h2c")
        .replace(b"Connection: Upgrade", b"connection: keep-alive, upgrade"),
        "lf_only": b"\x00" + ok.replace(b"\r\n", b"\n"),
        "incomplete": b"\x00" + REQUEST,
        "too_large_431": b"\x04" + ok,
        "post_405": b"\x00" + ok.replace(b"GET", b"POST", 1),
        "version_426": b"\x00" + ok.replace(b"Version: 13", b"Version: 8"),
        "bad_key_400": b"\x00" + ok.replace(b"dGhlIHNhbXBsZSBub25jZQ==", b"short"),
        "two_keys_400": b"\x00" + REQUEST + b"Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n\r\n",
        "http10_400": b"\x00" + ok.replace(b"HTTP/1.1", b"HTTP/1.0"),
        "garbage_400": b"\x00\x01\x02 GET\r\n\r\n",
        "deflate_offers": b"\x00" + REQUEST
        + b"Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10, permessage-deflate\r\n"
        + b"Sec-WebSocket-Extensions: x-webkit-deflate-frame; client_max_window_bits\r\n\r\n",
    }


RESPONSE = (
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
)


def handshake_response_seeds():
    ok = RESPONSE + b"\r\n"
    return {
        "valid": b"\x00" + ok,
        "valid_with_frames_after": b"\x00" + ok + frame(1, b"hi"),
        "protocol_chat": b"\x00" + RESPONSE + b"Sec-WebSocket-Protocol: chat\r\n\r\n",
        "protocol_not_offered": b"\x00" + RESPONSE + b"Sec-WebSocket-Protocol: other\r\n\r\n",
        "two_protocols": b"\x00" + RESPONSE + b"Sec-WebSocket-Protocol: chat, superchat\r\n\r\n",
        "extension": b"\x00" + RESPONSE + b"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
        "extension_params": b"\x00" + RESPONSE
        + b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=9; server_no_context_takeover\r\n\r\n",
        "extension_unknown": b"\x00" + RESPONSE + b"Sec-WebSocket-Extensions: x-custom\r\n\r\n",
        "wrong_accept": b"\x00" + ok.replace(b"s3pP", b"AAAA"),
        "lowercase_lf_only": b"\x00"
        + ok.replace(b"\r\n", b"\n")
        .replace(b"Upgrade: websocket", b"upgrade:   WebSocket ")
        .replace(b"Connection: Upgrade", b"connection: keep-alive, upgrade")
        .replace(b"Sec-WebSocket-Accept", b"sec-websocket-accept"),
        "status_200": b"\x00" + ok.replace(b"101 Switching Protocols", b"200 OK"),
        "incomplete": b"\x00" + RESPONSE,
        "small_max_head": b"\x05" + ok,
        "garbage": b"\x00HTTP/9 x\r\n\r\n",
    }


def utf8_seeds():
    mixed = "aé€𝄞z κόσμε".encode()
    return {
        "mixed": b"\x00" + mixed,
        "mixed_split_in_characters": bytes([4, 2, 4, 5, 9]) + mixed,
        "edges": b"\x00" + "\u0080\u07ff\u0800\uffff\U00010000\U0010ffff".encode(),
        "surrogate": bytes([1, 2]) + b"ab\xed\xa0\x80",
        "overlong": bytes([1, 1]) + b"\xc0\xaf",
        "above_max": bytes([2, 1, 2]) + b"\xf4\x90\x80\x80",
        "bad_continuation_after_split": bytes([1, 1]) + b"\xe2\x28\xa1",
        "truncated_end": bytes([1, 2]) + b"a\xf0\x9f\x98",
        "lone_continuation": b"\x00\x80",
        "ff": b"\x00ok\xff",
        "empty": b"\x00",
    }


def extensions_seeds():
    return {
        "chrome": b"\x00permessage-deflate; client_max_window_bits",
        "firefox": b"\x00permessage-deflate",
        "all_params": b"\x0epermessage-deflate; server_no_context_takeover; client_no_context_takeover; "
        b"server_max_window_bits=10; client_max_window_bits=9",
        "quoted": b"\x00permessage-deflate; client_max_window_bits=\"12\", x-other; a=\"b\\\"c\"",
        "second_offer": b"\x08permessage-deflate; server_max_window_bits=16, permessage-deflate; client_max_window_bits=8",
        "duplicate": b"\x00permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "empty_elements": b"\x00 , ,permessage-deflate ,",
        "malformed": b"\x00permessage-deflate; =",
        "disabled": b"\x01permessage-deflate",
    }


def inflate_input(pick, limit, frames):
    """`frames` are (payload, final) pairs, each payload at most 127 bytes."""
    out = bytes([pick]) + struct.pack("<H", limit)
    for payload, final in frames:
        out += bytes([(0x80 if final else 0) | len(payload)]) + payload
    return out


def inflate_seeds():
    hello = bytes([0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
    return {
        "rfc_hello": inflate_input(7, 100, [(hello, True)]),
        "rfc_hello_in_two": inflate_input(15, 100, [(hello[:3], False), (hello[3:], True)]),
        "rfc_stored": inflate_input(7, 100, [(bytes([0x00, 0x05, 0x00, 0xFA, 0xFF]) + b"Hello" + b"\x00", True)]),
        "rfc_final_block": inflate_input(7, 100, [(bytes([0xF3, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]), True)]),
        "trailing_after_final": inflate_input(7, 100, [(bytes([0xF3, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00, 1, 2]), True)]),
        "reserved_block": inflate_input(0, 100, [(b"\xff\xff\xff", True)]),
        "over_limit": inflate_input(7, 3, [(hello, True)]),
        "text_parts": inflate_input(0x3F, 1000, [(b"hello " * 10, False), (b"", False), (b"world " * 20, True)]),
    }


def decoder_deflate_seeds():
    hello = bytes([0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
    text = lambda payload, fin=True, rsv=4: frame(1, payload, fin=fin, mask=KEY, rsv=rsv)
    return {
        "hello": bytes([0x3F, 7]) + text(hello),
        "hello_in_frames_whole": bytes([0x7F, 3]) + text(hello[:3], fin=False) + frame(0, hello[3:], mask=KEY),
        "ping_between": bytes([0x2F, 5]) + text(hello[:3], fin=False) + frame(9, b"p", mask=KEY)
        + frame(0, hello[3:], mask=KEY),
        "uncompressed_then_compressed": bytes([0x0F, 9]) + frame(2, b"plain", mask=KEY) + text(hello),
        "rsv1_on_continuation": bytes([0x3F, 2]) + text(hello[:3], fin=False) + frame(0, hello[3:], mask=KEY, rsv=4),
        "corrupt": bytes([0x3F, 1]) + text(b"\xff\xff\xff"),
        "over_small_limit": bytes([0x0F, 4]) + text(bytes([0x4B, 0x4C, 0x44, 0x02, 0x00])),
    }


def ws_setup(client_deflate=True, server_deflate=True, limits=(7, 7), pipe=2, takeover=(0, 0), bits=0, threshold=0):
    """The `websocket` target's first three bytes; `limits` index FRAME_LIMITS (client,
    server), `pipe` PIPES, `bits` WINDOW_BITS, `threshold` THRESHOLDS."""
    flags = int(client_deflate) | int(server_deflate) << 1 | takeover[0] << 2 | takeover[1] << 3
    flags |= bits << 4 | threshold << 6
    return bytes([flags, limits[0] | limits[1] << 4, pipe])


CLIENT, SERVER = 0, 1


def ws_message(text, noise, length_index, seed=7):
    return bytes([int(text) | int(noise) << 1 | length_index << 2, seed])


def ws_send_all(end, *message):
    return bytes([end]) + ws_message(*message)


def ws_send(end, *message):
    return bytes([end | 2 << 2]) + ws_message(*message)


def ws_send_cancelled(end, polls, *message):
    return bytes([end | 3 << 2]) + ws_message(*message) + bytes([polls])


def ws_ping(end, length, seed=3):
    return bytes([end | 4 << 2, seed, length])


def ws_close(end):
    return bytes([end | 5 << 2])


def ws_recv(end, all_limit=None, polls=None):
    """`all_limit` indexes RECV_ALL_LIMITS (then `recv_all`); `polls`: cancelled after them."""
    kind = (0 if all_limit is None else 1) | (0 if polls is None else 2)
    out = bytes([end | 2 | kind << 2])
    if all_limit is not None:
        out += bytes([all_limit])
    if polls is not None:
        out += bytes([polls])
    return out


def websocket_seeds():
    large_noise = (False, True, 14)
    return {
        "echo_small_compressed": ws_setup() + ws_send_all(CLIENT, True, False, 2) + ws_send_all(SERVER, False, False, 3)
        + ws_recv(CLIENT) + ws_recv(SERVER, 7),
        "client_smaller_incompressible_large": ws_setup(limits=(5, 7)) + ws_send_all(SERVER, *large_noise)
        + ws_recv(CLIENT, 6),
        "cancelled_recv_all": ws_setup(limits=(5, 5)) + ws_send_all(SERVER, *large_noise) * 3
        + ws_send_all(SERVER, True, True, 13) + ws_recv(CLIENT, 6, 0) + ws_recv(SERVER, 7, 1),
        "cancelled_recv_frames_uncompressed": ws_setup(False, True, limits=(3, 3), pipe=1)
        + ws_send_all(CLIENT, True, False, 9) * 2 + ws_recv(SERVER, None, 0) + ws_recv(SERVER, None, 2),
        "cancelled_sends": ws_setup(pipe=0) + ws_send_cancelled(CLIENT, 0, False, True, 7)
        + ws_send_cancelled(CLIENT, 3, True, False, 5) + ws_send(CLIENT, False, False, 3) + ws_recv(SERVER, 7),
        "send_over_own_limit": ws_setup(limits=(0, 4)) + ws_send(CLIENT, False, False, 5) + ws_send(SERVER, True, True, 7)
        + ws_send(SERVER, False, False, 3),
        "pings_then_close_midway": ws_setup(False, False) + ws_ping(CLIENT, 125) + ws_ping(SERVER, 0)
        + ws_send_all(CLIENT, True, True, 8) + ws_close(CLIENT) + ws_send_all(CLIENT, False, False, 2)
        + ws_recv(SERVER, 3) + ws_recv(CLIENT, None, 1),
        "message_too_large": ws_setup(takeover=(1, 1), bits=2) + ws_send_all(CLIENT, False, True, 7)
        + ws_recv(SERVER, 3),
        "both_ways_tiny_pipe": ws_setup(limits=(2, 1), pipe=0, bits=1, threshold=3)
        + ws_send_all(CLIENT, *large_noise) + ws_send_all(SERVER, True, False, 14)
        + ws_send_all(CLIENT, True, True, 12) + ws_recv(CLIENT, 7, 4) + ws_recv(SERVER, None, 0),
    }


def main():
    targets = {
        "websocket": websocket_seeds(),
        "decoder_deflate": decoder_deflate_seeds(),
        "extensions": extensions_seeds(),
        "inflate": inflate_seeds(),
        "decoder": decoder_seeds(),
        "decoder_whole": decoder_whole_seeds(),
        "decoder_whole_limit": decoder_whole_limit_seeds(),
        "roundtrip": roundtrip_seeds(),
        "handshake_request": handshake_request_seeds(),
        "handshake_response": handshake_response_seeds(),
        "utf8": utf8_seeds(),
    }
    for target, seeds in targets.items():
        folder = os.path.join(ROOT, target)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        for name, data in seeds.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
        print(f"{target}: {len(seeds)} seeds")


if __name__ == "__main__":
    main()
