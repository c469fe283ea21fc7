// The demo as a person uses it: `uniws demo` serves www/ and the chat endpoint; two tabs
// in headless Chromium join the room, a message typed in one appears in the other, the
// large-message button's 3 MiB arrive intact (their SHA-256) in parts of the frame size, and
// a screenshot is saved as a test artifact (target/artifacts/demo.png).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT, freePort, start, launchChromium } from "./harness.mjs";

let demo, browser, url;

before(async () => {
  const port = await freePort();
  demo = await start(join(ROOT, "target/debug/uniws"), ["demo", `127.0.0.1:${port}`, "--www", join(ROOT, "www")], port);
  url = `http://127.0.0.1:${port}/`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

test("a message typed in one tab appears in the other", { timeout: 240000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  // Every wait only guards against a hang, however loaded the machine.
  context.setDefaultTimeout(60000);
  const [alice, bob] = [await context.newPage(), await context.newPage()];
  for (const [page, name] of [[alice, "Alice"], [bob, "Bob"]]) {
    await page.goto(url);
    await page.fill("#name", name);
    await page.dispatchEvent("#name", "change");
    await page.waitForSelector('#status[data-state="open"]', { timeout: 60000 });
  }
  assert.equal(await alice.textContent("#protocol"), "chat.v1");
  assert.equal(await alice.textContent("#frame-size"), "64 KiB");
  await bob.waitForFunction(() => document.getElementById("clients").textContent === "2");

  await alice.fill("#text", "Hello from Alice — how is everyone?");
  await alice.press("#text", "Enter");
  const seen = bob.locator(".log li", { hasText: "Hello from Alice — how is everyone?" });
  await seen.waitFor({ timeout: 60000 });
  assert.equal(await seen.locator(".who").textContent(), "Alice");

  await bob.fill("#text", "Hi Alice, Bob here");
  await bob.press("#text", "Enter");
  await alice.locator(".log li", { hasText: "Bob here" }).waitFor({ timeout: 60000 });

  await alice.click("#large");
  // The bytes the page sends (i % 251), hashed here on their own: Bob's page shows the
  // SHA-256 of what it put back together.
  const sent = Buffer.from(Array.from({ length: 3 << 20 }, (_, i) => i % 251));
  const sha = createHash("sha256").update(sent).digest("hex").slice(0, 16);
  const large = bob.locator(".log li", { hasText: "Received a 3.0 MiB binary message" });
  await large.waitFor({ timeout: 60000 });
  assert.match(await large.textContent(), new RegExp(`\\(SHA-256 ${sha}\\), handed out by recv in 48 parts of at most 64 KiB`));

  mkdirSync(join(ROOT, "target/artifacts"), { recursive: true });
  await bob.screenshot({ path: join(ROOT, "target/artifacts/demo.png") });

  await alice.click("#disconnect");
  await alice.waitForSelector('#status[data-state="closed"]');
  assert.match(await alice.textContent("#close"), /^1000/);
  await bob.waitForFunction(() => document.getElementById("clients").textContent === "1");
  await context.close();
});
