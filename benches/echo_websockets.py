"""The Python `websockets` echo server for the deflate comparison (benches/README.md):
asyncio, default settings (permessage-deflate offered by the client is accepted with the
library's defaults), whole messages echoed with `send`. Prints `listening PORT pid PID` like
the Rust echo servers. `python echo_websockets.py [PORT]`"""

import asyncio
import os
import sys

from websockets.asyncio.server import serve


async def echo(ws):
    try:
        async for message in ws:
            await ws.send(message)
    except Exception:
        pass


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    async with serve(echo, "127.0.0.1", port, max_size=32 << 20, ping_interval=None,
                     backlog=4096) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening {port} pid {os.getpid()}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
