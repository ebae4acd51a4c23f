//! Address arithmetic for ipBlock peers, on ipnet: which part of a block,
//! minus its `except` list, lies in the cluster's pod, node or API server
//! ranges (cilium-semantics §3.6: Cilium matches none of those by address).

use ipnet::IpNet;

use crate::profile::Profile;

/// The networks of `from` with every network of `remove` taken out, merged.
pub fn subtract(from: &[IpNet], remove: &[IpNet]) -> Vec<IpNet> {
    let mut out = Vec::new();
    for net in from {
        subtract_one(*net, remove, &mut out);
    }
    IpNet::aggregate(&out)
}

fn subtract_one(net: IpNet, remove: &[IpNet], out: &mut Vec<IpNet>) {
    if remove.iter().any(|r| r.contains(&net)) {
        return;
    }
    if !remove.iter().any(|r| net.contains(r)) {
        out.push(net);
        return;
    }
    // A removed network lies strictly inside: split in halves and recurse.
    if let Ok(halves) = net.subnets(net.prefix_len() + 1) {
        halves.for_each(|half| subtract_one(half, remove, out));
    }
}

/// The addresses both lists hold, merged.
pub fn intersect(a: &[IpNet], b: &[IpNet]) -> Vec<IpNet> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            if x.contains(y) {
                out.push(*y);
            } else if y.contains(x) {
                out.push(*x);
            }
        }
    }
    IpNet::aggregate(&out)
}

/// Whether the union of `nets` holds every address of `net`.
pub fn covers(nets: &[IpNet], net: &IpNet) -> bool {
    subtract(std::slice::from_ref(net), nets).is_empty()
}

/// The parts of an ipBlock that lie inside the cluster's ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// The block minus its `except` list.
    pub block: Vec<IpNet>,
    pub pods: Vec<IpNet>,
    pub nodes: Vec<IpNet>,
    pub api_server: Vec<IpNet>,
}

impl Coverage {
    /// `cidr` minus `except`, against the profile's ranges.
    pub fn of(cidr: IpNet, except: &[IpNet], profile: &Profile) -> Coverage {
        let block = subtract(&[cidr], except);
        Coverage {
            pods: intersect(&block, &profile.pod_cidrs),
            nodes: intersect(&block, &profile.node_cidrs),
            api_server: intersect(&block, &profile.api_server_cidrs),
            block,
        }
    }

    /// The block reaches no pod, node or API server address.
    pub fn is_external(&self) -> bool {
        self.pods.is_empty() && self.nodes.is_empty() && self.api_server.is_empty()
    }

    /// The block holds every pod address of the cluster.
    pub fn all_pods(&self, profile: &Profile) -> bool {
        !profile.pod_cidrs.is_empty() && profile.pod_cidrs.iter().all(|n| covers(&self.pods, n))
    }

    /// The block holds every node address of the cluster.
    pub fn all_nodes(&self, profile: &Profile) -> bool {
        !profile.node_cidrs.is_empty() && profile.node_cidrs.iter().all(|n| covers(&self.nodes, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::ProfileKind;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn subtract_splits_around_the_removed_networks() {
        assert_eq!(
            subtract(&nets(&["10.0.0.0/8"]), &nets(&["10.0.0.0/9"])),
            nets(&["10.128.0.0/9"])
        );
        assert_eq!(
            subtract(&nets(&["10.0.0.0/30"]), &nets(&["10.0.0.1/32"])),
            nets(&["10.0.0.0/32", "10.0.0.2/31"])
        );
        assert!(subtract(&nets(&["10.1.0.0/16"]), &nets(&["10.0.0.0/8"])).is_empty());
        assert_eq!(
            subtract(&nets(&["fd00::/64"]), &nets(&["10.0.0.0/8"])),
            nets(&["fd00::/64"])
        );
    }

    #[test]
    fn intersect_and_covers() {
        assert_eq!(
            intersect(&nets(&["0.0.0.0/0"]), &nets(&["10.244.0.0/16"])),
            nets(&["10.244.0.0/16"])
        );
        assert!(intersect(&nets(&["203.0.113.0/24"]), &nets(&["10.244.0.0/16"])).is_empty());
        assert!(covers(
            &nets(&["10.244.0.0/17", "10.244.128.0/17"]),
            &"10.244.0.0/16".parse().unwrap()
        ));
        assert!(!covers(&nets(&["10.244.0.0/17"]), &"10.244.0.0/16".parse().unwrap()));
    }

    #[test]
    fn coverage_of_the_classic_blocks_under_aks_defaults() {
        let aks = Profile::new(ProfileKind::Aks);
        let everything = Coverage::of("0.0.0.0/0".parse().unwrap(), &[], &aks);
        assert!(everything.all_pods(&aks) && everything.all_nodes(&aks));
        let private_cut = Coverage::of("0.0.0.0/0".parse().unwrap(), &nets(&["10.0.0.0/8"]), &aks);
        assert!(private_cut.is_external(), "except 10/8 leaves no cluster address");
        let external = Coverage::of("203.0.113.0/24".parse().unwrap(), &[], &aks);
        assert!(external.is_external());
        let part = Coverage::of("10.244.1.0/24".parse().unwrap(), &[], &aks);
        assert_eq!(part.pods, nets(&["10.244.1.0/24"]));
        assert!(!part.all_pods(&aks));
    }
}
