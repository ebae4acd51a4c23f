//! The Migrate tab: the target cluster (dataplane of today, target, versions,
//! ACNS, LocalDNS, address ranges), the verdict of the move
//! (`netpolkit::migrate::migrate`, as `netpolkit migrate` reports it), each
//! breaking change (listed here and marked in the editor), each proposed edit
//! with its diff and an Apply button, and the flows before and after.

use std::rc::Rc;

use ipnet::IpNet;
use netpolkit::migrate::unified::{self, Change};
use netpolkit::migrate::{Edit, MigrateOptions, Migration, Verdict};
use netpolkit::profile::{ProfileKind, ProfileSettings};
use netpolkit::{CiliumVersion, KubernetesVersion, LineIndex, LocatedDiagnostic};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::app::Checked;
use crate::results::{diagnostic, plural};
use crate::text;

/// Differing flows listed per comparison at most.
const MAX_FLOWS: usize = 8;

/// The Kubernetes versions the AKS table lists (the Cilium line follows).
const KUBERNETES: [&str; 5] = ["1.29", "1.30", "1.31", "1.32", "1.33"];

/// What the Target cluster controls set. Text fields hold what was typed;
/// [`MigrateSettings::options`] reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrateSettings {
    pub from: ProfileKind,
    pub to: ProfileKind,
    /// Empty: not given.
    pub kubernetes: String,
    /// Empty: the line AKS runs for the Kubernetes version.
    pub cilium: String,
    pub acns: bool,
    pub local_dns: bool,
    /// Comma-separated; empty: the AKS defaults.
    pub pod_cidrs: String,
    pub node_cidrs: String,
    pub service_cidrs: String,
}

impl Default for MigrateSettings {
    fn default() -> Self {
        MigrateSettings {
            from: ProfileKind::AzureNpm,
            to: ProfileKind::Aks,
            kubernetes: String::new(),
            cilium: String::new(),
            acns: false,
            local_dns: false,
            pod_cidrs: String::new(),
            node_cidrs: String::new(),
            service_cidrs: String::new(),
        }
    }
}

impl MigrateSettings {
    /// The core's options; a malformed field is a message for the panel.
    pub fn options(&self) -> Result<MigrateOptions, String> {
        let nets = |field: &str, list: &str| -> Result<Option<Vec<IpNet>>, String> {
            let items: Vec<&str> = list.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
            if items.is_empty() {
                return Ok(None);
            }
            items
                .iter()
                .map(|s| s.parse().map_err(|_| format!("{field}: `{s}` is not a CIDR")))
                .collect::<Result<Vec<_>, _>>()
                .map(Some)
        };
        let kubernetes = match self.kubernetes.trim() {
            "" => None,
            v => Some(v.parse::<KubernetesVersion>().map_err(|e| e.to_string())?),
        };
        let cilium = match self.cilium.trim() {
            "" => None,
            v => Some(v.parse::<CiliumVersion>().map_err(|e| e.to_string())?),
        };
        Ok(MigrateOptions {
            from: self.from,
            target: ProfileSettings {
                kind: Some(self.to),
                kubernetes_version: kubernetes,
                cilium_version: cilium,
                acns: Some(self.acns),
                local_dns: Some(self.local_dns),
                pod_cidrs: nets("Pod CIDRs", &self.pod_cidrs)?,
                node_cidrs: nets("Node CIDRs", &self.node_cidrs)?,
                service_cidrs: nets("Service CIDRs", &self.service_cidrs)?,
                ..ProfileSettings::default()
            },
            max_explained: MAX_FLOWS,
        })
    }
}

/// One migration and what it was made of.
#[derive(Debug)]
pub struct Migrated {
    pub checked: Rc<Checked>,
    pub settings: MigrateSettings,
    /// `Err`: a setting could not be read.
    pub migration: Result<Migration, String>,
    /// Breaking changes, then the rewrite's own diagnostics, located in the text.
    pub diagnostics: Vec<LocatedDiagnostic>,
}

impl PartialEq for Migrated {
    fn eq(&self, other: &Self) -> bool {
        self.settings == other.settings && (Rc::ptr_eq(&self.checked, &other.checked) || self.checked == other.checked)
    }
}

impl Migrated {
    pub fn run(checked: &Rc<Checked>, settings: &MigrateSettings) -> Self {
        let migration = settings
            .options()
            .map(|options| netpolkit::migrate::migrate(&checked.text, &options));
        let index = LineIndex::new(&checked.text);
        let diagnostics = match &migration {
            Ok(m) => m
                .findings
                .iter()
                .chain(&m.rewrite.diagnostics)
                .map(|d| d.locate(&checked.text, &index))
                .collect(),
            Err(_) => Vec::new(),
        };
        Migrated {
            checked: checked.clone(),
            settings: settings.clone(),
            migration,
            diagnostics,
        }
    }

    /// The index the editor's marks give diagnostic `i`: after the report's own.
    pub fn mark_index(&self, i: usize) -> usize {
        self.checked.report.diagnostics.len() + i
    }

    pub fn marks(&self) -> Vec<text::Mark> {
        text::marks_from(&self.diagnostics, self.mark_index(0))
    }
}

/// `text` with `edits` (sorted, not overlapping) applied.
pub fn apply(text: &str, edits: &[&Edit]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in edits {
        let start = e.range.start.clamp(at, text.len());
        out.push_str(&text[at..start]);
        out.push_str(&e.replacement);
        at = e.range.end.clamp(start, text.len());
    }
    out.push_str(&text[at..]);
    out
}

fn verdict_words(v: Verdict) -> &'static str {
    match v {
        Verdict::Safe => "Safe to migrate",
        Verdict::NeedsChanges => "Needs changes",
        Verdict::Blocked => "Blocked",
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub migrated: Rc<Migrated>,
    /// The diagnostic picked last (an index of the editor's marks).
    pub active: Option<usize>,
    /// Whether the editor still holds the text migrated (edits apply only then).
    pub current: bool,
    pub on_settings: Callback<MigrateSettings>,
    /// Called with an index into [`Migrated::diagnostics`].
    pub on_diagnostic: Callback<usize>,
    /// Called with the whole new text.
    pub on_apply: Callback<String>,
}

#[function_component(MigratePanel)]
pub fn migrate_panel(props: &Props) -> Html {
    let Props {
        migrated,
        active,
        current,
        on_settings,
        on_diagnostic,
        on_apply,
    } = props;
    let settings = &migrated.settings;
    let set = |f: fn(&mut MigrateSettings, String)| {
        let (on_settings, settings) = (on_settings.clone(), settings.clone());
        Callback::from(move |e: Event| {
            let value = match e.target_dyn_into::<HtmlSelectElement>() {
                Some(select) => select.value(),
                None => {
                    let input: HtmlInputElement = e.target_unchecked_into();
                    if input.type_() == "checkbox" {
                        input.checked().to_string()
                    } else {
                        input.value()
                    }
                }
            };
            let mut next = settings.clone();
            f(&mut next, value);
            on_settings.emit(next);
        })
    };
    let on_from = set(|s, v| s.from = v.parse().unwrap_or(ProfileKind::AzureNpm));
    let on_to = set(|s, v| s.to = v.parse().unwrap_or(ProfileKind::Aks));
    let on_kubernetes = set(|s, v| s.kubernetes = v);
    let on_cilium = set(|s, v| s.cilium = v);
    let on_acns = set(|s, v| s.acns = v == "true");
    let on_local_dns = set(|s, v| s.local_dns = v == "true");
    let on_pods = set(|s, v| s.pod_cidrs = v);
    let on_nodes = set(|s, v| s.node_cidrs = v);
    let on_services = set(|s, v| s.service_cidrs = v);

    let controls = html! {
        <fieldset class="migrate-controls" aria-labelledby="migrate-target-heading">
            <legend id="migrate-target-heading">{ "Target cluster" }</legend>
            <span class="field">
                <label for="migrate-from">{ "From" }</label>
                <select id="migrate-from" onchange={on_from} ~value={settings.from.as_str()}>
                    <option value="azure-npm" selected={settings.from == ProfileKind::AzureNpm}>{ "Azure NPM" }</option>
                    <option value="upstream" selected={settings.from == ProfileKind::Upstream}>{ "Kubernetes" }</option>
                </select>
            </span>
            <span class="field">
                <label for="migrate-to">{ "To" }</label>
                <select id="migrate-to" onchange={on_to} ~value={settings.to.as_str()}>
                    <option value="aks" selected={settings.to == ProfileKind::Aks}>{ "AKS (Azure CNI powered by Cilium)" }</option>
                    <option value="cilium" selected={settings.to == ProfileKind::Cilium}>{ "Cilium" }</option>
                </select>
            </span>
            <span class="field">
                <label for="migrate-kubernetes">{ "Kubernetes" }</label>
                <select id="migrate-kubernetes" onchange={on_kubernetes} ~value={settings.kubernetes.clone()}>
                    <option value="" selected={settings.kubernetes.is_empty()}>{ "—" }</option>
                    { for KUBERNETES.iter().map(|k| html! {
                        <option value={*k} selected={settings.kubernetes == *k}>{ *k }</option>
                    }) }
                </select>
            </span>
            <span class="field">
                <label for="migrate-cilium">{ "Cilium" }</label>
                <select id="migrate-cilium" onchange={on_cilium} ~value={settings.cilium.clone()}
                        title="Empty: the line AKS runs for the Kubernetes version">
                    <option value="" selected={settings.cilium.is_empty()}>{ "as AKS runs it" }</option>
                    { for crate::app::versions().into_iter().map(|v| {
                        let v = v.to_string();
                        html! { <option value={v.clone()} selected={settings.cilium == v}>{ v.clone() }</option> }
                    }) }
                </select>
            </span>
            <span class="field check" title="Advanced Container Networking Services: FQDN and L7 policies">
                <input type="checkbox" id="migrate-acns" ~checked={settings.acns} onchange={on_acns} />
                <label for="migrate-acns">{ "ACNS" }</label>
            </span>
            <span class="field check" title="AKS LocalDNS: pods resolve through 169.254.10.0/24 and the host">
                <input type="checkbox" id="migrate-local-dns" ~checked={settings.local_dns} onchange={on_local_dns} />
                <label for="migrate-local-dns">{ "LocalDNS" }</label>
            </span>
            { cidr_field("migrate-pods", "Pod CIDRs", netpolkit::profile::DEFAULT_POD_CIDR, &settings.pod_cidrs, on_pods) }
            { cidr_field("migrate-nodes", "Node CIDRs", netpolkit::profile::DEFAULT_NODE_CIDR, &settings.node_cidrs, on_nodes) }
            { cidr_field("migrate-services", "Service CIDRs", netpolkit::profile::DEFAULT_SERVICE_CIDR, &settings.service_cidrs, on_services) }
        </fieldset>
    };

    let migration = match &migrated.migration {
        Ok(m) => m,
        Err(message) => {
            return html! {
                <div class="migrate">
                    { controls }
                    <p class="migrate-error" id="migrate-error" role="alert">{ message }</p>
                </div>
            }
        }
    };
    let text = &migrated.checked.text;
    let edits = &migration.rewrite.edits;
    let apply_all = {
        let (on_apply, new) = (on_apply.clone(), migration.rewrite.text.clone());
        Callback::from(move |_: MouseEvent| on_apply.emit(new.clone()))
    };
    let findings = migration.findings.len();
    let verdict = migration.verdict;

    html! {
        <div class="migrate">
            { controls }
            <p id="migrate-verdict" class={classes!("verdict", verdict.as_str())} data-verdict={verdict.as_str()} aria-live="polite">
                <strong>{ verdict_words(verdict) }</strong>{ ": " }
                { format!(
                    "{} change on the target; {} after the {}.",
                    plural(migration.breaking.differing as usize, "flow", "flows"),
                    plural(migration.rewrite.proof.differing as usize, "differs", "differ"),
                    plural(edits.len(), "proposed edit", "proposed edits"),
                ) }
                <span class="muted">{ format!(" {} → {}", migration.sides.before.profile.describe(), migration.sides.after.profile.describe()) }</span>
            </p>

            <section aria-labelledby="migrate-findings-heading">
                <h3 id="migrate-findings-heading">{ format!("Breaking changes ({findings})") }</h3>
                if findings == 0 {
                    <p class="empty ok" id="migrate-clean">{ "Nothing changes meaning on the target." }</p>
                } else {
                    <ol id="migrate-findings" class="diagnostics">
                        { for migrated.diagnostics[..findings].iter().enumerate().map(|(i, d)| {
                            let picked = *active == Some(migrated.mark_index(i));
                            diagnostic(d, picked, on_diagnostic.reform(move |_: MouseEvent| i))
                        }) }
                    </ol>
                }
            </section>

            <section aria-labelledby="migrate-rewrite-heading">
                <div class="output-head">
                    <h3 id="migrate-rewrite-heading">{ format!("Proposed edits ({})", edits.len()) }</h3>
                    <button type="button" id="migrate-apply-all" class="action" onclick={apply_all}
                            disabled={edits.is_empty() || !*current}
                            title={(!*current).then_some("The text changed since; wait for the check")}>
                        { "Apply all" }
                    </button>
                </div>
                if edits.is_empty() {
                    <p class="empty" id="migrate-no-edits">{ "No edit needed." }</p>
                }
                <ol id="migrate-edits" class="edits">
                    { for edits.iter().enumerate().map(|(i, e)| {
                        let diff = unified::diff("document", text, &[Change { range: e.range.clone(), replacement: &e.replacement }]);
                        let onclick = {
                            let (on_apply, new) = (on_apply.clone(), apply(text, &[e]));
                            Callback::from(move |_: MouseEvent| on_apply.emit(new.clone()))
                        };
                        html! {
                            <li class="edit" data-edit={i.to_string()}>
                                <p><strong>{ &e.policy }</strong>{ ": " }{ &e.reason }{ " " }
                                    <button type="button" class="action apply" {onclick} disabled={!*current}>{ "Apply" }</button>
                                </p>
                                { diff_view(&diff) }
                            </li>
                        }
                    }) }
                </ol>
                { for migrated.diagnostics[findings..].iter().enumerate()
                    .filter(|(_, d)| d.code == netpolkit::Code::NotRestored)
                    .map(|(i, d)| {
                        let i = findings + i;
                        let picked = *active == Some(migrated.mark_index(i));
                        html! { <ol class="diagnostics not-restored">{ diagnostic(d, picked, on_diagnostic.reform(move |_: MouseEvent| i)) }</ol> }
                    }) }
            </section>

            <section aria-labelledby="migrate-flows-heading">
                <h3 id="migrate-flows-heading">{ "Flows" }</h3>
                { flows("migrate-breaking", "On the target, as written", &migration.breaking) }
                { flows("migrate-after", "On the target, after the edits", &migration.rewrite.proof) }
            </section>
        </div>
    }
}

fn cidr_field(
    id: &'static str,
    label: &'static str,
    default: &'static str,
    value: &str,
    onchange: Callback<Event>,
) -> Html {
    html! {
        <span class="field">
            <label for={id}>{ label }</label>
            <input type="text" id={id} value={value.to_owned()} {onchange} placeholder={default}
                   autocomplete="off" spellcheck="false" autocapitalize="off"
                   title="Comma-separated; empty: the AKS default" />
        </span>
    }
}

/// A unified diff, its added and removed lines coloured.
fn diff_view(diff: &str) -> Html {
    html! {
        <pre class="output diff" tabindex="0" aria-label="Before and after (unified diff)">
            { for diff.lines().map(|line| {
                let class = match line.as_bytes().first() {
                    Some(b'+') if !line.starts_with("+++") => "add",
                    Some(b'-') if !line.starts_with("---") => "del",
                    Some(b'@') => "hunk",
                    _ => "",
                };
                html! { <span class={class}>{ line }{ "\n" }</span> }
            }) }
        </pre>
    }
}

fn flows(id: &'static str, title: &'static str, c: &netpolkit::compare::Comparison) -> Html {
    let verdict = |allowed: bool| if allowed { "allowed" } else { "denied" };
    let shown = &c.differences[..c.differences.len().min(MAX_FLOWS)];
    let more = c.differing.saturating_sub(shown.len() as u64);
    html! {
        <div class="flows" id={id}>
            <p>{ title }{ ": " }<strong data-differing={c.differing.to_string()} data-lost={c.lost.to_string()}>{ plural(c.differing as usize, "flow differs", "flows differ") }</strong>
               <span class="muted">{ format!(" of {} compared: {} allowed today and denied, {} the other way", c.flows, c.lost, c.differing - c.lost) }</span></p>
            if !shown.is_empty() {
                <ol class="differences">
                    { for shown.iter().map(|d| html! {
                        <li>
                            <code class="from">{ &d.from }</code>{ " → " }<code class="to">{ &d.to }</code>{ " " }
                            <code class="port">{ &d.port }</code>{ ": " }
                            <span class={classes!("pill", if d.old_allowed { "allow" } else { "deny" })}>{ verdict(d.old_allowed) }</span>
                            { " today, " }
                            <span class={classes!("pill", if d.new_allowed { "allow" } else { "deny" })}>{ verdict(d.new_allowed) }</span>
                            { " on the target" }
                        </li>
                    }) }
                    if more > 0 {
                        <li class="more">{ format!("… and {more} more") }</li>
                    }
                </ol>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_as_the_cli_flags_do() {
        let options = MigrateSettings::default().options().unwrap();
        assert_eq!(options.from, ProfileKind::AzureNpm);
        assert_eq!(options.target.kind, Some(ProfileKind::Aks));
        assert_eq!(options.target.pod_cidrs, None, "the AKS defaults");
        let given = MigrateSettings {
            kubernetes: "1.31".into(),
            pod_cidrs: "10.1.0.0/16, 10.2.0.0/16".into(),
            ..MigrateSettings::default()
        }
        .options()
        .unwrap();
        assert_eq!(given.target.kubernetes_version, Some(KubernetesVersion::new(1, 31)));
        assert_eq!(given.target.pod_cidrs.map(|v| v.len()), Some(2));
        let bad = MigrateSettings {
            node_cidrs: "10.0.0.0/33".into(),
            ..MigrateSettings::default()
        };
        assert!(bad.options().unwrap_err().contains("Node CIDRs"));
    }

    #[test]
    fn edits_apply_in_order() {
        let edit = |start, end, replacement: &str| Edit {
            document: 0,
            policy: String::new(),
            range: start..end,
            replacement: replacement.to_owned(),
            reason: String::new(),
        };
        let (a, b) = (edit(0, 1, "A"), edit(3, 3, "-"));
        assert_eq!(apply("abcdef", &[&a, &b]), "Abc-def");
        assert_eq!(apply("abc", &[&edit(5, 9, "!")]), "abc!", "clamped");
    }
}
