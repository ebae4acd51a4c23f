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
}
