# A Python `websockets` client for tests/interop.rs, driven by its command line:
#   py_client.py URL [--protocol P]... [--no-compression] ACTION...
# It connects (offering the subprotocols P; permessage-deflate is offered too, as by
# default, unless --no-compression), prints "open SUBPROTOCOL" ("-" for none), runs the actions in order and prints
# one line per outcome on stdout. Payloads travel as hex so no locale can garble them.
#   text:HEX          sends a text message, prints the reply as "TYPE HEX"
#   binary:HEX        sends a binary message, prints the reply as "TYPE HEX"
#   fragmented:N:F    sends N bytes of binary in frames of F bytes, waits for the echo and
#                     prints "echo TYPE LENGTH equal" (or "differ")
#   extensions        prints "extensions VALUE": the Sec-WebSocket-Extensions answered ("-")
#   size:N            sends N bytes of binary in one frame, waits for nothing
#   ping:HEX          sends a ping, waits for its pong, prints "pong HEX"
#   close:CODE:REASON closes with CODE and REASON
#   expect-close      waits for the server to close, printing any message that comes first
#                     as "unexpected TYPE LENGTH"
# Whenever the connection is closed, it prints "closed CODE REASON" with the close code and
# reason received from the server ("closed none" when no close frame came) and stops.
# Anything unexpected prints "error ..." and exits with status 1.

import asyncio
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed


def out(*words):
    print(*words, flush=True)


def pattern(size):
    return (bytes(range(251)) * (size // 251 + 1))[:size]


def describe(message):
    if isinstance(message, str):
        return "text", message.encode()
    return "binary", bytes(message)


def report_closed(ws):
    rcvd = ws.protocol.close_rcvd
    if rcvd is None:
        out("closed", "none")
    else:
        out("closed", rcvd.code, rcvd.reason)


async def run(url, protocols, compression, actions):
    async with connect(
        url,
        subprotocols=protocols or None,
        compression=compression,
        max_size=64 * 1024 * 1024,
        ping_interval=None,
        open_timeout=5,
        close_timeout=5,
    ) as ws:
        out("open", ws.subprotocol or "-")
        try:
            for action in actions:
                name, _, arg = action.partition(":")
                if name in ("text", "binary"):
                    data = bytes.fromhex(arg)
                    await ws.send(data.decode() if name == "text" else data)
                    kind, reply = describe(await ws.recv())
                    out(kind, reply.hex())
                elif name == "fragmented":
                    size, frame = (int(x) for x in arg.split(":"))
                    data = pattern(size)
                    await ws.send(data[i : i + frame] for i in range(0, size, frame))
                    kind, reply = describe(await ws.recv())
                    out("echo", kind, len(reply), "equal" if reply == data else "differ")
                elif name == "extensions":
                    out("extensions", ws.response.headers.get("Sec-WebSocket-Extensions", "-"))
                elif name == "size":
                    await ws.send(pattern(int(arg)))
                elif name == "ping":
                    data = bytes.fromhex(arg)
                    waiter = await ws.ping(data)
                    await asyncio.wait_for(waiter, 5)
                    out("pong", data.hex())
                elif name == "close":
                    code, _, reason = arg.partition(":")
                    await ws.close(int(code), reason)
                    await ws.wait_closed()
                    report_closed(ws)
                    return
                elif name == "expect-close":
                    while True:
                        kind, data = describe(await ws.recv())
                        out("unexpected", kind, len(data))
                else:
                    raise ValueError(f"unknown action {action!r}")
        except ConnectionClosed:
            await ws.wait_closed()
            report_closed(ws)


def main():
    url, protocols, compression, actions = sys.argv[1], [], "deflate", []
    args = iter(sys.argv[2:])
    for arg in args:
        if arg == "--protocol":
            protocols.append(next(args))
        elif arg == "--no-compression":
            compression = None
        else:
            actions.append(arg)
    try:
        asyncio.run(asyncio.wait_for(run(url, protocols, compression, actions), 20))
    except Exception as e:
        out("error", repr(e))
        sys.exit(1)


if __name__ == "__main__":
    main()
