// `netpolkit/web`, the entry point for browsers without a bundler: nothing
// runs until `init()` or `initSync()` has been given the module. Node stands
// in for the browser here; the bytes come through the package's own
// `netpolkit/netpolkit_bg.wasm` export, as a bundler's `?url` import would.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { TYPO } from "./fixtures.mjs";

const wasmBytes = () => readFileSync(fileURLToPath(import.meta.resolve("netpolkit/netpolkit_bg.wasm")));

test("netpolkit/web validates after initSync", async () => {
  const web = await import("netpolkit/web");
  assert.equal(typeof web.default, "function", "the async init() is the default export");
  web.initSync({ module: wasmBytes() });
  const [d] = web.validate(TYPO).diagnostics;
  assert.equal(d.code, "NP101");
  assert.equal(d.path, "spec.podSelecter");
  assert.equal(d.line, 7);
  assert.throws(() => web.validate(TYPO, { ciliumVersion: "2.0" }), Error);
  assert.match(web.format(TYPO).output, /^apiVersion: networking\.k8s\.io\/v1\n/);
});

test("the web and node builds are the same netpolkit", async () => {
  const web = await import("netpolkit/web");
  const node = await import("netpolkit");
  await web.default({ module_or_path: wasmBytes() });
  assert.equal(web.version(), node.version());
  assert.deepEqual(web.validate(TYPO, { ciliumVersion: "1.19" }), node.validate(TYPO, { ciliumVersion: "1.19" }));
});
