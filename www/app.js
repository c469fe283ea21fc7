// The uniws chat demo: a page built on the uniws npm package (served from ./pkg by
// `uniws demo`). Messages go out as JSON text; the server relays them to every tab.
import init, { WebSocket } from "./pkg/uniws.js";

const FRAME_SIZE = 64 * 1024;
const LARGE_SIZE = 3 * 1024 * 1024;
const $ = (id) => document.getElementById(id);
const names = ["Ada", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances"];
$("name").value = localStorage.getItem("uniws-name") || `${names[Math.floor(Math.random() * names.length)]}-${Math.floor(Math.random() * 90 + 10)}`;
$("name").addEventListener("change", () => localStorage.setItem("uniws-name", $("name").value));

let ws = null;

function setStatus(state, text) {
  const pill = $("status");
  pill.className = `pill pill-${state}`;
  pill.dataset.state = state;
  pill.textContent = text;
  const open = state === "open";
  for (const id of ["text", "send", "large", "disconnect"]) $(id).disabled = !open;
}

function log(kind, text, who) {
  const item = document.createElement("li");
  item.className = kind;
  if (who) {
    const name = document.createElement("span");
    name.className = "who";
    name.textContent = who;
    item.append(name);
  }
  item.append(document.createTextNode(text));
  $("log").append(item);
  $("log").scrollTop = $("log").scrollHeight;
}

function mib(bytes) {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

function show(message) {
  let event;
  try {
    event = JSON.parse(message.data);
  } catch {
    log("", message.data);
    return;
  }
  if (event.system) {
    $("clients").textContent = String(event.clients);
    const text = { welcome: "You joined the room", join: "Someone joined", leave: "Someone left" }[event.system];
    log("system", `${text} · ${event.clients} here`);
  } else {
    const mine = event.name === $("name").value;
    log(mine ? "mine" : "", event.text, mine ? "You" : event.name);
  }
}

// The first 16 hex digits of the SHA-256 of `bytes`, to show a large message arrived intact.
async function digest(bytes) {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(hash.slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

// Reads until the connection ends. A browser receives whole messages; recv hands one over
// the frame size out in partial messages of at most that size (as a native peer's frames
// would come): they are counted, to show the limit at work, and put back together.
async function receive(socket) {
  let parts = [];
  for (;;) {
    const message = await socket.recv();
    if (message.type === "close") {
      $("close").textContent = `${message.closeCode ?? "none"} ${message.data || ""}`.trim();
      return;
    }
    if (message.type === "binary") {
      parts.push(message.data);
      if (!message.partial) {
        const whole = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
        parts.reduce((at, part) => (whole.set(part, at), at + part.length), 0);
        const count = `${parts.length} part${parts.length === 1 ? "" : "s"}`;
        log("system", `Received a ${mib(whole.length)} binary message (SHA-256 ${await digest(whole)}), ` +
          `handed out by recv in ${count} of at most ${FRAME_SIZE / 1024} KiB`);
        parts = [];
      }
    } else if (message.type === "text") {
      show(message);
    }
  }
}

async function connect() {
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/chat`;
  $("url").textContent = url;
  setStatus("connecting", "connecting…");
  try {
    ws = await WebSocket.connect(url, { protocol: "chat.v1", timeout: 5000, maxFrameSize: FRAME_SIZE });
  } catch (error) {
    setStatus("closed", "offline");
    log("error", `Could not connect: ${error.code} — ${error.message}`);
    return;
  }
  $("protocol").textContent = ws.protocol ?? "none";
  $("frame-size").textContent = `${ws.maxFrameSize / 1024} KiB`;
  setStatus("open", "connected");
  const socket = ws;
  try {
    await receive(socket);
  } catch (error) {
    if (error.code !== "CLOSED") log("error", `Connection lost: ${error.code} — ${error.message}`);
  }
  if (ws === socket) {
    setStatus("closed", "disconnected");
    ws = null;
  }
}

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("text").value.trim();
  if (!text || !ws) return;
  $("text").value = "";
  try {
    await ws.send(JSON.stringify({ name: $("name").value, text }));
  } catch (error) {
    log("error", `Not sent: ${error.code} — ${error.message}`);
  }
});

$("large").addEventListener("click", async () => {
  if (!ws) return;
  const data = new Uint8Array(LARGE_SIZE).map((_, i) => i % 251);
  log("system", `Sending ${mib(LARGE_SIZE)} (SHA-256 ${await digest(data)}) through sendAll…`);
  try {
    await ws.sendAll(data);
  } catch (error) {
    log("error", `Not sent: ${error.code} — ${error.message}`);
  }
});

$("disconnect").addEventListener("click", async () => {
  if (!ws) return;
  const socket = ws;
  ws = null;
  await socket.close(1000, "bye for now").catch(() => {});
  $("close").textContent = "1000 bye for now (ours)";
  setStatus("closed", "disconnected");
});

$("reconnect").addEventListener("click", async () => {
  if (ws) {
    const socket = ws;
    ws = null;
    await socket.close(1000, "reconnecting").catch(() => {});
  }
  connect();
});

await init();
connect();
