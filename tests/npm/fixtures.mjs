// Inputs shared by the npm package tests. Not a test file itself: `cargo
// xtask` copies every .mjs of tests/npm into the consumer project and runs
// only the *.test.mjs ones.

/** A NetworkPolicy with one typo (line 6, column 3). */
export const TYPO = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db
  namespace: shop
spec:
  podSelecter: {}
`;

/** Three documents: the second is not well-formed YAML, the third has a typo on line 19. */
export const STREAM = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: first
spec:
  podSelector: {}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: [broken
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: third
spec:
  podSelector: {}
  policyTypez: [Ingress]
`;

/** `protocol: GRE` in a Cilium port rule: Cilium 1.20 has it, 1.19 does not. */
export const GRE = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: tunnels
spec:
  endpointSelector: {}
  egress:
  - toEntities: [world]
    toPorts:
    - ports:
      - port: "0"
        protocol: GRE
`;

/** Keys out of order and a label value that YAML 1.1 readers take for a boolean. */
export const UNORDERED = `spec:
  podSelector:
    matchLabels:
      feature: 'on'
metadata:
  name: web
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
`;

/** What `format` makes of UNORDERED: kubectl's key order, `on` quoted. */
export const UNORDERED_FORMATTED = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
spec:
  podSelector:
    matchLabels:
      feature: "on"
`;

/** Two kinds of peer in one Cilium rule: the API server accepts it, the agent does not. */
export const COMBINED_PEERS = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: web
spec:
  endpointSelector: {}
  egress:
  - toEndpoints: [{}]
    toCIDR: [10.0.0.0/8]
`;

/**
 * A NetworkPolicy with a rule without peers (cilium-semantics §1.8: it is
 * `fromEntities: [all]` in Cilium, never `{}`) and a port without protocol
 * (TCP in Kubernetes, where Cilium's own default is ANY).
 */
export const KNP_OPEN_INGRESS = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: web
  ingress:
  - {}
  - ports:
    - port: 80
`;

/** What `convert(KNP_OPEN_INGRESS, { to: "cnp" })` writes. */
export const KNP_OPEN_INGRESS_AS_CNP = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: web
  namespace: shop
  annotations:
    netpolkit.dev/converted-from: NetworkPolicy shop/web
spec:
  endpointSelector:
    matchLabels:
      app: web
  ingress:
  - fromEntities:
    - all
  - fromEntities:
    - all
    toPorts:
    - ports:
      - port: "80"
        protocol: TCP
`;

/**
 * Two pods and a CiliumNetworkPolicy whose `egressDeny` (line 23) keeps web
 * from the database. NetworkPolicy has no deny: converted to it, the deny is
 * lost and shop/web -> shop/db TCP/5432 goes from denied to allowed.
 */
export const CNP_EGRESS_DENY = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: db, image: postgres, ports: [{containerPort: 5432}]}]}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  endpointSelector:
    matchLabels:
      app: web
  egress:
  - toEndpoints:
    - {}
  egressDeny:
  - toEndpoints:
    - matchLabels:
        app: db
    toPorts:
    - ports:
      - port: "5432"
        protocol: TCP
`;
