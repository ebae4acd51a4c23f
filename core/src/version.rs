//! Cilium versions: the rules the agent and its CRD enforce change with them
//! (cilium-semantics §6).

use std::fmt;
use std::str::FromStr;

/// A Cilium minor release line, e.g. 1.19.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CiliumVersion {
    pub major: u32,
    pub minor: u32,
}

impl CiliumVersion {
    pub const fn new(major: u32, minor: u32) -> Self {
        CiliumVersion { major, minor }
    }

    /// The newest line whose API netpolkit knows (1.20, `main` at the time of
    /// the reference CRDs).
    pub const NEWEST: CiliumVersion = CiliumVersion::new(1, 20);
    /// The oldest line netpolkit gives version-specific advice for.
    pub const OLDEST: CiliumVersion = CiliumVersion::new(1, 14);

    pub const fn at_least(self, major: u32, minor: u32) -> bool {
        self.major > major || (self.major == major && self.minor >= minor)
    }
}

impl Default for CiliumVersion {
    fn default() -> Self {
        CiliumVersion::NEWEST
    }
}

impl fmt::Display for CiliumVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Why a version string was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionError(pub String);

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for VersionError {}

impl FromStr for CiliumVersion {
    type Err = VersionError;

    /// Accepts `1.19`, `1.19.5`, `v1.19.5` and `1.20.0-dev`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || VersionError(format!("`{s}` is not a Cilium version such as 1.19 or v1.19.5"));
        let trimmed = s.trim().trim_start_matches('v');
        let mut parts = trimmed.split(['.', '-']);
        let major: u32 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let minor: u32 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let version = CiliumVersion::new(major, minor);
        if major != 1 || version < CiliumVersion::OLDEST || version > CiliumVersion::NEWEST {
            return Err(VersionError(format!(
                "Cilium {version} is outside the versions netpolkit knows ({} to {})",
                CiliumVersion::OLDEST,
                CiliumVersion::NEWEST
            )));
        }
        Ok(version)
    }
}

/// A Kubernetes minor release, e.g. 1.31: on AKS it decides which Cilium
/// line the cluster runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubernetesVersion {
    pub major: u32,
    pub minor: u32,
}

impl KubernetesVersion {
    pub const fn new(major: u32, minor: u32) -> Self {
        KubernetesVersion { major, minor }
    }
}

impl fmt::Display for KubernetesVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for KubernetesVersion {
    type Err = VersionError;

    /// Accepts `1.31`, `1.31.2` and `v1.31.2`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || VersionError(format!("`{s}` is not a Kubernetes version such as 1.31 or v1.31.2"));
        let trimmed = s.trim().trim_start_matches('v');
        let mut parts = trimmed.split(['.', '-']);
        let major: u32 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let minor: u32 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        if major != 1 {
            return Err(bad());
        }
        Ok(KubernetesVersion::new(major, minor))
    }
}

/// The minimum Cilium release AKS runs for a Kubernetes version, as the
/// "Azure CNI powered by Cilium" page tabulates it (seeds; peers-and-aks §1.2):
/// `(line, patch)`. `None` for versions the table does not list.
pub fn aks_minimum_cilium(kubernetes: KubernetesVersion) -> Option<(CiliumVersion, u32)> {
    const TABLE: [(u32, (u32, u32), u32); 5] = [
        (29, (1, 14), 19),
        (30, (1, 14), 19),
        (31, (1, 16), 6),
        (32, (1, 17), 0),
        (33, (1, 17), 0),
    ];
    if kubernetes.major != 1 {
        return None;
    }
    TABLE
        .iter()
        .find(|(minor, _, _)| *minor == kubernetes.minor)
        .map(|&(_, (major, minor), patch)| (CiliumVersion::new(major, minor), patch))
}

/// The Kubernetes versions the AKS table lists, oldest first.
pub const AKS_TABLE_KUBERNETES: (KubernetesVersion, KubernetesVersion) =
    (KubernetesVersion::new(1, 29), KubernetesVersion::new(1, 33));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_in_the_usual_spellings() {
        assert_eq!("1.19".parse(), Ok(CiliumVersion::new(1, 19)));
        assert_eq!("v1.19.5".parse(), Ok(CiliumVersion::new(1, 19)));
        assert_eq!("1.20.0-dev".parse(), Ok(CiliumVersion::new(1, 20)));
        assert!("1.9".parse::<CiliumVersion>().is_err());
        assert!("banana".parse::<CiliumVersion>().is_err());
        assert!(CiliumVersion::new(1, 19) < CiliumVersion::NEWEST);
        assert!(CiliumVersion::new(1, 19).at_least(1, 16));
    }

    #[test]
    fn aks_table_maps_kubernetes_to_the_minimum_cilium_release() {
        let k = |s: &str| s.parse::<KubernetesVersion>().unwrap();
        assert_eq!(aks_minimum_cilium(k("1.29")), Some((CiliumVersion::new(1, 14), 19)));
        assert_eq!(aks_minimum_cilium(k("v1.31.2")), Some((CiliumVersion::new(1, 16), 6)));
        assert_eq!(aks_minimum_cilium(k("1.33")), Some((CiliumVersion::new(1, 17), 0)));
        assert_eq!(aks_minimum_cilium(k("1.28")), None);
        assert!("2.1".parse::<KubernetesVersion>().is_err());
        assert!("x".parse::<KubernetesVersion>().is_err());
    }
}
