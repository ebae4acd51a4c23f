//! A deterministic, realistic policy set for benchmarks: NetworkPolicies,
//! CiliumNetworkPolicies and clusterwide policies in the proportions seen in
//! real clusters, with selectors, ports, CIDRs, entities and some L7 rules.
//! Shared by the criterion bench and `examples/bench_input.rs`.

use std::fmt::Write;

/// `count` policies (about half KNP, a third CNP, the rest CCNP), as one
/// multi-document YAML text.
pub fn policies(count: usize) -> String {
    let mut out = String::with_capacity(count * 700);
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    const APPS: [&str; 12] = [
        "web", "api", "cart", "checkout", "payments", "search", "catalog", "auth", "redis", "postgres", "kafka",
        "mailer",
    ];
    for i in 0..count {
        let ns = format!("team-{}", next(40));
        let app = APPS[next(12) as usize];
        let peer = APPS[next(12) as usize];
        let port = [80, 443, 8080, 5432, 6379, 9092][next(6) as usize];
        if i > 0 {
            out.push_str("---\n");
        }
        match next(20) {
            0..=9 => {
                let _ = write!(
                    out,
                    "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {app}-{i}
  namespace: {ns}
  labels:
    app.kubernetes.io/part-of: shop
spec:
  podSelector:
    matchLabels:
      app: {app}
  policyTypes:
  - Ingress
  - Egress
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: {peer}
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: monitoring
      podSelector:
        matchExpressions:
        - key: component
          operator: In
          values: [prometheus, grafana]
    ports:
    - protocol: TCP
      port: {port}
  egress:
  - to:
    - ipBlock:
        cidr: 10.{a}.0.0/16
        except:
        - 10.{a}.{b}.0/24
    ports:
    - protocol: TCP
      port: 443
      endPort: 445
  - ports:
    - protocol: UDP
      port: 53
",
                    a = next(255),
                    b = next(255)
                );
            }
            10..=16 => {
                let _ = write!(
                    out,
                    "apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: {app}-{i}
  namespace: {ns}
spec:
  description: allow {peer} to reach {app}
  endpointSelector:
    matchLabels:
      app: {app}
  ingress:
  - fromEndpoints:
    - matchLabels:
        app: {peer}
    toPorts:
    - ports:
      - port: \"{port}\"
        protocol: TCP
      rules:
        http:
        - method: GET
          path: \"/api/v1/.*\"
  egress:
  - toEndpoints:
    - matchLabels:
        k8s:io.kubernetes.pod.namespace: kube-system
        k8s-app: kube-dns
    toPorts:
    - ports:
      - port: \"53\"
        protocol: ANY
      rules:
        dns:
        - matchPattern: \"*\"
  - toFQDNs:
    - matchPattern: \"*.{peer}.example.com\"
    toPorts:
    - ports:
      - port: \"443\"
        protocol: TCP
"
                );
            }
            _ => {
                let _ = write!(
                    out,
                    "apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata:
  name: {app}-baseline-{i}
spec:
  endpointSelector:
    matchExpressions:
    - key: k8s:io.kubernetes.pod.namespace
      operator: NotIn
      values: [kube-system]
  ingress:
  - fromEntities:
    - cluster
  egressDeny:
  - toCIDRSet:
    - cidr: 169.254.169.254/32
  egress:
  - toEntities:
    - world
    toPorts:
    - ports:
      - port: \"443\"
        protocol: TCP
"
                );
            }
        }
    }
    out
}
