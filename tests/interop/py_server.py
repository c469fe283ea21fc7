# A Python `websockets` server for tests/interop.rs: binds 127.0.0.1 on a free port, prints
# "port N" on stdout, then serves each connection by its path and reports what it saw as one
# line per event on stdout:
#   /echo             echoes every message; a message longer than ?fragment=N bytes (when
#                     given) is echoed as a fragmented message of N-byte frames
#   /close            closes at once with code 4001 and reason "bye"
#   /ping             sends a ping, waits for its pong, then sends the text "pong ok"
#   /big?size=N       sends one binary frame of N bytes, then waits for the peer's close
# Lines: "open PATH SUBPROTOCOL", "extensions PATH VALUE" (the Sec-WebSocket-Extensions
# answered, "-" for none), "received TYPE LENGTH", "pong PATH", "sent-close PATH",
# "closed PATH CODE REASON" (the close code and reason received from the peer; "none" for
# no close frame), "error PATH MESSAGE".

import asyncio
import sys
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed


def out(*words):
    print(*words, flush=True)


def select_subprotocol(connection, offered):
    return "chat" if "chat" in offered else None


def pattern(size):
    return (bytes(range(251)) * (size // 251 + 1))[:size]


async def echo(ws, query):
    fragment = int(query.get("fragment", ["0"])[0])
    async for message in ws:
        kind = "text" if isinstance(message, str) else "binary"
        out("received", kind, len(message))
        if fragment and len(message) > fragment:
            await ws.send(message[i : i + fragment] for i in range(0, len(message), fragment))
        else:
            await ws.send(message)


async def handler(ws):
    parts = urlsplit(ws.request.path)
    path, query = parts.path, parse_qs(parts.query)
    out("open", path, ws.subprotocol or "-")
    out("extensions", path, ws.response.headers.get("Sec-WebSocket-Extensions", "-"))
    try:
        if path == "/echo":
            await echo(ws, query)
        elif path == "/close":
            await ws.close(4001, "bye")
            out("sent-close", path)
        elif path == "/ping":
            waiter = await ws.ping(b"are you there")
            await asyncio.wait_for(waiter, 5)
            out("pong", path)
            await ws.send("pong ok")
            await ws.wait_closed()
        elif path == "/big":
            await ws.send(pattern(int(query["size"][0])))
            await ws.wait_closed()
        else:
            await ws.close(1008, "unknown path")
    except ConnectionClosed:
        pass
    except Exception as e:  # reported, so that the Rust side fails with the reason
        out("error", path, repr(e))
    await ws.wait_closed()
    rcvd = ws.protocol.close_rcvd
    if rcvd is None:
        out("closed", path, "none")
    else:
        out("closed", path, rcvd.code, rcvd.reason)


async def main():
    async with serve(
        handler,
        "127.0.0.1",
        0,
        select_subprotocol=select_subprotocol,
        max_size=64 * 1024 * 1024,
        ping_interval=None,
        close_timeout=5,
    ) as server:
        port = server.sockets[0].getsockname()[1]
        out("port", port)
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
