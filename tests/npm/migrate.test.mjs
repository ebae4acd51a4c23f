// `rewrite` and `migrate` from the packed tarball: the AKS FAQ's example
// (peers-and-aks §1.1 item 2), its proven rewrite, the typed options and the
// TypeScript declarations.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { migrate, rewrite, validate } from "netpolkit";

const FAQ = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: example-ipblock
  namespace: default
spec:
  podSelector: {}
  policyTypes:
  - Egress
  egress:
  - to:
    - ipBlock:
        cidr: 0.0.0.0/0
`;

test("migrate locates what breaks and proves the rewrite", () => {
  const result = migrate(FAQ, { from: "upstream", to: "aks", kubernetesVersion: "1.32" });
  assert.equal(result.verdict, "needs-changes");
  assert.match(result.to, /Cilium 1\.17/);
  const codes = result.findings.map((f) => f.code);
  assert.ok(codes.includes("NP601") && codes.includes("NP602"), JSON.stringify(codes));
  const pods = result.findings.find((f) => f.code === "NP601");
  assert.equal(pods.line, 13, "at the cidr");
  assert.equal(FAQ.slice(pods.startUtf16, pods.endUtf16).includes("0.0.0.0/0"), true);
  assert.ok(result.breaking.differing > 0);
  assert.equal(result.afterRewrite.differing, 0);
  assert.equal(result.rewrite.restored, true);
  assert.ok(result.rewrite.edits.length >= 2);
  assert.match(result.rewrite.diff, /^--- a\/input\.yaml\n\+\+\+ b\/input\.yaml\n@@ /);
  assert.equal(result.report, undefined, "rendered only when asked");
  const md = migrate(FAQ, { from: "upstream", report: "md" }).report;
  assert.match(md, /^# netpolkit migrate\n/);
});

test("rewrite edits apply to the text as the editor applies them", () => {
  const result = rewrite(FAQ, { from: "upstream" });
  let text = FAQ;
  for (const edit of [...result.edits].reverse()) {
    text = text.slice(0, edit.startUtf16) + edit.replacement + text.slice(edit.endUtf16);
  }
  assert.equal(text, result.text);
  assert.deepEqual(
    validate(text).diagnostics.filter((d) => d.severity === "error"),
    [],
    "the rewritten text is valid",
  );
  assert.ok(result.diagnostics.some((d) => d.code === "NP620"));
  assert.equal(migrate(text, { from: "upstream" }).verdict, "safe");
});

test("an external CIDR needs nothing, and bad options throw", () => {
  const external = FAQ.replace("0.0.0.0/0", "203.0.113.0/24");
  const result = migrate(external, { from: "upstream" });
  assert.equal(result.verdict, "safe");
  assert.deepEqual(result.findings, []);
  assert.deepEqual(rewrite(external, { from: "upstream" }).edits, []);
  // From Azure NPM the same policy loses NPM's implicit egress to the node
  // (peers-and-aks §1.1 item 4), and only that.
  const npm = migrate(external, { from: "azure-npm" });
  assert.deepEqual([...new Set(npm.findings.map((f) => f.code))], ["NP610"]);
  assert.equal(npm.afterRewrite.differing, 0);
  assert.throws(() => migrate(FAQ, { from: "calico" }), /invalid options/);
  assert.throws(() => migrate(FAQ, { kubernetesVersion: "banana" }), /Kubernetes version/);
  assert.throws(() => rewrite(FAQ, { podCidr: ["10.0.0.0/8"] }), /unknown field/);
});

test("the TypeScript declarations describe rewrite and migrate", () => {
  const packageDir = new URL("./", import.meta.resolve("netpolkit/package.json"));
  for (const dir of ["bundler", "web", "node"]) {
    const dts = readFileSync(new URL(`${dir}/netpolkit.d.ts`, packageDir), "utf8");
    assert.match(dts, /export function migrate\(text: string, options\?: MigrateOptions \| null\): MigrateResult;/);
    assert.match(dts, /export function rewrite\(text: string, options\?: MigrateOptions \| null\): RewriteResult;/);
    assert.match(dts, /export interface MigrateOptions extends ClusterFacts \{[^}]*from\?: MigrateFrom;/);
    assert.match(dts, /export type MigrateFrom = "azure-npm" \| "upstream";/);
    assert.match(dts, /export interface Edit \{/);
  }
});
