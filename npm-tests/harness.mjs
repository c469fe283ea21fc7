// Shared by the npm tests: the packed package installed into an empty folder, processes
// started and stopped by handle, free ports on 127.0.0.1, a small static file server,
// headless Chromium through playwright-core and headless Firefox through geckodriver.
import { execFileSync, spawn } from "node:child_process";
import { createServer } from "node:http";
import { createServer as createNetServer, connect } from "node:net";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";

export const ROOT = new URL("..", import.meta.url).pathname;

/** `npm pack` of the package, installed as a user would into a new empty folder. */
export function installPackage() {
  const folder = mkdtempSync(join(tmpdir(), "uniws-npm-"));
  execFileSync("npm", ["pack", "--pack-destination", folder], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  const tarball = readdirSync(folder).find((f) => f.endsWith(".tgz"));
  writeFileSync(join(folder, "package.json"), JSON.stringify({ name: "user", private: true, type: "module" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", `./${tarball}`], { cwd: folder, stdio: "inherit" });
  return folder;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port, deadline = Date.now() + 60000) {
  while (Date.now() < deadline) {
    const open = await new Promise((resolve) => {
      const socket = connect(port, "127.0.0.1", () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

/** Starts a program; `stop()` ends it by its handle. */
export async function start(command, args, port) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  await waitForPort(port);
  return {
    output: () => output,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", resolve);
      child.kill("SIGTERM");
    }),
  };
}

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".css": "text/css" };

/** Serves the files of `dir` on 127.0.0.1. */
export async function serveDir(dir) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
    const file = join(dir, path === "/" ? "index.html" : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, { "Content-Type": TYPES[extname(file)] || "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

/** Headless Chromium, with `extraArgs` besides the usual flags. */
export function launchChromium(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
      "--disable-component-update", "--no-first-run", "--disable-quic", ...extraArgs],
  });
}

/**
 * Headless Firefox driven over WebDriver by geckodriver (UNIWS_GECKODRIVER, UNIWS_FIREFOX
 * from scripts/setup-firefox.sh): `goto(url)`, `evaluate(script)` (a function body whose
 * `return` value, JSON-serialisable, comes back) and `close()`.
 */
export async function launchFirefox() {
  const port = await freePort();
  const driver = await start(process.env.UNIWS_GECKODRIVER, ["--host", "127.0.0.1", "--port", String(port)], port);
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, path, body) => {
    const response = await fetch(base + path, {
      method, headers: { "content-type": "application/json" }, body: body && JSON.stringify(body),
    });
    const { value } = await response.json();
    if (!response.ok) throw new Error(`geckodriver ${path}: ${value.error}: ${value.message}`);
    return value;
  };
  const firefox = { binary: process.env.UNIWS_FIREFOX || "/usr/bin/firefox-esr", args: ["-headless"] };
  const { sessionId } = await call("POST", "/session", {
    capabilities: { alwaysMatch: { browserName: "firefox", "moz:firefoxOptions": firefox } },
  });
  const session = `/session/${sessionId}`;
  return {
    goto: (url) => call("POST", `${session}/url`, { url }),
    evaluate: (script) => call("POST", `${session}/execute/sync`, { script, args: [] }),
    async close() {
      await call("DELETE", session).catch(() => {});
      await driver.stop();
    },
  };
}
