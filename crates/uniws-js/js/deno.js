// The package's entry for Deno (the "deno" condition of package.json): the browser module
// itself, with the wasm imported as a module source (`import source`), which Deno compiles
// from the package's file with no read permission and no fetch; only `--allow-net` is needed,
// for the connections themselves. The API is the browser module's.
import source wasm from "./uniws_bg.wasm";
import initWasm from "./uniws.js";

export * from "./uniws.js";

/** Instantiates the wasm (the one imported above unless given another); resolves once ready. */
export default function init(input) {
  return initWasm(input ?? { module_or_path: wasm });
}
