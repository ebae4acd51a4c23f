// `diff` in the npm package: the flows whose verdict differs between two
// texts, or one text under two profiles, as `netpolkit diff` prints them.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { diff } from "netpolkit";
import { CNP_EGRESS_DENY, TYPO } from "./fixtures.mjs";

const packageDir = new URL("./", import.meta.resolve("netpolkit/package.json"));

/** CNP_EGRESS_DENY without its egressDeny: web may reach the database. */
const WITHOUT_DENY = CNP_EGRESS_DENY.slice(0, CNP_EGRESS_DENY.indexOf("  egressDeny:"));

test("removing a deny: every differing flow was denied and is allowed now", () => {
  const result = diff(CNP_EGRESS_DENY, WITHOUT_DENY);
  assert.deepEqual(Object.keys(result).sort(), [
    "differences", "differing", "endpoints", "flows", "newDiagnostics", "oldDiagnostics", "truncated",
  ]);
  assert.equal(result.truncated, false, "a small input's universe is never cut down");
  assert.ok(result.differing > 0 && result.differing <= result.flows, JSON.stringify(result));
  assert.ok(result.endpoints >= 2, "the two pods, and generated endpoints");
  assert.equal(result.differences.length, result.differing, "under the default limit, all are explained");
  for (const d of result.differences) {
    assert.deepEqual([d.port, d.oldAllowed, d.newAllowed], ["TCP/5432", false, true], JSON.stringify(d));
  }
  const named = result.differences.find((d) => d.from === "shop/web" && d.to === "shop/db");
  assert.ok(named, JSON.stringify(result.differences.map((d) => `${d.from} -> ${d.to}`)));
  assert.ok(named.oldReasons.some((r) => /egressDeny\[0\]/.test(r)), JSON.stringify(named.oldReasons));
  assert.deepEqual(result.oldDiagnostics, []);
  assert.deepEqual(result.newDiagnostics, []);

  // The same text: nothing differs.
  const same = diff(CNP_EGRESS_DENY, CNP_EGRESS_DENY);
  assert.equal(same.differing, 0);
  assert.deepEqual(same.differences, []);
  assert.ok(same.flows > 0);
});

test("one text under two profiles, the workloads only, and the limit", () => {
  // Upstream Kubernetes does not enforce a CiliumNetworkPolicy: the deny is gone.
  const profiles = diff(CNP_EGRESS_DENY, CNP_EGRESS_DENY, { oldProfile: "cilium", newProfile: "upstream" });
  assert.ok(profiles.differing > 0);
  assert.ok(profiles.differences.some((d) => d.from === "shop/web" && d.to === "shop/db" && d.port === "TCP/5432" && !d.oldAllowed && d.newAllowed));

  const given = diff(CNP_EGRESS_DENY, WITHOUT_DENY, { workloadsOnly: true });
  assert.ok(given.endpoints < diff(CNP_EGRESS_DENY, WITHOUT_DENY).endpoints, "no generated endpoints");
  assert.deepEqual(
    given.differences.map((d) => [d.from, d.to, d.port]),
    [["shop/web", "shop/db", "TCP/5432"]],
  );

  const one = diff(CNP_EGRESS_DENY, WITHOUT_DENY, { limit: 1 });
  assert.equal(one.differences.length, 1);
  assert.ok(one.differing >= 1);
});

test("errors in either text are reported, located in that text; bad options throw", () => {
  const result = diff(TYPO, CNP_EGRESS_DENY);
  const [typo] = result.oldDiagnostics;
  assert.equal(typo.code, "NP101");
  assert.equal(TYPO.slice(typo.startUtf16, typo.endUtf16), "podSelecter");
  assert.deepEqual(result.newDiagnostics, []);
  assert.deepEqual(diff("", "").differences, []);

  assert.throws(() => diff(TYPO, TYPO, { oldProfile: "calico" }), { message: /^invalid options: .*calico/ });
  assert.throws(() => diff(TYPO, TYPO, { limt: 1 }), { message: /^invalid options: unknown field `limt`/ });
  assert.throws(() => diff(TYPO, TYPO, { ciliumVersion: "1.2x" }), {
    message: "`1.2x` is not a Cilium version such as 1.19 or v1.19.5",
  });
});

test("the TypeScript declarations describe diff", () => {
  for (const dir of ["bundler", "web", "node"]) {
    const dts = readFileSync(new URL(`${dir}/netpolkit.d.ts`, packageDir), "utf8");
    assert.match(dts, /export function diff\(oldText: string, newText: string, options\?: DiffOptions \| null\): DiffResult;/);
    for (const field of ["oldProfile\\?: Profile;", "newProfile\\?: Profile;", "workloadsOnly\\?: boolean;", "limit\\?: number;", "profile\\?: Profile;"]) {
      assert.match(dts, new RegExp(`export interface DiffOptions extends ClusterFacts \\{[^}]*\\n\\s+${field}`), field);
    }
    for (const field of ["endpoints: number;", "flows: number;", "differing: number;", "differences: Difference\\[\\];", "oldDiagnostics: Diagnostic\\[\\];", "newDiagnostics: Diagnostic\\[\\];"]) {
      assert.match(dts, new RegExp(`export interface DiffResult \\{[^}]*\\n\\s+${field}`), field);
    }
  }
});
