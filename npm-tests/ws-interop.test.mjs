// Interop with Node's `ws` (a peer we did not write), permessage-deflate negotiated and
// asserted both ways: `ws` clients against the `uniws serve` echo server, and `uniws
// connect` (the line client) against a `ws` server. Run by scripts/test-npm.sh, which
// builds target/debug/uniws first.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import WebSocket, { WebSocketServer } from "ws";
import { ROOT, freePort, start } from "./harness.mjs";

const UNIWS = `${ROOT}target/debug/uniws`;
const UNIWS_ANSWER = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";

/** The next message of `ws`, as [data, isBinary]. */
function next(ws) {
  return new Promise((resolve, reject) => {
    ws.once("message", (data, isBinary) => resolve([data, isBinary]));
    ws.once("error", reject);
  });
}

test("a ws client compresses to and from the uniws server", { timeout: 60000 }, async () => {
  const port = await freePort();
  // ws sends a message as one frame: 3 MiB needs a frame limit above the default 1 MiB.
  const server = await start(UNIWS, ["serve", `127.0.0.1:${port}`, "--max-frame-size", "4194304"], port);
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: { threshold: 0 } });
    const [response] = await Promise.all([once(ws, "upgrade"), once(ws, "open")]);
    assert.equal(response[0].headers["sec-websocket-extensions"], UNIWS_ANSWER);
    assert.equal(ws.extensions, "permessage-deflate");
    const text = JSON.stringify({ user: "node", lines: Array.from({ length: 5000 }, (_, i) => `line ${i}`) });
    ws.send(text);
    const [echo, binary] = await next(ws);
    assert.equal(binary, false);
    assert.equal(echo.toString(), text);
    const bytes = Buffer.alloc(3 << 20, "uniws ");
    ws.send(bytes);
    const [echoed] = await next(ws);
    assert.ok(Buffer.compare(echoed, bytes) === 0, "3 MiB came back equal");
    ws.close(1000, "done");
    const [code] = await once(ws, "close");
    assert.equal(code, 1000);
  } finally {
    await server.stop();
  }
});

test("the uniws line client compresses to and from a ws server", { timeout: 60000 }, async () => {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: { threshold: 0 } });
  await once(wss, "listening");
  const offers = [];
  const received = [];
  const long = "x".repeat(100000);
  wss.on("connection", (ws, request) => {
    offers.push(request.headers["sec-websocket-extensions"]);
    ws.send(long);
    ws.on("message", (data, isBinary) => {
      received.push(data.toString());
      ws.send(data, { binary: isBinary });
    });
  });
  try {
    const client = spawn(UNIWS, ["connect", `ws://127.0.0.1:${wss.address().port}/`], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    client.stdout.on("data", (chunk) => (stdout += chunk));
    client.stderr.on("data", (chunk) => (stderr += chunk));
    client.stdin.end("hello from uniws\nwörld\n");
    const [status] = await once(client, "exit");
    assert.equal(status, 0, stderr);
    assert.deepEqual(offers, ["permessage-deflate; client_max_window_bits"]);
    assert.match(stderr, /connected \(protocol: none, extensions: permessage-deflate/);
    assert.deepEqual(received, ["hello from uniws", "wörld"]);
    assert.equal(stdout, `${long}\nhello from uniws\nwörld\n`);
  } finally {
    wss.close();
  }
});
