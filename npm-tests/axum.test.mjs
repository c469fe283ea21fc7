// examples/axum_server (axum routes and a uniws echo WebSocket on one port, Origin allowed:
// none or https://app.example) driven by headless Chromium: a page whose origin is
// https://app.example (its document routed by playwright, the WebSocket real) echoes text
// and binary through a compressed connection; pages of other origins, the server's own
// included, are refused before the 101. Run by scripts/test-npm.sh, which builds
// target/debug/examples/axum_server first.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ROOT, freePort, launchChromium, start } from "./harness.mjs";

const SERVER = `${ROOT}target/debug/examples/axum_server`;

/** Opens a page whose document comes from `origin` and runs `script` in it. */
async function inPageOf(browser, origin, script, arg) {
  const page = await browser.newPage();
  try {
    await page.route(`${origin}/`, (route) => route.fulfill({ contentType: "text/html", body: "<!doctype html><title>app</title>" }));
    await page.goto(`${origin}/`);
    return await page.evaluate(script, arg);
  } finally {
    await page.close();
  }
}

/** In the page: opens `url`, echoes a text and a binary message; what happened. */
function echoTwice(url) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    const seen = [];
    ws.onopen = () => ws.send("hello from chromium " + "x".repeat(1000));
    ws.onmessage = (event) => {
      if (typeof event.data === "string") {
        seen.push(["text", event.data.length]);
        ws.send(new Uint8Array(70000).map((_, i) => i % 251));
      } else {
        const bytes = new Uint8Array(event.data);
        seen.push(["binary", bytes.length, bytes.every((b, i) => b === i % 251)]);
        ws.close(1000);
      }
    };
    ws.onclose = (event) => resolve({ opened: seen.length > 0, seen, code: event.code, extensions: ws.extensions });
  });
}

test("Chromium talks to the axum example from an allowed origin and is refused from others", { timeout: 60000 }, async () => {
  const port = await freePort();
  const server = await start(SERVER, [`127.0.0.1:${port}`], port);
  // The https page's ws:// connection to 127.0.0.1 is mixed content and a public page
  // reaching the local network, which Chromium blocks unless told.
  const browser = await launchChromium([
    "--allow-running-insecure-content",
    "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests",
  ]);
  try {
    const url = `ws://127.0.0.1:${port}/ws`;
    const allowed = await inPageOf(browser, "https://app.example", echoTwice, url);
    assert.deepEqual(allowed.seen, [["text", 1020], ["binary", 70000, true]]);
    assert.equal(allowed.code, 1000);
    assert.equal(allowed.extensions, "permessage-deflate; server_no_context_takeover; client_no_context_takeover");

    for (const origin of ["https://app.example.evil.com", "http://app.example", `http://127.0.0.1:${port}`]) {
      const refused = await inPageOf(browser, origin, echoTwice, url);
      assert.equal(refused.opened, false, origin);
      assert.equal(refused.code, 1006, origin);
    }

    // The HTTP route on the same port.
    const home = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(home.status, 200);
    assert.match(await home.text(), /uniws on axum/);
  } finally {
    await browser.close();
    await server.stop();
  }
});
