// `convert` in the npm package: the options crossing from JavaScript, the
// converted text, the diagnostics located in the input and in the output,
// the proof, and the TypeScript declarations. What a conversion writes is
// the core's (core/tests/convert.rs); these tests check what reaches
// JavaScript.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { convert } from "netpolkit";
import { CNP_EGRESS_DENY, KNP_OPEN_INGRESS, KNP_OPEN_INGRESS_AS_CNP, TYPO } from "./fixtures.mjs";

const packageDir = new URL("./", import.meta.resolve("netpolkit/package.json"));

/** 1-based line of the first line of `text` that starts with `prefix`. */
const lineOf = (text, prefix) => text.split("\n").findIndex((l) => l.startsWith(prefix)) + 1;

test("NetworkPolicy to CiliumNetworkPolicy: the exact text of §1.8, and the proof", () => {
  const result = convert(KNP_OPEN_INGRESS, { to: "cnp" });
  assert.deepEqual(Object.keys(result).sort(), ["diagnostics", "lossy", "ok", "outputDiagnostics", "proof", "text"]);
  // `ingress: [{}]` is `fromEntities: [all]`; a port without protocol is TCP.
  assert.equal(result.text, KNP_OPEN_INGRESS_AS_CNP);
  assert.equal(result.ok, true);
  assert.equal(result.lossy, false);
  assert.deepEqual(result.diagnostics.filter((d) => d.severity !== "info"), [], "nothing lost");
  assert.deepEqual(result.outputDiagnostics, []);
  assert.equal(Object.getPrototypeOf(result.proof), Object.prototype, "a plain object");
  assert.equal(result.proof.equivalent, true);
  assert.equal(result.proof.differing, 0);
  assert.deepEqual(result.proof.differences, []);
  assert.equal(typeof result.proof.flows, "number");
  assert.equal(typeof result.proof.endpoints, "number");

  // The kinds' names are the core's: the same text under other targets.
  const same = convert(KNP_OPEN_INGRESS, { to: "knp" });
  assert.match(same.text, /^apiVersion: networking\.k8s\.io\/v1\nkind: NetworkPolicy\n/);
  const clusterwide = convert(KNP_OPEN_INGRESS, { to: "ccnp" });
  assert.match(clusterwide.text, /^apiVersion: cilium\.io\/v2\nkind: CiliumClusterwideNetworkPolicy\n/);
});

test("format and prove: JSON output, and no proof when it is not asked for", () => {
  const json = convert(KNP_OPEN_INGRESS, { to: "cnp", format: "json" });
  const doc = JSON.parse(json.text);
  assert.equal(doc.kind, "CiliumNetworkPolicy");
  assert.deepEqual(doc.spec.ingress[0], { fromEntities: ["all"] });
  assert.deepEqual(doc.spec.ingress[1].toPorts, [{ ports: [{ port: "80", protocol: "TCP" }] }]);

  const unproven = convert(KNP_OPEN_INGRESS, { to: "cnp", prove: false });
  assert.equal(unproven.proof, null, "null, not undefined or missing");
  assert.ok("proof" in unproven);
  assert.equal(unproven.text, KNP_OPEN_INGRESS_AS_CNP);
});

test("CiliumNetworkPolicy to NetworkPolicy: the lost egressDeny is NP401 at its line", () => {
  const result = convert(CNP_EGRESS_DENY, { to: "knp" });
  const lost = result.diagnostics.filter((d) => d.code === "NP401");
  assert.equal(lost.length, 1, JSON.stringify(result.diagnostics, null, 2));
  const [d] = lost;
  assert.equal(d.name, "no-equivalent");
  assert.equal(d.severity, "warning");
  assert.equal(d.document, 2);
  assert.match(d.path, /^spec\.egressDeny/);
  // At the `egressDeny:` key or its first rule on the next line.
  const line = lineOf(CNP_EGRESS_DENY, "  egressDeny:");
  assert.equal(line, 23);
  assert.ok([line, line + 1].includes(d.line), `NP401 on line ${d.line}, egressDeny is on line ${line}`);
  assert.ok(d.endUtf16 > d.startUtf16);
  assert.match(CNP_EGRESS_DENY.slice(d.startUtf16, d.endUtf16), /egressDeny|toEndpoints/);

  assert.equal(result.ok, true, "a loss is a warning unless strict");
  assert.equal(result.lossy, true);
  assert.match(result.text, /^apiVersion: networking\.k8s\.io\/v1\nkind: NetworkPolicy\n/);
  assert.doesNotMatch(result.text, /egressDeny|kind: Pod/, "the deny is lost; workloads are not written");
  assert.deepEqual(result.outputDiagnostics, []);
});

test("strict makes every loss an error", () => {
  const result = convert(CNP_EGRESS_DENY, { to: "knp", strict: true });
  assert.equal(result.ok, false);
  assert.equal(result.lossy, true);
  const d = result.diagnostics.find((d) => d.code === "NP401");
  assert.ok(d, JSON.stringify(result.diagnostics));
  assert.equal(d.severity, "error");
  assert.equal(convert(CNP_EGRESS_DENY, { to: "knp", strict: false }).ok, true);
});

test("the proof names the flows the lost deny changes", () => {
  const result = convert(CNP_EGRESS_DENY, { to: "knp" });
  const { proof } = result;
  assert.equal(proof.equivalent, false);
  assert.ok(proof.differing > 0 && proof.differing <= proof.flows, JSON.stringify(proof));
  assert.ok(proof.differences.length > 0 && proof.differences.length <= proof.differing);
  const [first] = proof.differences;
  assert.deepEqual(Object.keys(first).sort(), ["from", "newAllowed", "newReasons", "oldAllowed", "oldReasons", "port", "to"]);
  // Only the deny was lost: every differing flow was denied and is now allowed, on TCP/5432.
  for (const d of proof.differences) {
    assert.deepEqual([d.port, d.oldAllowed, d.newAllowed], ["TCP/5432", false, true], JSON.stringify(d));
  }
  assert.ok(first.oldReasons.length > 0 && first.oldReasons.every((r) => typeof r === "string"));

  // The policy whose conversion changes verdicts is blamed at its document.
  const blamed = result.diagnostics.find((d) => d.code === "NP403");
  assert.ok(blamed, JSON.stringify(result.diagnostics));
  assert.equal(blamed.name, "not-equivalent");
  assert.equal(blamed.line, lineOf(CNP_EGRESS_DENY, "apiVersion: cilium.io/v2"));
  assert.equal(convert(CNP_EGRESS_DENY, { to: "knp", strict: true }).diagnostics.find((d) => d.code === "NP403").severity, "error");
});

test("the input's errors are diagnostics, located in the input, never exceptions", () => {
  const text = "# 🚀 ünïcode first\n" + TYPO;
  const result = convert(text, { to: "cnp" });
  assert.equal(result.ok, false);
  const typo = result.diagnostics.find((d) => d.code === "NP101");
  assert.ok(typo, JSON.stringify(result.diagnostics));
  assert.equal(text.slice(typo.startUtf16, typo.endUtf16), "podSelecter");
  assert.notEqual(typo.start, typo.startUtf16);
  assert.deepEqual([typo.line, typo.column], [8, 3]);
  // The policy with the error is not converted, and the core says so.
  const skipped = result.diagnostics.find((d) => d.code === "NP401" && d.severity === "error");
  assert.ok(skipped, JSON.stringify(result.diagnostics));
  assert.match(skipped.message, /has errors and was not converted/);
  assert.equal(skipped.line, 2);
  assert.equal(result.text, "");

  for (const garbage of ["", "---\n", "{", ": : :", "\u00e9\u00e9: [", "- 1\n- 2\n"]) {
    const r = convert(garbage, { to: "knp" });
    assert.equal(typeof r.text, "string", JSON.stringify(garbage));
    assert.ok(Array.isArray(r.diagnostics));
  }
});

test("bad options throw an Error that says what is wrong", () => {
  assert.throws(() => convert(KNP_OPEN_INGRESS, { to: "calico" }), {
    name: "Error",
    message: /^invalid options: unknown variant `calico`, expected one of `knp`, `cnp`, `ccnp`/,
  });
  assert.throws(() => convert(KNP_OPEN_INGRESS, {}), { message: /^invalid options: missing field `to`/ });
  assert.throws(() => convert(KNP_OPEN_INGRESS), { message: /^invalid options: / });
  assert.throws(() => convert(KNP_OPEN_INGRESS, { to: "cnp", stict: true }), {
    message: /^invalid options: unknown field `stict`/,
  });
  assert.throws(() => convert(KNP_OPEN_INGRESS, { to: "cnp", format: "toml" }), { message: /^invalid options: .*toml/ });
  assert.throws(() => convert(KNP_OPEN_INGRESS, { to: "cnp", ciliumVersion: "1.2x" }), {
    message: "`1.2x` is not a Cilium version such as 1.19 or v1.19.5",
  });
  assert.throws(() => convert(KNP_OPEN_INGRESS, { to: "cnp", podCidrs: ["nonsense"] }), /not a CIDR/);
  // The profile options are explain's.
  assert.equal(convert(KNP_OPEN_INGRESS, { to: "cnp", profile: "upstream", ciliumVersion: "1.19" }).ok, true);
});

test("the TypeScript declarations describe convert", () => {
  for (const dir of ["bundler", "web", "node"]) {
    const dts = readFileSync(new URL(`${dir}/netpolkit.d.ts`, packageDir), "utf8");
    assert.match(dts, /export function convert\(text: string, options: ConvertOptions\): ConvertResult;/);
    assert.match(dts, /export type ConvertTarget = "knp" \| "cnp" \| "ccnp";/);
    for (const field of [
      "to: ConvertTarget;",
      "strict\\?: boolean;",
      "namespace\\?: string;",
      "format\\?: OutputFormat;",
      "prove\\?: boolean;",
      "profile\\?: Profile;",
    ]) {
      assert.match(dts, new RegExp(`export interface ConvertOptions extends ClusterFacts \\{[^}]*\\n\\s+${field}`), field);
    }
    for (const field of ["ciliumVersion\\?: string;", "kubernetesVersion\\?: string;", "podCidrs\\?: string\\[\\];"]) {
      assert.match(dts, new RegExp(`export interface ClusterFacts \\{[^}]*\\n\\s+${field}`), field);
    }
    for (const field of [
      "text: string;",
      "ok: boolean;",
      "lossy: boolean;",
      "diagnostics: Diagnostic\\[\\];",
      "outputDiagnostics: Diagnostic\\[\\];",
      "proof: Proof \\| null;",
    ]) {
      assert.match(dts, new RegExp(`export interface ConvertResult \\{[^}]*\\n\\s+${field}`), field);
    }
    for (const field of ["equivalent: boolean;", "endpoints: number;", "flows: number;", "differing: number;", "differences: Difference\\[\\];"]) {
      assert.match(dts, new RegExp(`export interface Proof \\{[^}]*\\n\\s+${field}`), field);
    }
    for (const field of ["from: string;", "to: string;", "port: string;", "oldAllowed: boolean;", "newAllowed: boolean;", "oldReasons: string\\[\\];", "newReasons: string\\[\\];"]) {
      assert.match(dts, new RegExp(`export interface Difference \\{[^}]*\\n\\s+${field}`), field);
    }
  }
});
