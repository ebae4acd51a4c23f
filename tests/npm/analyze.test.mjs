// `analyze`: precedence findings and the per-workload summary, from the
// packed tarball. The shadowing case is core/tests/findings/shadow.yaml's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { analyze } from "netpolkit";

const SHADOWED = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: allow-admin
  namespace: shop
spec:
  endpointSelector:
    matchLabels:
      app: web
  ingress:
  - fromEndpoints:
    - matchLabels:
        role: admin
    toPorts:
    - ports:
      - port: "9000"
        protocol: TCP
---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata:
  name: deny-admin-port
spec:
  endpointSelector: {}
  enableDefaultDeny:
    ingress: false
  ingressDeny:
  - fromEntities: [all]
    toPorts:
    - ports:
      - port: "9000"
        protocol: TCP
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  labels:
    app: web
spec:
  containers:
  - name: web
    image: nginx
`;

test("analyze finds a CNP allow a CCNP deny shadows, with both locations", () => {
  const { findings } = analyze(SHADOWED);
  const shadow = findings.find((f) => f.code === "NP501");
  assert.ok(shadow, JSON.stringify(findings.map((f) => f.code)));
  assert.equal(shadow.name, "shadowed-rule");
  assert.equal(shadow.severity, "warning");
  assert.equal(shadow.path, "spec.ingress[0]");
  assert.equal(shadow.line, 11);
  assert.match(shadow.message, /deny-admin-port/);
  assert.ok(shadow.hint.length > 0);
  assert.equal(shadow.related.length, 1);
  assert.equal(shadow.related[0].line, 28);
  assert.match(shadow.related[0].message, /CiliumClusterwideNetworkPolicy deny-admin-port/);
  // UTF-16 offsets slice the rule out of the JavaScript string.
  assert.match(SHADOWED.slice(shadow.startUtf16, shadow.endUtf16), /^fromEndpoints:/);
});

test("analyze summarises each workload: isolation, policies, allows and denies", () => {
  const { summary } = analyze(SHADOWED);
  assert.equal(summary.length, 1);
  const web = summary[0];
  assert.equal(web.workload, "shop/web");
  assert.equal(web.kind, "Pod");
  assert.equal(web.ingress.isolated, true);
  assert.deepEqual(web.ingress.policies, [
    "CiliumNetworkPolicy shop/allow-admin",
    "CiliumClusterwideNetworkPolicy deny-admin-port",
  ]);
  assert.deepEqual(web.ingress.denies.map((r) => r.ports), [["9000/TCP"]]);
  assert.equal(web.ingress.allows[0].policy, "CiliumNetworkPolicy shop/allow-admin");
  assert.equal(web.egress.isolated, false);
});

test("analyze takes the profile options, and throws only for bad ones", () => {
  const ipblock = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: pods-by-ip
  namespace: data
spec:
  podSelector: {}
  ingress:
  - from:
    - ipBlock:
        cidr: 10.244.1.0/24
`;
  assert.deepEqual(analyze(ipblock, { profile: "aks" }).findings.map((f) => f.code), ["NP512"], "AKS's own ranges");
  assert.deepEqual(analyze(ipblock, { podCidrs: ["10.244.0.0/16"] }).findings.map((f) => f.code), ["NP512"]);
  assert.deepEqual(analyze(ipblock).findings, [], "under cilium, ranges unknown: no claim");
  assert.deepEqual(analyze(ipblock, { profile: "upstream" }).findings, []);
  assert.deepEqual(analyze(ipblock, { podCidrs: ["192.168.0.0/16"] }).findings, []);
  assert.throws(() => analyze(ipblock, { profile: "calico" }), /invalid options/);
});

test("the TypeScript declarations describe analyze", () => {
  const packageDir = new URL("./", import.meta.resolve("netpolkit/package.json"));
  for (const dir of ["bundler", "web", "node"]) {
    const dts = readFileSync(new URL(`${dir}/netpolkit.d.ts`, packageDir), "utf8");
    assert.match(dts, /export function analyze\(text: string, options\?: AnalyzeOptions \| null\): AnalyzeResult;/);
    assert.match(dts, /export interface AnalyzeResult \{[^}]*\n\s+findings: Diagnostic\[\];/);
    assert.match(dts, /export interface WorkloadSummary \{/);
  }
});
