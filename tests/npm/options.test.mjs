// Every function that decides flows takes the same cluster facts
// (`ClusterFacts` in the declarations), and every options object refuses
// keys it does not know, with a suggestion for a near miss.
import { test } from "node:test";
import assert from "node:assert/strict";

import { analyze, connectivity, convert, diff, explain, migrate, rewrite, validate } from "netpolkit";

// A pod range reached through an ipBlock: Cilium matches it only with
// `policy-cidr-match-mode: pods` (cilium-semantics §3.6).
const BLOCK = `apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
spec: {containers: [{name: c, image: x}]}
status: {podIP: 10.244.3.3}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: db, image: postgres}]}
status: {podIP: 10.244.1.1}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{ipBlock: {cidr: 10.244.0.0/16}}]
    ports: [{port: 5432}]
`;

const FACTS = {
  ciliumVersion: "1.16",
  kubernetesVersion: "1.31",
  acns: false,
  localDns: false,
  cidrMatchMode: ["pods"],
  podCidrs: ["10.244.0.0/16"],
  nodeCidrs: ["10.224.0.0/16"],
  serviceCidrs: ["10.0.0.0/16"],
  apiServerCidrs: ["10.0.0.1/32"],
  clusterName: "default",
};

const FLOW = { from: "shop/client", to: "shop/db", port: "5432" };

// Each function with its required options, called with extra options.
const CALLS = {
  analyze: (o) => analyze(BLOCK, o),
  connectivity: (o) => connectivity(BLOCK, o),
  explain: (o) => explain(BLOCK, FLOW, o),
  convert: (o) => convert(BLOCK, { to: "cnp", ...o }),
  diff: (o) => diff(BLOCK, BLOCK, o),
  migrate: (o) => migrate(BLOCK, o),
  rewrite: (o) => rewrite(BLOCK, o),
};

test("every function that decides flows takes every cluster fact", () => {
  for (const [name, call] of Object.entries(CALLS)) {
    assert.doesNotThrow(() => call(FACTS), name);
  }
});

test("a cluster fact changes the verdicts of every function that reports them", () => {
  const pods = { profile: "cilium", cidrMatchMode: ["pods"] };
  assert.equal(explain(BLOCK, FLOW, { profile: "cilium" }).verdict, "deny");
  assert.equal(explain(BLOCK, FLOW, pods).verdict, "allow");

  const cell = (m) => {
    const from = m.endpoints.indexOf("shop/client");
    const to = m.endpoints.indexOf("shop/db");
    const port = m.ports.indexOf("TCP/5432");
    return m.allowed[(from * m.endpoints.length + to) * m.ports.length + port];
  };
  assert.equal(cell(connectivity(BLOCK, { profile: "cilium" })), 0);
  assert.equal(cell(connectivity(BLOCK, pods)), 1);

  // Upstream against Cilium: the pod is lost unless Cilium matches pods by CIDR.
  const lost = diff(BLOCK, BLOCK, { oldProfile: "upstream", newProfile: "cilium", workloadsOnly: true });
  const kept = diff(BLOCK, BLOCK, { oldProfile: "upstream", newProfile: "cilium", workloadsOnly: true, cidrMatchMode: ["pods"] });
  assert.ok(lost.differences.some((d) => d.from === "shop/client" && d.to === "shop/db"), JSON.stringify(lost.differences));
  assert.ok(!kept.differences.some((d) => d.from === "shop/client" && d.to === "shop/db"), JSON.stringify(kept.differences));
});

test("a misspelt option throws, naming the field it was meant to be", () => {
  for (const [name, call] of Object.entries(CALLS)) {
    assert.throws(() => call({ kubernetesversion: "1.31" }), {
      message: "invalid options: unknown field `kubernetesversion`, did you mean `kubernetesVersion`?",
    }, name);
  }
  assert.throws(() => validate(BLOCK, { podCidrs: ["10.244.0.0/16"] }), {
    message: "invalid options: unknown field `podCidrs`, expected one of `ciliumVersion`",
  });
  assert.throws(() => explain(BLOCK, { ...FLOW, protocol: "TCP" }), /^Error: invalid options: unknown field `protocol`/);
});
