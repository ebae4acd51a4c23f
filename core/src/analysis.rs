//! One call from text to everything the engine needs: parse, resolve the
//! profile, validate under it, lower the policies, build the cluster.

use crate::cluster::Cluster;
use crate::engine::{Connectivity, ConnectivityOptions, Engine, Explanation, FlowQuery};
use crate::ir::{self, lower::LowerOptions, Lowered};
use crate::profile::{self, Profile, ProfileSettings};
use crate::{parse, sort_diagnostics, validate, Options, Parsed};

/// What to analyse with.
#[derive(Clone, Debug, Default)]
pub struct AnalyzeOptions {
    /// Profile settings from the front end (flags); they override a
    /// ClusterProfile document in the input.
    pub profile: ProfileSettings,
    /// Lower policies even when they have errors, as Cilium's own unit tests
    /// feed its translation objects the API server would refuse.
    pub lower_invalid: bool,
}

/// A text, read, checked and lowered under its profile.
#[derive(Clone, Debug)]
pub struct Analysis {
    pub parsed: Parsed,
    pub profile: Profile,
    pub lowered: Lowered,
    pub cluster: Cluster,
}

pub fn analyze(text: &str, options: &AnalyzeOptions) -> Analysis {
    analyze_parsed(parse(text), options)
}

/// [`analyze`] for documents already read (or built, as a conversion's
/// output is): everything after parsing.
pub fn analyze_parsed(parsed: Parsed, options: &AnalyzeOptions) -> Analysis {
    let mut analysis = Analysis::unlowered(parsed, options);
    analysis.lower(options);
    analysis
}

impl Analysis {
    /// Everything but lowering (`lowered` stays empty): for callers that
    /// need the IR only sometimes, as a conversion without its proof.
    pub(crate) fn unlowered(mut parsed: Parsed, options: &AnalyzeOptions) -> Analysis {
        let profile = profile::resolve(&parsed.documents, &options.profile);
        let check = Options {
            cilium_version: profile.cilium_version,
        };
        validate::validate(&parsed.documents, &check, &mut parsed.diagnostics);
        sort_diagnostics(&mut parsed.diagnostics);
        let cluster = Cluster::build(&parsed.documents, &profile);
        Analysis {
            parsed,
            profile,
            lowered: Lowered::default(),
            cluster,
        }
    }

    /// Lowers the policies (see [`Analysis::unlowered`]).
    pub(crate) fn lower(&mut self, options: &AnalyzeOptions) {
        let lower_options = LowerOptions {
            include_invalid: options.lower_invalid,
        };
        self.lowered = ir::lower(
            &self.parsed.documents,
            &self.parsed.diagnostics,
            &self.profile,
            lower_options,
        );
    }

    pub fn engine(&self) -> Engine<'_> {
        Engine::new(&self.profile, &self.lowered, &self.cluster)
    }

    pub fn explain(&self, query: &FlowQuery) -> Result<Explanation, String> {
        self.engine().explain(query)
    }

    pub fn connectivity(&self, options: &ConnectivityOptions) -> Connectivity {
        self.engine().connectivity(options)
    }

    /// Precedence and conflict findings (`NP5xx`) for the whole set.
    pub fn findings(&self) -> Vec<crate::Diagnostic> {
        crate::findings::find(self)
    }

    /// Per workload and direction: isolation, selecting policies, allows and denies.
    pub fn summary(&self) -> Vec<crate::findings::WorkloadSummary> {
        crate::findings::summarize(self)
    }
}
