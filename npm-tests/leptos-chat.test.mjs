// The Rust chat page (examples/leptos-chat, built into www/rust/ by scripts/build-leptos.sh)
// beside the JavaScript one, as people use them: `uniws demo` serves both; in headless
// Chromium one tab opens /rust/ and one opens /, and they chat through the one server. The
// 3 MiB message of each page arrives whole in the other (the SHA-256 each page shows of what
// it received is checked against the bytes hashed here); then the server is stopped (by its
// process id) and started again on the same port: the Rust page shows that it is
// reconnecting, then connected, and chats again. A screenshot of the Rust page is saved as a
// test artifact (target/artifacts/leptos-chat.png).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT, freePort, start, launchChromium } from "./harness.mjs";

let port, demo, browser;

const startDemo = () =>
  start(join(ROOT, "target/debug/uniws"), ["demo", `127.0.0.1:${port}`, "--www", join(ROOT, "www")], port);

before(async () => {
  port = await freePort();
  demo = await startDemo();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

/** Types `text` into the composer of page `from` and sends it; page `to` shows it from `name`. */
async function chat(from, to, name, text) {
  await from.fill("#text", text);
  await from.press("#text", "Enter");
  const seen = to.locator(".log li", { hasText: text });
  await seen.waitFor();
  assert.equal(await seen.locator(".who").textContent(), name);
}

test("the Rust page and the JavaScript page chat in one room, across a server restart", { timeout: 300000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  // Every wait only guards against a hang, however loaded the machine.
  context.setDefaultTimeout(60000);
  const [rust, js] = [await context.newPage(), await context.newPage()];
  for (const [page, path, name] of [[rust, "/rust/", "Ferris"], [js, "/", "Alice"]]) {
    await page.goto(`http://127.0.0.1:${port}${path}`);
    await page.fill("#name", name);
    await page.dispatchEvent("#name", "change");
    await page.waitForSelector('#status[data-state="open"]');
  }
  assert.equal(await rust.textContent("#frame-size"), "64 KiB");
  for (const page of [rust, js]) {
    await page.waitForFunction(() => document.getElementById("clients").textContent === "2");
  }

  await chat(rust, js, "Ferris", "Hello from the Rust page");
  await chat(js, rust, "Alice", "Hi Ferris, the JavaScript page here");

  // Both pages send the same bytes (i % 251); each shows the SHA-256 of what it sent and of
  // what it received.
  const sent = Buffer.from(Array.from({ length: 3 << 20 }, (_, i) => i % 251));
  const sha = createHash("sha256").update(sent).digest("hex").slice(0, 16);
  await rust.click("#large");
  await rust.locator(".log li", { hasText: `Sending 3.0 MiB (SHA-256 ${sha}) through send_all` }).waitFor();
  await js
    .locator(".log li", { hasText: `Received a 3.0 MiB binary message (SHA-256 ${sha}), handed out by recv in 48 parts` })
    .waitFor();
  await js.click("#large");
  // The Rust page gets each message whole from its Stream; its own 3 MiB came back to it too.
  const whole = rust.locator(".log li", { hasText: `Received a 3.0 MiB binary message (SHA-256 ${sha}), whole` });
  await whole.nth(1).waitFor();

  // The server goes away: the Rust page sees the drop and keeps trying; the server comes back
  // on the same port and the page is connected again without a click.
  await demo.stop();
  await rust.waitForSelector('#status[data-state="reconnecting"]');
  // The server's end came without a close frame: the browser says 1006, which uniws's browser
  // backend passes on as a close without a code, so the drop is 1005 (natively it is 1006).
  const code = (await rust.textContent("#close")).match(/^100[56]$/)?.[0];
  assert.ok(code, `the last close shown: ${await rust.textContent("#close")}`);
  await rust.locator(".log li.error", { hasText: `Connection dropped: close code ${code}` }).waitFor();
  // An attempt fails while nothing listens; the next ones wait longer, and one succeeds.
  await rust.locator(".log li.error", { hasText: "Attempt 1 failed" }).waitFor();
  demo = await startDemo();
  await rust.waitForSelector('#status[data-state="open"]');
  const again = await rust.locator(".log li", { hasText: /Connected again at attempt \d+/ }).textContent();
  assert.ok(Number(again.match(/\d+$/)[0]) >= 2, again);
  // The JavaScript page has no automatic reconnection: its button.
  await js.waitForSelector('#status[data-state="closed"]');
  await js.click("#reconnect");
  await js.waitForSelector('#status[data-state="open"]');
  await rust.waitForFunction(() => document.getElementById("clients").textContent === "2");
  await chat(rust, js, "Ferris", "Still here after the restart");
  await chat(js, rust, "Alice", "So am I");

  mkdirSync(join(ROOT, "target/artifacts"), { recursive: true });
  await rust.screenshot({ path: join(ROOT, "target/artifacts/leptos-chat.png") });

  // Our own close: no reconnection, and its code shown.
  await rust.click("#disconnect");
  await rust.waitForSelector('#status[data-state="closed"]');
  assert.match(await rust.textContent("#close"), /^1000/);
  await js.waitForFunction(() => document.getElementById("clients").textContent === "1");
  await context.close();
});
