// The packed npm tarball, installed into an empty folder and used from a page with no
// bundler (an import map names the package) in headless Chromium, against the native
// examples/test_server on 127.0.0.1; and the package's TypeScript declarations checked by
// `tsc --noEmit --strict` on a small TypeScript user; and no `window` in the package's code.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, freePort, start, serveDir, launchChromium, installPackage } from "./harness.mjs";

let folder, server, files, browser;

before(async () => {
  folder = installPackage();
  writeFileSync(join(folder, "index.html"), `<!doctype html><script type="importmap">
    {"imports": {"uniws": "./node_modules/uniws/pkg/uniws.js"}}</script>
    <script type="module">import init, * as uniws from "uniws"; await init(); window.uniws = uniws; window.ready = true;</script>`);
  const port = await freePort();
  const silent = await freePort();
  server = await start(join(ROOT, "target/debug/examples/test_server"), [`127.0.0.1:${port}`, `127.0.0.1:${silent}`], port);
  server.url = `ws://127.0.0.1:${port}`;
  files = await serveDir(folder);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await files?.close();
  await server?.stop();
});

async function page() {
  const page = await browser.newPage();
  // Every wait only guards against a hang, however loaded the machine.
  page.setDefaultTimeout(60000);
  await page.goto(`${files.url}/`);
  await page.waitForFunction(() => window.ready === true);
  return page;
}

test("round trips of text and binary, and the message model", { timeout: 240000 }, async () => {
  const p = await page();
  const result = await p.evaluate(async (url) => {
    const { WebSocket, Message } = window.uniws;
    const ws = await WebSocket.connect(url, { protocol: "chat, other", timeout: 60000 });
    await ws.send("hello ✓");
    const text = await ws.recv();
    await ws.send(new Uint8Array([1, 2, 255]));
    const binary = await ws.recv();
    // Partial sends are buffered and leave the browser as one message.
    await ws.send(new Message("par", "text", true));
    await ws.send(new Message("tial"));
    const joined = await ws.recv();
    await ws.close(1000, "done");
    return {
      protocol: ws.protocol, extensions: ws.extensions, maxFrameSize: ws.maxFrameSize,
      text: [text.type, text.data, text.partial],
      binary: [binary.type, Array.from(binary.data), binary.data instanceof Uint8Array],
      joined: [joined.data, joined.partial],
    };
  }, server.url);
  assert.equal(result.protocol, "chat");
  // Chromium offers permessage-deflate; the uniws server takes it without context takeover.
  assert.equal(result.extensions, "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
  assert.equal(result.maxFrameSize, 1 << 20);
  assert.deepEqual(result.text, ["text", "hello ✓", false]);
  assert.deepEqual(result.binary, ["binary", [1, 2, 255], true]);
  assert.deepEqual(result.joined, ["partial", false]);
  await p.close();
});

test("sendAll and recvAll of 2 MiB with 64 KiB frames", { timeout: 240000 }, async () => {
  const p = await page();
  const result = await p.evaluate(async (url) => {
    const ws = await window.uniws.WebSocket.connect(url, { maxFrameSize: 65536, params: { room: "big" } });
    const data = new Uint8Array(2 << 20).map((_, i) => i % 253);
    await ws.sendAll(data);
    const echo = await ws.recvAll(4 << 20);
    // data is made once per message: reading it in a loop costs no copies.
    const sameObject = echo.data === echo.data;
    let same = echo.data.length === data.length;
    for (let i = 0; same && i < data.length; i++) same = echo.data[i] === data[i];
    let tooLarge;
    try { await ws.send(new Uint8Array(65537)); } catch (e) { tooLarge = [e.name, e.code, e instanceof Error]; }
    await ws.close();
    return { length: echo.data.length, same, sameObject, tooLarge };
  }, server.url);
  assert.equal(result.length, 2 << 20);
  assert.equal(result.same, true);
  assert.equal(result.sameObject, true);
  assert.deepEqual(result.tooLarge, ["FrameTooLargeError", "FRAME_TOO_LARGE", true]);
  await p.close();
});

test("the server sees our close code and reason", { timeout: 240000 }, async () => {
  const p = await page();
  const seen = await p.evaluate(async (url) => {
    const { WebSocket } = window.uniws;
    const ws = await WebSocket.connect(`${url}/echo?id=npm-close`);
    await ws.close(4321, "from npm");
    // The test server notes this connection's close under its id and reports it once there.
    const report = await WebSocket.connect(`${url}/close-of?id=npm-close`);
    return (await report.recv()).data;
  }, server.url);
  assert.equal(seen, "4321 from npm");
  await p.close();
});

test("errors are rejected promises with a stable name and code", { timeout: 240000 }, async () => {
  const p = await page();
  const errors = await p.evaluate(async ([url, closed]) => {
    const { WebSocket } = window.uniws;
    const describe = async (work) => {
      try { await work(); return null; } catch (e) { return { name: e.name, code: e.code, isError: e instanceof Error, message: e.message }; }
    };
    return {
      refused: await describe(() => WebSocket.connect(closed, { timeout: 60000 })),
      badUrl: await describe(() => WebSocket.connect("ftp://example")),
      badOption: await describe(() => WebSocket.connect(url, { headers: { a: "1" } })),
      tooLarge: await describe(async () => {
        const ws = await WebSocket.connect(`${url}/send?size=100000`);
        await ws.recvAll(1000);
      }),
      protocolRefused: await describe(() => WebSocket.connect(url, { protocol: ["x-refuse-me"] })),
    };
  }, [server.url, `ws://127.0.0.1:${await freePort()}`]);
  assert.deepEqual([errors.refused.name, errors.refused.code, errors.refused.isError], ["HandshakeError", "HANDSHAKE", true]);
  assert.equal(errors.badUrl.code, "INVALID_URL");
  assert.equal(errors.badOption.code, "INVALID_ARGUMENT");
  assert.match(errors.badOption.message, /headers/);
  assert.deepEqual([errors.tooLarge.name, errors.tooLarge.code], ["MessageTooLargeError", "MESSAGE_TOO_LARGE"]);
  assert.equal(errors.protocolRefused.code, "HANDSHAKE");
  await p.close();
});

test("bad arguments are TypeErrors with the code INVALID_ARGUMENT, naming what is wrong", { timeout: 240000 }, async () => {
  const p = await page();
  const result = await p.evaluate(async (url) => {
    const { WebSocket, Message, ReconnectingWebSocket } = window.uniws;
    const describe = async (work) => {
      try { await work(); return "no error"; } catch (e) { return `${e.name} ${e.code}: ${e.message}`; }
    };
    // Unicode spaces around the names of a comma-separated list are trimmed as in Rust.
    const ws = await WebSocket.connect(url, { protocol: "\u00a0chat ,\u0085other", params: { a: "1" } });
    const bytes = new Uint8Array([1]);
    const errors = {
      notAMessage: await describe(() => ws.send(5)),
      binaryNotBytes: await describe(() => ws.send({ data: 3 })),
      textNotString: await describe(() => ws.sendAll({ data: bytes, type: "text" })),
      pingFromString: await describe(() => new Message("x", "ping")),
      unknownType: await describe(() => new Message(bytes, "weird")),
      pingSent: await describe(() => ws.send({ data: bytes, type: "ping" })),
      timeout: await describe(() => WebSocket.connect(url, { timeout: -1 })),
      heartbeat: await describe(() => WebSocket.connect(url, { heartbeat: { interval: 1000 } })),
      params: await describe(() => WebSocket.connect(url, { params: "a=1" })),
      notAnObject: await describe(() => WebSocket.connect(url, "chat")),
      maxDelay: await describe(() => ReconnectingWebSocket.connect(url, {}, { maxDelay: 1.5 })),
      recvAll: await describe(() => ws.recvAll(-1)),
    };
    const message = new Message(bytes, "pong", true);
    await ws.close();
    return { protocol: ws.protocol, errors, pong: [message.type, Array.from(message.data), message.partial] };
  }, server.url);
  assert.equal(result.protocol, "chat");
  const invalid = (message) => `TypeError INVALID_ARGUMENT: ${message}`;
  assert.deepEqual(result.errors, {
    notAMessage: invalid("a message must be a Message, a string or a Uint8Array"),
    binaryNotBytes: invalid("binary data must be a Uint8Array"),
    textNotString: invalid('data does not fit a message of type "text"'),
    pingFromString: invalid('data does not fit a message of type "ping"'),
    unknownType: invalid('data does not fit a message of type "weird"'),
    pingSent: "UnsupportedError UNSUPPORTED: unsupported on this backend: sending ping or pong (the browser answers pings itself)",
    timeout: invalid("timeout must be a whole number of at least 0"),
    heartbeat: invalid("heartbeat.timeout must be a whole number of at least 0"),
    params: invalid("params must be an object"),
    notAnObject: invalid("options must be an object"),
    maxDelay: invalid("maxDelay must be a whole number of at least 0"),
    recvAll: invalid("maxMessageSize must be a whole number of at least 0"),
  });
  assert.deepEqual(result.pong, ["pong", [1], true]);
  await p.close();
});

test("ReconnectingWebSocket comes back, keeps each drop, and the heartbeat is an idle timeout", { timeout: 60000 }, async () => {
  const p = await page();
  const result = await p.evaluate(async (url) => {
    const { WebSocket, ReconnectingWebSocket } = window.uniws;
    const states = [];
    const ws = await ReconnectingWebSocket.connect(`${url}/close?code=4001&reason=first`, {}, {
      initialDelay: 10, maxDelay: 100, maxAttempts: 5,
      renew: (attempt, old) => `${url}/send?size=3`,
      onState: (state) => states.push(state.state + (state.closeCode ?? "")),
    });
    const message = await ws.recv();
    const drops = ws.drops;
    await ws.close(1000, "done");
    let afterClose;
    try { await ws.recv(); } catch (e) { afterClose = e.code; }
    const beating = await WebSocket.connect(`${url}/echo`, { heartbeat: { interval: 100, timeout: 100 } });
    let heartbeat;
    try { await beating.recv(); } catch (e) { heartbeat = [e.code, e.closeCode]; }
    return { data: Array.from(message.data), drops, states, afterClose, heartbeat };
  }, server.url);
  assert.deepEqual(result.data, [120, 120, 120]);
  assert.deepEqual(result.drops, [{ closeCode: 4001, reason: "first" }]);
  assert.deepEqual(result.states, ["connected", "dropped4001", "reconnecting", "connected"]);
  assert.equal(result.afterClose, "CLOSED");
  assert.deepEqual(result.heartbeat, ["HEARTBEAT_TIMEOUT", 1011]);
  await p.close();
});

test("the TypeScript declarations type a user's code, with no implicit any", { timeout: 240000 }, () => {
  writeFileSync(join(folder, "user.ts"), `
import init, { WebSocket, Message, Messages, ReconnectingWebSocket, type ConnectOptions, type ConnectionState, type UniwsError, type MessageType, type CloseInfo } from "uniws";
export async function chat(url: string): Promise<string> {
  await init();
  const options: ConnectOptions = { protocol: ["chat"], timeout: 1000, maxFrameSize: 65536, params: { room: "a" } };
  const ws: WebSocket = await WebSocket.connect(url, options);
  await ws.send("hi");
  await ws.sendAll(new Uint8Array(10));
  await ws.send(new Message("x", "text", true));
  const message: Message = await ws.recvAll(1 << 20);
  const kind: MessageType = message.type;
  const data: string | Uint8Array = message.data;
  const protocol: string | undefined = ws.protocol;
  const extensions: string | undefined = ws.extensions;
  const size: number = ws.maxFrameSize;
  const controller = new AbortController();
  const next: Message = await ws.recv({ signal: controller.signal });
  const whole: Message = await ws.recvAll(1024, { signal: AbortSignal.timeout(100) });
  for await (const each of ws) {
    const eachData: string | Uint8Array = each.data;
    if (eachData.length === 0) break;
  }
  const messages: Messages = ws.messages(1 << 20, { signal: controller.signal });
  for await (const each of messages) {
    if (each.partial) break;
  }
  const info: CloseInfo = await ws.closed;
  const closeCode: number = info.code;
  const ended: boolean = info.wasClean && info.reason === "";
  await WebSocket.connect(url, { signal: controller.signal });
  await ws.close(1000, "bye");
  try { await ws.recv(); } catch (e) { const error = e as UniwsError; return error.code + kind + String(data) + protocol + extensions + size + next.type + whole.type + closeCode + ended; }
  const again = await ReconnectingWebSocket.connect(url, { heartbeat: { interval: 1000, timeout: 500 }, closeTimeout: 100 }, {
    maxAttempts: 3, renew: (attempt: number, old: string) => old + attempt,
    onState: (state: ConnectionState) => { if (state.state === "dropped") { const code: number = state.closeCode; void code; } },
  });
  await again.sendAll("x");
  const drops: { closeCode: number; reason: string }[] = again.drops;
  await again.close();
  void drops;
  // @ts-expect-error: a number is not a message
  await ws.send(42);
  // @ts-expect-error: not an option
  await WebSocket.connect(url, { headers: {} });
  // @ts-expect-error: a signal is an AbortSignal
  await WebSocket.connect(url, { signal: "soon" });
  // @ts-expect-error: not a message type
  const wrong: MessageType = "binaryish";
  return String(wrong);
}
`);
  const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "--noEmit", "--strict", "--noImplicitAny", "--target", "es2022",
    "--module", "nodenext", "--moduleResolution", "nodenext", "--lib", "es2022,dom,esnext.disposable", "user.ts"], { cwd: folder, stdio: "inherit" });
});

test("the declarations users see have no any, init()'s result included", () => {
  // Comments say "any" in English; the types may not.
  const declarations = readFileSync(join(folder, "node_modules/uniws/pkg/uniws.d.ts"), "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\/\/.*$/gm, "");
  assert.doesNotMatch(declarations, /\bany\b/);
  assert.match(declarations, /interface InitOutput \{\s*readonly memory: WebAssembly\.Memory;\s*\}/);
});

test("nothing in the package reaches for window", () => {
  const pkg = join(folder, "node_modules/uniws/pkg");
  // Every script of the package, the glue wasm-bindgen copies into snippets/ too.
  const scripts = readdirSync(pkg, { recursive: true }).filter((file) => file.endsWith(".js"));
  assert.ok(scripts.some((file) => file.endsWith("glue.js")), scripts.join(", "));
  for (const file of scripts) {
    // wasm-bindgen's own lookup of the global object tries `window` behind a typeof guard,
    // which holds in every runtime; no other mention may remain.
    const text = readFileSync(join(pkg, file), "utf8").replaceAll("typeof window === 'undefined' ? undefined : window", "");
    assert.doesNotMatch(text, /\bwindow\b/, file);
  }
});
