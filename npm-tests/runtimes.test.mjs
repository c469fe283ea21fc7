// The packed package, installed into an empty folder, in every runtime it claims: Node 22,
// Deno and Bun run a script that imports "uniws" by name (no bundler, no loader flags);
// Chromium and Firefox run the same checks in a page (an import map names the package) and
// in a module Web Worker (which imports the file), and in Chromium as a page bundled by
// esbuild for the browser (the `browser` condition). All against examples/test_server on
// 127.0.0.1, all through npm-tests/check.mjs, so every runtime is held to one result.
// The runtimes are the npm packages of npm-tests/runtimes/ (installed by scripts/test-npm.sh).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { ROOT, freePort, start, serveDir, launchChromium, launchFirefox, installPackage } from "./harness.mjs";
import { expected } from "./check.mjs";

const BIN = join(ROOT, "npm-tests/runtimes/node_modules/.bin");
let folder, server, url, silent, files;

before(async () => {
  folder = installPackage();
  copyFileSync(join(ROOT, "npm-tests/check.mjs"), join(folder, "check.mjs"));
  // A script as a user of a server-side runtime writes it: import by name, init, use.
  writeFileSync(join(folder, "main.mjs"), `import init, * as uniws from "uniws";
import { check } from "./check.mjs";
await init();
const [url, silent] = globalThis.Deno ? Deno.args : process.argv.slice(2);
console.log(JSON.stringify(await check(uniws, url, silent)));
`);
  // A page and a module worker as the README says to write them; the page shows in #result
  // what the checks gave, in the page itself or in the worker (?in=worker).
  writeFileSync(join(folder, "index.html"), `<!doctype html><script type="importmap">
    {"imports": {"uniws": "./node_modules/uniws/pkg/uniws.js"}}</script>
    <pre id="result"></pre>
    <script type="module">
    import init, * as uniws from "uniws";
    import { check } from "./check.mjs";
    const query = new URLSearchParams(location.search);
    const args = [query.get("url"), query.get("silent")];
    const inWorker = () => new Promise((resolve, reject) => {
      const worker = new Worker("./worker.mjs", { type: "module" });
      worker.onmessage = ({ data }) => (data.error ? reject(new Error(data.error)) : resolve(data.value));
      worker.onerror = (e) => reject(new Error("worker: " + e.message));
      worker.postMessage(args);
    });
    const run = query.get("in") === "worker" ? inWorker() : init().then(() => check(uniws, ...args));
    run.then((value) => ({ value }), (e) => ({ error: e + "\\n" + e.stack }))
      .then((outcome) => { document.getElementById("result").textContent = JSON.stringify(outcome); });
    </script>`);
  writeFileSync(join(folder, "worker.mjs"), `import init, * as uniws from "./node_modules/uniws/pkg/uniws.js";
import { check } from "./check.mjs";
onmessage = async ({ data: [url, silent] }) => {
  try {
    await init();
    postMessage({ value: await check(uniws, url, silent) });
  } catch (e) {
    postMessage({ error: e + "\\n" + e.stack });
  }
};
`);
  const port = await freePort();
  const silentPort = await freePort();
  server = await start(join(ROOT, "target/debug/examples/test_server"), [`127.0.0.1:${port}`, `127.0.0.1:${silentPort}`], port);
  url = `ws://127.0.0.1:${port}`;
  silent = `ws://127.0.0.1:${silentPort}`;
  files = await serveDir(folder);
});

after(async () => {
  await files?.close();
  await server?.stop();
});

/** Runs main.mjs under a runtime and returns what check() gave. */
async function runScript(command, args) {
  const { stdout } = await promisify(execFile)(join(BIN, command), [...args, "main.mjs", url, silent], {
    cwd: folder, timeout: 60000, env: { ...process.env, NO_COLOR: "1" },
  });
  return JSON.parse(stdout.trim().split("\n").pop());
}

test("Node 22: import \"uniws\", await init()", { timeout: 90000 }, async () => {
  assert.deepEqual(await runScript("node", []), expected);
});

test("Deno: import \"uniws\", await init()", { timeout: 90000 }, async () => {
  // Deno's one permission for this: the network (the wasm is imported, not read).
  assert.deepEqual(await runScript("deno", ["run", "--allow-net=127.0.0.1"]), expected);
});

test("Bun: import \"uniws\", await init()", { timeout: 90000 }, async () => {
  assert.deepEqual(await runScript("bun", ["run"]), expected);
});

/** The page's address that runs the checks in the page itself or in a Worker. */
const pageUrl = (where) => `${files.url}/?in=${where}&url=${encodeURIComponent(url)}&silent=${encodeURIComponent(silent)}`;

/** What the page showed in #result: the checks' result, or their error thrown here. */
function outcome(text, where) {
  const { value, error } = JSON.parse(text);
  if (error) throw new Error(`${where}: ${error}`);
  return value;
}

test("Chromium: a page and a Web Worker", { timeout: 120000 }, async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    for (const where of ["page", "worker"]) {
      await page.goto(pageUrl(where));
      await page.waitForFunction(() => document.getElementById("result").textContent !== "", null, { timeout: 60000 });
      assert.deepEqual(outcome(await page.textContent("#result"), where), expected, where);
    }
  } finally {
    await browser.close();
  }
});

test("a bundler for the browser: esbuild takes the browser entry, the bundle runs in Chromium", { timeout: 120000 }, async () => {
  // A page's script as a bundler user writes it: import by name, init, use. esbuild's browser
  // platform resolves the `browser` condition; the node and deno entries would not bundle
  // for it (they import `node:fs` and a wasm module source).
  const dir = join(folder, "bundled");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(folder, "bundle-entry.mjs"), `import init, * as uniws from "uniws";
import { check } from "./check.mjs";
const query = new URLSearchParams(location.search);
init()
  .then(() => check(uniws, query.get("url"), query.get("silent")))
  .then((value) => ({ value }), (e) => ({ error: e + "\\n" + e.stack }))
  .then((outcome) => { document.getElementById("result").textContent = JSON.stringify(outcome); });
`);
  writeFileSync(join(dir, "index.html"), `<!doctype html><pre id="result"></pre><script type="module" src="./app.js"></script>`);
  const { metafile } = await build({
    absWorkingDir: folder, entryPoints: ["bundle-entry.mjs"], outfile: join(dir, "app.js"),
    bundle: true, platform: "browser", format: "esm", metafile: true, logLevel: "silent",
  });
  const inputs = Object.keys(metafile.inputs).filter((input) => input.startsWith("node_modules/uniws/"));
  assert.ok(inputs.includes("node_modules/uniws/pkg/uniws.js"), inputs.join(", "));
  assert.ok(inputs.some((input) => input.endsWith("/glue.js")), inputs.join(", "));
  assert.ok(!inputs.some((input) => /\/(node|deno)\.js$/.test(input)), inputs.join(", "));
  // esbuild leaves `new URL("uniws_bg.wasm", import.meta.url)` as it is: the wasm goes beside
  // the bundle, as the README says.
  copyFileSync(join(folder, "node_modules/uniws/pkg/uniws_bg.wasm"), join(dir, "uniws_bg.wasm"));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`${files.url}/bundled/index.html?url=${encodeURIComponent(url)}&silent=${encodeURIComponent(silent)}`);
    await page.waitForFunction(() => document.getElementById("result").textContent !== "", null, { timeout: 60000 });
    assert.deepEqual(outcome(await page.textContent("#result"), "bundle"), expected);
  } finally {
    await browser.close();
  }
});

test("Firefox: a page and a Web Worker", { timeout: 120000 }, async () => {
  const firefox = await launchFirefox();
  try {
    for (const where of ["page", "worker"]) {
      await firefox.goto(pageUrl(where));
      let text = "";
      for (let i = 0; i < 600 && !text; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        text = await firefox.evaluate('return document.getElementById("result").textContent;');
      }
      assert.deepEqual(outcome(text, where), expected, where);
    }
  } finally {
    await firefox.close();
  }
});
