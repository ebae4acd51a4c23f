// The bundler build (the "browser" and "default" conditions of the exports
// map) imports its .wasm as an ES module, as webpack's asyncWebAssembly and
// vite-plugin-wasm do. Node can do the same behind a flag, so a child node
// with `--conditions=browser --experimental-wasm-modules` stands in for a
// bundler and checks that this entry point loads and works.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const packageVersion = JSON.parse(readFileSync(new URL(import.meta.resolve("netpolkit/package.json")), "utf8")).version;

const SCRIPT = `
import { validate, format, version } from "netpolkit";
import { TYPO } from "./fixtures.mjs";
const [d] = validate(TYPO, { ciliumVersion: "1.19" }).diagnostics;
console.log(JSON.stringify({ version: version(), code: d.code, line: d.line, formatted: format(TYPO).output }));
`;

test("the bundler build loads through the browser condition", () => {
  // Inside the consumer project, so "netpolkit" resolves to the installed package.
  const script = fileURLToPath(new URL("./bundler-check.mjs", import.meta.url));
  writeFileSync(script, SCRIPT);
  let stdout;
  try {
    stdout = execFileSync(
      process.execPath,
      ["--conditions=browser", "--experimental-wasm-modules", "--no-warnings", script],
      { encoding: "utf8" },
    );
  } finally {
    rmSync(script, { force: true });
  }
  const printed = JSON.parse(stdout);
  assert.equal(printed.code, "NP101");
  assert.equal(printed.line, 7);
  assert.match(printed.formatted, /^apiVersion: networking\.k8s\.io\/v1\nkind: NetworkPolicy\n/);
  assert.equal(printed.version, packageVersion);
});
