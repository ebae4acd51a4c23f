//! A deterministic, realistic policy set for benchmarks: NetworkPolicies,
//! CiliumNetworkPolicies and clusterwide policies in the proportions seen in
//! real clusters, with selectors, ports, CIDRs, entities and some L7 rules.
//! Shared by the criterion bench and `examples/bench_input.rs`.

// Each bench uses some of the generators.
#![allow(dead_code)]

use std::fmt::Write;

/// `count` NetworkPolicies only: the NetworkPolicies of [`policies`].
pub fn network_policies(count: usize) -> String {
    let mut n = count * 2;
    loop {
        let all = policies(n);
        let knps: Vec<&str> = all
            .split("---\n")
            .filter(|d| d.contains("\nkind: NetworkPolicy\n"))
            .take(count)
            .collect();
        if knps.len() == count {
            return knps.join("---\n");
        }
        n *= 2;
    }
}

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

/// A cluster: `pods` pods in 20 namespaces (about 60 apps of a few replicas,
/// spread over 10 nodes, with named ports) and `policies` policies selecting
/// them by app, tier and namespace labels — the label spread of a real
/// cluster, where most pods share an identity with their replicas.
pub fn cluster(pods: usize, policies: usize) -> String {
    let mut out = String::with_capacity(pods * 300 + policies * 600);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    const TIERS: [&str; 3] = ["web", "api", "data"];
    for ns in 0..20 {
        let _ = write!(
            out,
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-{ns}\n  labels:\n    team: team-{}\n    env: {}\n---\n",
            ns % 7,
            if ns % 3 == 0 { "prod" } else { "dev" }
        );
    }
    for node in 0..10 {
        let _ = write!(
            out,
            "apiVersion: v1\nkind: Node\nmetadata:\n  name: node-{node}\n  labels:\n    pool: pool-{}\nstatus:\n  addresses:\n  - type: InternalIP\n    address: 10.224.0.{}\n---\n",
            node % 2,
            node + 4
        );
    }
    for i in 0..pods {
        let app = i / 5 % 60;
        let ns = app % 20;
        let tier = TIERS[app % 3];
        let _ = write!(
            out,
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app-{app}-{i}\n  namespace: ns-{ns}\n  labels:\n    app: app-{app}\n    tier: {tier}\n    pod-template-hash: h{}\nspec:\n  nodeName: node-{}\n  containers:\n  - name: main\n    image: example/app\n    ports:\n    - name: http\n      containerPort: {}\n    - name: metrics\n      containerPort: 9090\nstatus:\n  podIP: 10.244.{}.{}\n---\n",
            i % 997,
            next(10),
            8080 + (app % 3) as u16,
            i / 250,
            i % 250 + 2
        );
    }
    for i in 0..policies {
        let ns = next(20);
        let app = next(60);
        let peer = next(60);
        let port = [80, 443, 8080, 5432, 6379, 9090][next(6) as usize];
        if i > 0 {
            out.push_str("---\n");
        }
        match next(10) {
            0..=5 => {
                let _ = write!(
                    out,
                    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p-{i}\n  namespace: ns-{ns}\nspec:\n  podSelector:\n    matchLabels:\n      app: app-{app}\n  policyTypes: [Ingress, Egress]\n  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          app: app-{peer}\n    - namespaceSelector:\n        matchLabels:\n          team: team-{}\n      podSelector:\n        matchExpressions:\n        - {{key: tier, operator: In, values: [web, api]}}\n    ports:\n    - port: {port}\n    - port: http\n  egress:\n  - to:\n    - namespaceSelector: {{}}\n      podSelector:\n        matchLabels:\n          tier: data\n    ports:\n    - port: 5432\n  - ports:\n    - port: 53\n      protocol: UDP\n",
                    next(7)
                );
            }
            6..=8 => {
                let _ = write!(
                    out,
                    "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: c-{i}\n  namespace: ns-{ns}\nspec:\n  endpointSelector:\n    matchLabels:\n      tier: {}\n  ingress:\n  - fromEndpoints:\n    - matchLabels:\n        app: app-{peer}\n    toPorts:\n    - ports:\n      - port: \"{port}\"\n        protocol: TCP\n  egressDeny:\n  - toEntities: [world]\n    toPorts:\n    - ports:\n      - port: \"25\"\n        protocol: TCP\n",
                    TIERS[next(3) as usize]
                );
            }
            _ => {
                let _ = write!(
                    out,
                    "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata:\n  name: cc-{i}\nspec:\n  endpointSelector:\n    matchExpressions:\n    - {{key: k8s:io.cilium.k8s.namespace.labels.env, operator: In, values: [prod]}}\n  ingress:\n  - fromEntities: [cluster]\n    toPorts:\n    - ports:\n      - port: \"9090\"\n        protocol: TCP\n"
                );
            }
        }
    }
    out
}
