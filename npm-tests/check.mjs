// The checks every runtime runs on the installed package (npm-tests/runtimes.test.mjs): Node,
// Deno and Bun as a script, Chromium and Firefox in a page and in a Web Worker. The package's
// module is passed in, initialised, so this file imports nothing and runs anywhere; it uses
// no global but the standard ones. `url` is examples/test_server, `silent` its port that
// never answers. The result is plain data, compared by the test with one expected value.
export async function check(uniws, url, silent) {
  const { WebSocket, Message } = uniws;
  const failure = async (work) => {
    try {
      await work();
      return "no error";
    } catch (e) {
      // uniws's errors have a string code; a DOMException's number is not ours to check.
      return typeof e.code === "string" ? `${e.name} ${e.code}` : e.name;
    }
  };
  const result = {};

  const ws = await WebSocket.connect(`${url}/echo`, { protocol: ["chat", "other"], timeout: 5000, maxFrameSize: 65536 });
  result.protocol = ws.protocol ?? null;
  // Whatever the server accepted (it may compress): a string, or undefined for none.
  result.extensions = ws.extensions === undefined || typeof ws.extensions === "string";
  result.hasWebSocketClass = typeof globalThis.WebSocket === "function" && WebSocket !== globalThis.WebSocket;
  await ws.send("hello ✓");
  const text = await ws.recv();
  result.text = [text.type, text.data, text.partial];
  await ws.send(new Uint8Array([1, 2, 255]));
  const binary = await ws.recv();
  result.binary = [binary.type, Array.from(binary.data), binary.data instanceof Uint8Array];

  // 300,000 bytes in 64 KiB frames, put back together.
  const big = new Uint8Array(300000).map((_, i) => i % 251);
  await ws.sendAll(big);
  const echo = await ws.recvAll(1 << 20);
  result.big = [echo.data.length, echo.data.every((b, i) => b === big[i])];
  result.frameTooLarge = await failure(() => ws.send(new Uint8Array(65537)));

  // A receive given up by its signal loses nothing and leaves the socket usable.
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  result.recvAborted = await failure(() => ws.recv({ signal: controller.signal }));
  result.recvAllAborted = await failure(() => ws.recvAll(100, { signal: AbortSignal.abort() }));
  await ws.send("after the abort");
  result.afterAbort = (await ws.recv()).data;

  // break ends the loop, not the connection.
  await ws.send("kept");
  for await (const message of ws) {
    result.beforeBreak = message.data;
    break;
  }
  await ws.send("still open");
  result.afterBreak = (await ws.recv()).data;

  // for await: whole messages (a partial send arrives as one message), until the close.
  await ws.send("one");
  await ws.send(new Message("tw", "text", true));
  await ws.send(new Message("o", "text", false));
  await ws.send(new Uint8Array([3]));
  const seen = [];
  for await (const message of ws) {
    seen.push(message.type === "text" ? message.data : Array.from(message.data));
    if (seen.length === 3) await ws.close(4000, "enough");
  }
  result.iterated = seen;
  const closed = await ws.closed;
  result.closed = [closed.code, closed.reason, closed.wasClean];
  result.afterClose = await failure(() => ws.recv());

  // The server closes: the loop ends with no message, `closed` tells its code and reason.
  const closing = await WebSocket.connect(`${url}/close?code=4001&reason=bye`);
  const none = [];
  for await (const message of closing.messages(1024)) none.push(message);
  const byServer = await closing.closed;
  result.serverClose = [none.length, byServer.code, byServer.reason, byServer.wasClean];

  // connect given up: an aborted signal, then a server that never answers.
  result.connectAborted = await failure(() => WebSocket.connect(`${url}/echo`, { signal: AbortSignal.abort() }));
  result.connectTimedOut = await failure(() => WebSocket.connect(silent, { signal: AbortSignal.timeout(200) }));
  result.connectTimeout = await failure(() => WebSocket.connect(silent, { timeout: 200 }));
  result.badSignal = await failure(() => WebSocket.connect(url, { signal: "soon" }));
  result.badUrl = await failure(() => WebSocket.connect("ftp://example"));
  result.tooLarge = await failure(async () => (await WebSocket.connect(`${url}/send?size=100000`)).recvAll(1000));
  return result;
}

/** What `check` gives in every runtime. */
export const expected = {
  protocol: "chat",
  extensions: true,
  hasWebSocketClass: true,
  text: ["text", "hello ✓", false],
  binary: ["binary", [1, 2, 255], true],
  big: [300000, true],
  frameTooLarge: "FrameTooLargeError FRAME_TOO_LARGE",
  recvAborted: "AbortError",
  recvAllAborted: "AbortError",
  afterAbort: "after the abort",
  beforeBreak: "kept",
  afterBreak: "still open",
  iterated: ["one", "two", [3]],
  // The close the server answered with: examples/test_server echoes the code only.
  closed: [4000, "", true],
  afterClose: "ClosedError CLOSED",
  serverClose: [0, 4001, "bye", true],
  connectAborted: "AbortError",
  connectTimedOut: "TimeoutError",
  connectTimeout: "TimeoutError TIMEOUT",
  badSignal: "TypeError INVALID_ARGUMENT",
  badUrl: "InvalidUrlError INVALID_URL",
  tooLarge: "MessageTooLargeError MESSAGE_TOO_LARGE",
};
