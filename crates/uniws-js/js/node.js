// The package's entry for Node and Bun (the "node" and "bun" conditions of package.json):
// the browser module itself, with an `init()` that reads the wasm beside this file instead
// of fetching it, since Node's fetch does not read files. Everything else is the browser
// module's, so the API is the same.
import { readFile } from "node:fs/promises";
import initWasm from "./uniws.js";

export * from "./uniws.js";

/** Loads the wasm (from disk unless given another); resolves once the package is ready. */
export default async function init(input) {
  return initWasm(input ?? { module_or_path: await readFile(new URL("./uniws_bg.wasm", import.meta.url)) });
}
