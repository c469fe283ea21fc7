// The parts of the JavaScript bindings (src/js.rs) that are plain JavaScript work: checking
// the option objects users pass, and making the errors and plain objects the package hands
// back. Written here rather than in Rust because in Rust each property read, check and
// message is wasm code and data, and the package's wasm has a size budget (issue 13); the
// Rust side reads the checked options through typed getters. wasm-bindgen copies this file
// into the package (pkg/snippets/) and imports it from the module it generates.

/** An `Error` of the package: `name` from the stable `code` ("FRAME_TOO_LARGE" gives
 *  "FrameTooLargeError"; a bad argument is a `TypeError`), with `closeCode` and `status`
 *  when given. */
export function uniwsError(message, code, closeCode, status) {
  const error = new Error(message);
  error.name =
    code === "INVALID_ARGUMENT"
      ? "TypeError"
      : code
          .split("_")
          .map((word) => word[0] + word.slice(1).toLowerCase())
          .join("") + "Error";
  error.code = code;
  if (closeCode !== undefined) error.closeCode = closeCode;
  if (status !== undefined) error.status = status;
  return error;
}

function invalid(message) {
  return uniwsError(message, "INVALID_ARGUMENT");
}

// Rust's `str::trim` (Unicode's White_Space), which the comma-separated list of the Rust
// API's `protocol` uses: JavaScript's own `trim` differs on U+0085 and U+FEFF.
const ENDS = /^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;
const trim = (text) => text.replace(ENDS, "");

/** A whole number of at least 0, or a `TypeError` naming `what`. */
function size(value, what) {
  if (Number.isInteger(value) && value >= 0) return value;
  throw invalid(`${what} must be a whole number of at least 0`);
}

/** The `signal` of an options object (of `connect` or of a receiving call), if it has one. */
export function signalOf(options) {
  const signal = options !== null && typeof options === "object" ? options.signal : undefined;
  if (signal === undefined || signal instanceof AbortSignal) return signal;
  throw invalid("signal must be an AbortSignal");
}

/** `ConnectOptions` checked (unknown keys are refused, not ignored) and normalised: each
 *  option present is a property (the heartbeat as two numbers, the params as a flat list of
 *  names and values), for the getters of src/js.rs. */
export function connectOptions(value) {
  const options = { signal: signalOf(value) };
  if (value === undefined || value === null) return options;
  if (!(value instanceof Object)) throw invalid("options must be an object");
  for (const key of Object.keys(value)) {
    const field = value[key];
    switch (key) {
      case "protocol":
        options.protocols =
          typeof field === "string"
            ? field.split(",").map(trim).filter((p) => p !== "")
            : Array.from(field).filter((p) => typeof p === "string");
        break;
      case "timeout":
      case "maxFrameSize":
      case "closeTimeout":
        options[key] = size(field, key);
        break;
      case "heartbeat":
        options.heartbeatInterval = size(field?.interval, "heartbeat.interval");
        options.heartbeatTimeout = size(field?.timeout, "heartbeat.timeout");
        break;
      case "params":
        if (!(field instanceof Object)) throw invalid("params must be an object");
        options.params = Object.entries(field).flatMap(([name, v]) => [name, typeof v === "string" ? v : ""]);
        break;
      case "signal":
        break;
      default:
        throw invalid(`unknown option "${key}"`);
    }
  }
  return options;
}

// The message types as src/js/glue.rs numbers them.
const TYPES = ["binary", "text", "ping", "pong", "close"];

/** What `send`, `sendAll` and `new Message` take, checked: a string (text by default), bytes
 *  (binary by default), or an object with `data`, `type` and `partial` (a `Message` or a
 *  plain one). Gives `{ type, data, partial }` with `type` numbered as in `TYPES` and `data`
 *  a string for text and close, a `Uint8Array` otherwise. */
export function messageParts(value, type, partial) {
  let data = value;
  if (typeof value !== "string" && !(value instanceof Uint8Array)) {
    if (value === null || typeof value !== "object") {
      throw invalid("a message must be a Message, a string or a Uint8Array");
    }
    data = value.data;
    type = typeof value.type === "string" ? value.type : undefined;
    partial = value.partial === true;
  }
  const text = typeof data === "string";
  type ??= text ? "text" : "binary";
  const number = TYPES.indexOf(type);
  if ((type === "text" || type === "close") && text) return { type: number, data, partial };
  if (number >= 0 && type !== "text" && type !== "close" && !text) {
    if (data instanceof Uint8Array) return { type: number, data, partial };
    throw invalid(`${type} data must be a Uint8Array`);
  }
  throw invalid(`data does not fit a message of type "${type}"`);
}

/** `ReconnectOptions` checked, with the defaults filled in. */
export function reconnectOptions(value) {
  const given = value ?? {};
  const ms = (name, fallback) => (given[name] === undefined ? fallback : size(given[name], name));
  const callback = (name) => (typeof given[name] === "function" ? given[name] : undefined);
  return {
    initialDelay: ms("initialDelay", 500),
    maxDelay: ms("maxDelay", 30000),
    maxAttempts: ms("maxAttempts", undefined),
    renew: callback("renew"),
    onState: callback("onState"),
  };
}

/** A `ConnectionState` object: `state` and whichever of the other fields it has. */
export function connectionState(state, attempt, delay, closeCode, reason, error) {
  const object = { state };
  if (attempt !== undefined) object.attempt = attempt;
  if (delay !== undefined) object.delay = delay;
  if (closeCode !== undefined) {
    object.closeCode = closeCode;
    object.reason = reason;
  }
  if (error !== undefined) object.error = error;
  return object;
}

/** One of `ReconnectingWebSocket.drops`. */
export function dropObject(closeCode, reason) {
  return { closeCode, reason };
}

/** `{ value, done }` as an async iterator gives it: `done` when there is no value. */
export function iteratorResult(value) {
  return { value, done: value === undefined };
}

/** Makes the instances of `instance`'s class async-iterable: through their method `method`
 *  (`ws[Symbol.asyncIterator]` is `ws.messages`), or, without one, as their own iterator. */
export function makeAsyncIterable(instance, method) {
  const prototype = Object.getPrototypeOf(instance);
  prototype[Symbol.asyncIterator] = method === undefined ? itself : prototype[method];
}

function itself() {
  return this;
}
