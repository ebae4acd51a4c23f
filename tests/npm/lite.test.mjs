// `netpolkit/lite`: validate, parse and format in a module of their own, for
// pages that only check manifests and should not load the engine, the
// conversion and the migration (BENCHMARKS.md, Sizes).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";

import * as lite from "netpolkit/lite";
import * as full from "netpolkit";
import { TYPO } from "./fixtures.mjs";

const packageDir = new URL("./", import.meta.resolve("netpolkit/package.json"));

test("the lite module checks, reads and formats exactly as the whole package does", () => {
  assert.deepEqual(lite.validate(TYPO), full.validate(TYPO));
  assert.deepEqual(lite.validate(TYPO, { ciliumVersion: "1.19" }), full.validate(TYPO, { ciliumVersion: "1.19" }));
  assert.deepEqual(lite.parse(TYPO), full.parse(TYPO));
  assert.deepEqual(lite.format(TYPO), full.format(TYPO));
  assert.equal(lite.version(), full.version());
  assert.throws(() => lite.validate(TYPO, { ciliumversion: "1.19" }), {
    message: "invalid options: unknown field `ciliumversion`, did you mean `ciliumVersion`?",
  });
});

test("the lite module has only validate, parse, format and version, and is the smaller download", () => {
  const exported = Object.keys(lite).filter((k) => typeof lite[k] === "function" && k !== "default").sort();
  assert.deepEqual(exported, ["format", "parse", "validate", "version"]);
  for (const dir of ["bundler", "web", "node"]) {
    const dts = readFileSync(new URL(`lite/${dir}/netpolkit.d.ts`, packageDir), "utf8");
    assert.match(dts, /export function validate\(text: string, options\?: ValidateOptions \| null\): ValidateResult;/);
    assert.doesNotMatch(dts, /export function convert/);
    const liteSize = statSync(new URL(`lite/${dir}/netpolkit_bg.wasm`, packageDir)).size;
    const fullSize = statSync(new URL(`${dir}/netpolkit_bg.wasm`, packageDir)).size;
    assert.ok(liteSize < fullSize / 2, `${dir}: ${liteSize} B against ${fullSize} B`);
  }
});
