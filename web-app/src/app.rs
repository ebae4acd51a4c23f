//! The page: one reducer holds the text, the profile settings, the flow
//! asked about, the conversion settings and the last analysis; the editor,
//! the problems, the findings, the per-workload summary, the flow panel, the
//! connectivity view and the conversion are views of it. Checking is
//! `netpolkit::analyze` + `netpolkit::report` + `Analysis::findings`,
//! converting `netpolkit::convert::convert`, nothing else.

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use netpolkit::engine::FlowQuery;
use netpolkit::profile::{ProfileKind, ProfileSettings};
use netpolkit::{Analysis, AnalyzeOptions, CiliumVersion, Report};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::convert::{ConvertPanel, ConvertSettings, Converted};
use crate::examples::{self, Example, EXAMPLES};
use crate::findings::{End, FindingsPanel};
use crate::flow::{self, Field, FlowPanel};
use crate::matrix::ConnectivityView;
use crate::migrate::{MigratePanel, MigrateSettings, Migrated};
use crate::workloads::{Workloads, WorkloadsView};
use crate::{editor, results, text};

/// Quiet time after the last keystroke before the text is checked again:
/// short enough to feel live, long enough not to check on every key.
const CHECK_DELAY_MS: u32 = 150;

/// What the pickers set on top of the profile the text asks for (a
/// ClusterProfile document, else `cilium`); `None` keeps that profile's
/// value, so picking AKS brings AKS's Cilium version unless one was picked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    pub kind: Option<ProfileKind>,
    pub version: Option<CiliumVersion>,
    pub acns: Option<bool>,
}

impl Settings {
    pub fn profile(self) -> ProfileSettings {
        ProfileSettings {
            kind: self.kind,
            cilium_version: self.version,
            acns: self.acns,
            ..ProfileSettings::default()
        }
    }
}

/// One analysis and what it was made of. The text may have moved on since;
/// the views compare before trusting positions.
#[derive(Debug)]
pub struct Checked {
    pub text: Rc<str>,
    pub settings: Settings,
    pub analysis: Analysis,
    /// Validation diagnostics and precedence findings together, by position
    /// (one index space for the marks and the pick).
    pub report: Report,
    /// Which of the report's diagnostics are precedence findings (`NP5xx`,
    /// from `Analysis::findings`), in order: the Findings tab lists these,
    /// the Problems tab the others.
    pub findings: Vec<usize>,
}

/// The analysis is a function of the text and the settings, so comparing
/// those is enough; `Eq` lets `Rc<Checked>` comparisons (props, hook
/// dependencies) stop at the pointer.
impl PartialEq for Checked {
    fn eq(&self, other: &Self) -> bool {
        self.settings == other.settings && (Rc::ptr_eq(&self.text, &other.text) || *self.text == *other.text)
    }
}

impl Eq for Checked {}

impl Checked {
    pub fn run(text: Rc<str>, settings: Settings) -> Rc<Self> {
        let analysis = netpolkit::analyze(
            &text,
            &AnalyzeOptions {
                profile: settings.profile(),
                ..AnalyzeOptions::default()
            },
        );
        let mut report = netpolkit::report(&text, &analysis.parsed);
        // Precedence findings (NP5xx) join the validation diagnostics in the
        // report and its counts, so that both are underlined and picked
        // alike; `findings` remembers which they are, for the Findings tab
        // (which also marks the other rule of the one picked).
        let index = netpolkit::LineIndex::new(&text);
        let mut all: Vec<(netpolkit::LocatedDiagnostic, bool)> = std::mem::take(&mut report.diagnostics)
            .into_iter()
            .map(|d| (d, false))
            .collect();
        for finding in analysis.findings() {
            match finding.severity {
                netpolkit::Severity::Error => report.summary.errors += 1,
                netpolkit::Severity::Warning => report.summary.warnings += 1,
                netpolkit::Severity::Info => report.summary.infos += 1,
            }
            all.push((finding.locate(&text, &index), true));
        }
        all.sort_by_key(|(d, _)| d.start);
        let findings = all
            .iter()
            .enumerate()
            .filter(|(_, (_, f))| *f)
            .map(|(i, _)| i)
            .collect();
        report.diagnostics = all.into_iter().map(|(d, _)| d).collect();
        Rc::new(Checked {
            text,
            settings,
            analysis,
            report,
            findings,
        })
    }

    /// The Cilium version the checks ran under.
    pub fn version(&self) -> CiliumVersion {
        self.analysis.profile.cilium_version
    }

    /// Whether diagnostic `i` of the report is a precedence finding.
    pub fn is_finding(&self, i: usize) -> bool {
        self.findings.binary_search(&i).is_ok()
    }
}

/// The tabs of the results column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Problems,
    Findings,
    /// The per-workload summary.
    Summary,
    Flow,
    Connectivity,
    Convert,
    Migrate,
}

impl View {
    const ALL: [View; 7] = [
        View::Problems,
        View::Findings,
        View::Summary,
        View::Flow,
        View::Connectivity,
        View::Convert,
        View::Migrate,
    ];

    fn id(self) -> &'static str {
        match self {
            View::Problems => "problems",
            View::Findings => "findings",
            View::Summary => "workloads",
            View::Flow => "flow",
            View::Connectivity => "connectivity",
            View::Convert => "convert",
            View::Migrate => "migrate",
        }
    }
}

#[derive(Clone, Debug)]
pub struct State {
    /// What the textarea holds (updated on every input, never debounced).
    text: Rc<str>,
    settings: Settings,
    /// The stem of the example last loaded, for the picker.
    example: Option<&'static str>,
    checked: Rc<Checked>,
    /// Bumped when the text is replaced from outside the textarea, which
    /// tells the editor to write it into the DOM (typing never does: the
    /// textarea is left uncontrolled so the caret is never disturbed).
    loaded: u32,
    /// The diagnostic picked in a list: an index of the report's
    /// diagnostics, or past them, of the conversion's (see [`Converted::mark_index`]).
    active: Option<usize>,
    view: View,
    /// What the flow inputs hold (updated on every input).
    flow_input: FlowQuery,
    /// The flow explained: `flow_input` once the typing pauses.
    flow: Rc<FlowQuery>,
    /// What the Convert tab converts to, and how.
    convert: ConvertSettings,
    /// The target cluster of the Migrate tab.
    migrate: MigrateSettings,
}

pub enum Action {
    Edit(Rc<str>),
    /// The debounce timer fired: check the current text and take the flow
    /// inputs, if they changed.
    Check,
    SetProfile(ProfileKind),
    SetVersion(CiliumVersion),
    SetAcns(bool),
    Load(&'static Example),
    Pick(usize),
    Show(View),
    FlowEdit(Field, String),
    SwapFlow,
    /// Explain this flow now, in the Flow tab (a cell of the matrix).
    ExplainFlow(FlowQuery),
    SetConvert(ConvertSettings),
    SetMigrate(MigrateSettings),
    /// Replace the whole text (a rewrite applied from the Migrate tab).
    Replace(Rc<str>),
}

impl State {
    fn initial() -> Self {
        let example = examples::initial(&location_hash());
        let text: Rc<str> = example.map(examples::normalized).unwrap_or_default().into();
        let settings = Settings::default();
        let checked = Checked::run(text.clone(), settings);
        let flow_input = flow::default_flow(&text, &checked.analysis.cluster).unwrap_or_else(flow::empty_query);
        State {
            checked,
            text,
            settings,
            example: example.map(|e| e.stem),
            loaded: 1,
            active: None,
            view: View::Problems,
            flow: Rc::new(flow_input.clone()),
            flow_input,
            convert: ConvertSettings::default(),
            migrate: MigrateSettings::default(),
        }
    }

    /// Runs the analysis again with new settings.
    fn reanalyse(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self.checked = Checked::run(self.text.clone(), settings);
        self.active = None;
        self
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Edit(text) => {
                if *text == *self.text {
                    return self;
                }
                next.text = text;
            }
            Action::Check => {
                let text_changed =
                    !Rc::ptr_eq(&self.checked.text, &self.text) || self.checked.settings != self.settings;
                let flow_changed = *self.flow != self.flow_input;
                if !text_changed && !flow_changed {
                    return self;
                }
                if text_changed {
                    next.checked = Checked::run(self.text.clone(), self.settings);
                    next.active = None;
                }
                if flow_changed {
                    next.flow = Rc::new(self.flow_input.clone());
                }
            }
            Action::SetProfile(kind) => {
                next = next.reanalyse(Settings {
                    kind: Some(kind),
                    ..self.settings
                });
            }
            Action::SetVersion(version) => {
                next = next.reanalyse(Settings {
                    version: Some(version),
                    ..self.settings
                });
            }
            Action::SetAcns(acns) => {
                next = next.reanalyse(Settings {
                    acns: Some(acns),
                    ..self.settings
                });
            }
            Action::Load(example) => {
                next.text = examples::normalized(example).into();
                next.example = Some(example.stem);
                next.loaded += 1;
                next.checked = Checked::run(next.text.clone(), self.settings);
                next.active = None;
                let query = flow::default_flow(&next.text, &next.checked.analysis.cluster);
                next.flow_input = query.unwrap_or_else(flow::empty_query);
                next.flow = Rc::new(next.flow_input.clone());
            }
            Action::Pick(index) => next.active = Some(index),
            Action::Show(view) => {
                if view == self.view {
                    return self;
                }
                next.view = view;
            }
            Action::FlowEdit(field, value) => {
                let slot = match field {
                    Field::From => &mut next.flow_input.from,
                    Field::To => &mut next.flow_input.to,
                    Field::Port => &mut next.flow_input.port,
                };
                if *slot == value {
                    return self;
                }
                *slot = value;
            }
            Action::SwapFlow => {
                let q = &mut next.flow_input;
                std::mem::swap(&mut q.from, &mut q.to);
                next.flow = Rc::new(next.flow_input.clone());
            }
            Action::ExplainFlow(query) => {
                next.flow = Rc::new(query.clone());
                next.flow_input = query;
                next.view = View::Flow;
            }
            Action::SetConvert(settings) => {
                if settings == self.convert {
                    return self;
                }
                next.convert = settings;
                // The conversion's diagnostics change: a picked one may be gone.
                next.active = next.active.filter(|&i| i < self.checked.report.diagnostics.len());
            }
            Action::SetMigrate(settings) => {
                if settings == self.migrate {
                    return self;
                }
                next.migrate = settings;
                next.active = next.active.filter(|&i| i < self.checked.report.diagnostics.len());
            }
            Action::Replace(text) => {
                if *text == *self.text {
                    return self;
                }
                next.text = text;
                next.loaded += 1;
                next.checked = Checked::run(next.text.clone(), self.settings);
                next.active = None;
            }
        }
        Rc::new(next)
    }
}

fn location_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// Selects diagnostic `d` of `checked` in the editor and scrolls its mark
/// (`mark`, an index of the editor's marks) or its line into view. The
/// textarea's text is used, so a position older than the text is clamped,
/// and the next check follows within CHECK_DELAY_MS.
fn reveal_diagnostic(refs: &editor::Refs, checked: &Checked, d: &netpolkit::LocatedDiagnostic, mark: usize) {
    let text = editor::current_text(refs).unwrap_or_else(|| checked.text.to_string());
    let start = text::utf16_offset(&text, d.line, d.column);
    let end = text::utf16_offset(&text, d.end_line, d.end_column).max(start);
    let target = editor::mark_element(refs, mark).or_else(|| editor::line_element(refs, d.line));
    editor::reveal(refs, start, end, target, false);
}

/// Selects byte range `start..end` of the checked text in the editor and
/// scrolls `target` (or line `line`'s gutter) into view: exactly while the
/// text is the one checked, the same length from its line and column after
/// typing.
fn reveal_range(
    refs: &editor::Refs,
    checked: &Checked,
    (start, end): (usize, usize),
    target: Option<web_sys::Element>,
) {
    let text = editor::current_text(refs).unwrap_or_else(|| checked.text.to_string());
    let index = netpolkit::LineIndex::new(&checked.text);
    let at = index.line_col(&checked.text, start);
    let (from, to) = if *text == *checked.text {
        (index.utf16(&checked.text, start), index.utf16(&checked.text, end))
    } else {
        let from = text::utf16_offset(&text, at.line, at.column) as usize;
        let length = index
            .utf16(&checked.text, end)
            .saturating_sub(index.utf16(&checked.text, start));
        (from, from.saturating_add(length))
    };
    let from = u32::try_from(from).unwrap_or(u32::MAX);
    let to = u32::try_from(to).unwrap_or(u32::MAX).max(from);
    let target = target.or_else(|| editor::line_element(refs, at.line));
    editor::reveal(refs, from, to, target, false);
}

/// Every version the core knows, newest first.
pub(crate) fn versions() -> Vec<CiliumVersion> {
    let mut out = Vec::new();
    let mut v = CiliumVersion::NEWEST;
    while v >= CiliumVersion::OLDEST {
        out.push(v);
        if v.minor == 0 {
            break;
        }
        v = CiliumVersion::new(v.major, v.minor - 1);
    }
    out
}

/// How a profile is named in the picker.
fn profile_label(kind: ProfileKind) -> &'static str {
    match kind {
        ProfileKind::Upstream => "Kubernetes",
        ProfileKind::Cilium => "Cilium",
        ProfileKind::Aks => "AKS",
        ProfileKind::AzureNpm => "Azure NPM",
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(State::initial);
    let refs = use_memo((), |()| editor::Refs::default());
    let timer = use_mut_ref(|| None::<Timeout>);
    // Set by Escape: the next Tab leaves the editor instead of indenting.
    let escaped = use_mut_ref(|| false);

    {
        let refs = refs.clone();
        let text = state.text.clone();
        use_effect_with(state.loaded, move |_| {
            if let Some(area) = refs.textarea.cast::<HtmlTextAreaElement>() {
                area.set_value(&text);
                let _ = area.set_selection_range(0, 0);
            }
            if let Some(scroller) = refs.scroller.cast::<web_sys::Element>() {
                scroller.set_scroll_top(0);
                scroller.set_scroll_left(0);
            }
        });
    }

    // Editing the `#example=` hash by hand (or following a link) loads it.
    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |()| {
            let listener = Closure::<dyn Fn()>::new(move || {
                if let Some(example) = examples::from_hash(&location_hash()) {
                    dispatcher.dispatch(Action::Load(example));
                }
            });
            let window = web_sys::window();
            if let Some(w) = &window {
                let _ = w.add_event_listener_with_callback("hashchange", listener.as_ref().unchecked_ref());
            }
            move || {
                if let Some(w) = window {
                    let _ = w.remove_event_listener_with_callback("hashchange", listener.as_ref().unchecked_ref());
                }
            }
        });
    }

    // Typing in the editor and in the flow inputs: both wait for the same
    // pause, then one `Check` takes whatever changed.
    let schedule = {
        let dispatcher = state.dispatcher();
        Rc::new(move || {
            let dispatcher = dispatcher.clone();
            // Replacing the handle drops, and so cancels, the pending check.
            *timer.borrow_mut() = Some(Timeout::new(CHECK_DELAY_MS, move || dispatcher.dispatch(Action::Check)));
        })
    };

    let oninput = {
        let (dispatcher, schedule) = (state.dispatcher(), schedule.clone());
        Callback::from(move |e: InputEvent| {
            let area: HtmlTextAreaElement = e.target_unchecked_into();
            dispatcher.dispatch(Action::Edit(area.value().into()));
            schedule();
        })
    };

    let onkeydown = Callback::from(move |e: KeyboardEvent| {
        let was_escaped = std::mem::replace(&mut *escaped.borrow_mut(), e.key() == "Escape");
        let plain = !(e.shift_key() || e.ctrl_key() || e.alt_key() || e.meta_key());
        if e.key() == "Tab" && plain && !was_escaped {
            e.prevent_default();
            editor::insert_text(&e.target_unchecked_into(), "  ");
        }
    });

    let on_version = {
        let dispatcher = state.dispatcher();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Ok(version) = select.value().parse() {
                dispatcher.dispatch(Action::SetVersion(version));
            }
        })
    };

    let on_profile = {
        let dispatcher = state.dispatcher();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Ok(kind) = select.value().parse() {
                dispatcher.dispatch(Action::SetProfile(kind));
            }
        })
    };

    let on_acns = {
        let dispatcher = state.dispatcher();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            dispatcher.dispatch(Action::SetAcns(input.checked()));
        })
    };

    let on_example = {
        let dispatcher = state.dispatcher();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Some(example) = examples::find(&select.value()) {
                dispatcher.dispatch(Action::Load(example));
                // replaceState: no hashchange event, no history entry per pick.
                if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
                    let url = format!("#example={}", example.stem);
                    let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
                }
            }
        })
    };

    // The list's callbacks change only with the report, so typing does not
    // re-render the results; they read the text from the textarea itself.
    // A report older than the text still points at the right line and
    // column (clamped), and the next check follows within CHECK_DELAY_MS.
    let on_diagnostic = {
        let (refs, dispatcher) = (refs.clone(), state.dispatcher());
        use_callback(state.checked.clone(), move |index: usize, checked: &Rc<Checked>| {
            let Some(d) = checked.report.diagnostics.get(index) else {
                return;
            };
            dispatcher.dispatch(Action::Pick(index));
            reveal_diagnostic(&refs, checked, d, index);
        })
    };

    // The conversion runs on the checked text, so it follows the same
    // debounce; only while its tab is shown.
    let converted = use_memo(
        (
            state.checked.clone(),
            state.convert.clone(),
            state.view == View::Convert,
        ),
        |(checked, settings, shown)| shown.then(|| Rc::new(Converted::run(checked, settings))),
    );
    let on_convert_diagnostic = {
        let (refs, dispatcher) = (refs.clone(), state.dispatcher());
        use_callback(
            converted.clone(),
            move |index: usize, converted: &Rc<Option<Rc<Converted>>>| {
                let Some(c) = converted.as_ref() else { return };
                let Some(d) = c.diagnostics.get(index) else { return };
                dispatcher.dispatch(Action::Pick(c.mark_index(index)));
                reveal_diagnostic(&refs, &c.checked, d, c.mark_index(index));
            },
        )
    };
    let on_convert_settings = {
        let dispatcher = state.dispatcher();
        use_callback((), move |settings: ConvertSettings, ()| {
            dispatcher.dispatch(Action::SetConvert(settings))
        })
    };

    // The migration too, only while its tab is shown.
    let migrated = use_memo(
        (
            state.checked.clone(),
            state.migrate.clone(),
            state.view == View::Migrate,
        ),
        |(checked, settings, shown)| shown.then(|| Rc::new(Migrated::run(checked, settings))),
    );
    let on_migrate_diagnostic = {
        let (refs, dispatcher) = (refs.clone(), state.dispatcher());
        use_callback(
            migrated.clone(),
            move |index: usize, migrated: &Rc<Option<Rc<Migrated>>>| {
                let Some(m) = migrated.as_ref() else { return };
                let Some(d) = m.diagnostics.get(index) else { return };
                dispatcher.dispatch(Action::Pick(m.mark_index(index)));
                reveal_diagnostic(&refs, &m.checked, d, m.mark_index(index));
            },
        )
    };
    let on_migrate_settings = {
        let dispatcher = state.dispatcher();
        use_callback((), move |settings: MigrateSettings, ()| {
            dispatcher.dispatch(Action::SetMigrate(settings))
        })
    };
    let on_apply = {
        let dispatcher = state.dispatcher();
        use_callback((), move |text: String, ()| {
            dispatcher.dispatch(Action::Replace(text.into()))
        })
    };

    // A finding: picked (so both of its rules are marked), and the end asked
    // for selected in the text. The other end's mark appears with the pick,
    // so its line is the scroll target.
    let on_finding = {
        let (refs, dispatcher) = (refs.clone(), state.dispatcher());
        use_callback(
            state.checked.clone(),
            move |(index, end): (usize, End), checked: &Rc<Checked>| {
                let Some(d) = checked.report.diagnostics.get(index) else {
                    return;
                };
                dispatcher.dispatch(Action::Pick(index));
                match end {
                    End::Own => reveal_diagnostic(&refs, checked, d, index),
                    End::Related(n) => {
                        if let Some(r) = d.related.get(n) {
                            reveal_range(&refs, checked, (r.start, r.end), editor::related_element(&refs, index));
                        }
                    }
                }
            },
        )
    };

    // The summary is computed from the checked analysis, only while its tab
    // is shown.
    let workloads = use_memo(
        (state.checked.clone(), state.view == View::Summary),
        |(checked, shown)| shown.then(|| Rc::new(Workloads::of(checked))),
    );
    let on_summary_rule = {
        let refs = refs.clone();
        use_callback(
            state.checked.clone(),
            move |range: (usize, usize), checked: &Rc<Checked>| {
                reveal_range(&refs, checked, range, None);
            },
        )
    };

    let on_show_findings = {
        let dispatcher = state.dispatcher();
        use_callback((), move |(), ()| dispatcher.dispatch(Action::Show(View::Findings)))
    };

    let on_document = {
        let refs = refs.clone();
        use_callback(state.checked.clone(), move |index: usize, checked: &Rc<Checked>| {
            if let Some(doc) = checked.report.documents.get(index) {
                let text = editor::current_text(&refs).unwrap_or_else(|| checked.text.to_string());
                let at = text::utf16_offset(&text, doc.line, 1);
                editor::reveal(&refs, at, at, editor::line_element(&refs, doc.line), true);
            }
        })
    };

    // A rule of the flow panel: its exact range while the text is the one
    // analysed; after typing, the same length from its line and column.
    let on_rule = {
        let refs = refs.clone();
        use_callback(state.checked.clone(), move |at: flow::RuleAt, checked: &Rc<Checked>| {
            let text = editor::current_text(&refs).unwrap_or_else(|| checked.text.to_string());
            let (start, end) = if *text == *checked.text {
                (at.start_utf16, at.end_utf16)
            } else {
                let start = text::utf16_offset(&text, at.line, at.column);
                (start, start.saturating_add(at.end_utf16.saturating_sub(at.start_utf16)))
            };
            editor::reveal(&refs, start, end, editor::line_element(&refs, at.line), true);
        })
    };

    let on_flow_input = {
        let (dispatcher, schedule) = (state.dispatcher(), schedule.clone());
        use_callback((), move |(field, value): (Field, String), ()| {
            dispatcher.dispatch(Action::FlowEdit(field, value));
            schedule();
        })
    };
    let on_swap = {
        let dispatcher = state.dispatcher();
        use_callback((), move |(), ()| dispatcher.dispatch(Action::SwapFlow))
    };
    let on_cell = {
        let dispatcher = state.dispatcher();
        use_callback((), move |query: FlowQuery, ()| {
            dispatcher.dispatch(Action::ExplainFlow(query))
        })
    };

    // Marks of an older report are carried over onto the text as typed.
    let current = Rc::ptr_eq(&state.checked.text, &state.text) || *state.checked.text == *state.text;
    let mut marks = text::marks(&state.checked.report.diagnostics);
    // The other end of the picked finding is marked too.
    if let Some((i, d)) = state
        .active
        .and_then(|i| state.checked.report.diagnostics.get(i).map(|d| (i, d)))
    {
        marks.extend(text::related_marks(i, d));
    }
    if let Some(c) = converted.as_ref() {
        marks.extend(c.marks());
    }
    if let Some(m) = migrated.as_ref() {
        marks.extend(m.marks());
    }
    let marks = if current {
        marks
    } else {
        text::carry_over(&state.checked.text, &state.text, &marks)
    };

    let profile = &state.checked.analysis.profile;
    let mut panel = Some(match state.view {
        View::Problems => html! {
            <results::Results checked={state.checked.clone()} active={state.active} on_document={on_document.clone()}
                              {on_diagnostic} {on_show_findings} />
        },
        View::Findings => html! {
            <FindingsPanel checked={state.checked.clone()} active={state.active} {on_finding} />
        },
        View::Summary => match workloads.as_ref() {
            Some(workloads) => html! {
                <WorkloadsView checked={state.checked.clone()} workloads={workloads.clone()}
                               on_document={on_document.clone()} on_rule={on_summary_rule} />
            },
            None => Html::default(),
        },
        View::Flow => html! {
            <FlowPanel checked={state.checked.clone()} input={state.flow_input.clone()} query={state.flow.clone()}
                       on_input={on_flow_input} {on_swap} {on_rule} />
        },
        View::Connectivity => html! {
            <ConnectivityView checked={state.checked.clone()} query={state.flow.clone()} {on_cell} />
        },
        View::Convert => match converted.as_ref() {
            Some(converted) => html! {
                <ConvertPanel converted={converted.clone()} active={state.active}
                              on_settings={on_convert_settings} on_diagnostic={on_convert_diagnostic} />
            },
            None => Html::default(),
        },
        View::Migrate => match migrated.as_ref() {
            Some(migrated) => html! {
                <MigratePanel migrated={migrated.clone()} active={state.active} {current}
                              on_settings={on_migrate_settings} on_diagnostic={on_migrate_diagnostic} {on_apply} />
            },
            None => Html::default(),
        },
    });

    html! {
        <div class="app">
            <header class="toolbar">
                <h1 class="brand">{ "netpolkit" }{ " " }<span class="tagline">{ "network policies, checked as you type" }</span></h1>
                <div class="controls">
                    <span class="field">
                        <label for="example">{ "Example" }</label>
                        <select id="example" onchange={on_example}>
                            if state.example.is_none() {
                                <option value="" selected=true>{ "—" }</option>
                            }
                            { for EXAMPLES.iter().map(|e| html! {
                                <option value={e.stem} selected={state.example == Some(e.stem)}>{ e.title }</option>
                            }) }
                        </select>
                    </span>
                    <span class="field">
                        <label for="profile">{ "Profile" }</label>
                        <select id="profile" onchange={on_profile}
                                title="Whose semantics decide flows: upstream Kubernetes, Cilium, AKS (Azure CNI powered by Cilium) or Azure Network Policy Manager"
                                ~value={profile.kind.as_str()}>
                            { for ProfileKind::ALL.into_iter().map(|k| html! {
                                <option value={k.as_str()} selected={k == profile.kind}>{ profile_label(k) }</option>
                            }) }
                        </select>
                    </span>
                    if profile.kind == ProfileKind::Aks {
                        <span class="field check"
                              title="Advanced Container Networking Services: AKS enforces FQDN and L7 rules only with it">
                            <input type="checkbox" id="acns" ~checked={profile.acns} onchange={on_acns} />
                            <label for="acns">{ "ACNS" }</label>
                        </span>
                    }
                    <span class="field">
                        <label for="cilium">{ "Cilium" }</label>
                        <select id="cilium" onchange={on_version} ~value={profile.cilium_version.to_string()}>
                            { for versions().into_iter().map(|v| html! {
                                <option value={v.to_string()} selected={v == profile.cilium_version}>{ v.to_string() }</option>
                            }) }
                        </select>
                    </span>
                </div>
            </header>
            <main class="panes">
                <section class="pane editor-pane" aria-label="Editor">
                    { editor::view(&refs, &state.text, &marks, state.active, oninput, onkeydown) }
                </section>
                <section class="pane results-pane" aria-label="Results">
                    <results::Summary checked={state.checked.clone()} />
                    { tabs(state.view, &state.checked, &state.dispatcher()) }
                    // Every tab has its panel (so that aria-controls points
                    // somewhere); only the one shown is rendered.
                    { for View::ALL.into_iter().map(|v| html! {
                        <div class="tab-panel" role="tabpanel" id={format!("panel-{}", v.id())}
                             aria-labelledby={format!("tab-{}", v.id())} hidden={v != state.view}>
                            if v == state.view {
                                { panel.take().unwrap_or_default() }
                            }
                        </div>
                    }) }
                </section>
            </main>
        </div>
    }
}

/// The tab list: Problems, Findings, Summary, Flow, Connectivity, Convert.
/// Arrow keys, Home and End move between the tabs (and show them), as the
/// ARIA tabs pattern has it.
fn tabs(view: View, checked: &Checked, dispatcher: &UseReducerDispatcher<State>) -> Html {
    let findings = checked.findings.len();
    let problems = checked.report.diagnostics.len() - findings;
    let onkeydown = {
        let dispatcher = dispatcher.clone();
        Callback::from(move |e: KeyboardEvent| {
            let at = View::ALL.iter().position(|v| *v == view).unwrap_or(0);
            let last = View::ALL.len() - 1;
            let next = match e.key().as_str() {
                "ArrowRight" => (at + 1) % View::ALL.len(),
                "ArrowLeft" => (at + last) % View::ALL.len(),
                "Home" => 0,
                "End" => last,
                _ => return,
            };
            e.prevent_default();
            let next = View::ALL[next];
            dispatcher.dispatch(Action::Show(next));
            let tab = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(&format!("tab-{}", next.id())));
            if let Some(tab) = tab.and_then(|t| t.dyn_into::<HtmlElement>().ok()) {
                let _ = tab.focus();
            }
        })
    };
    html! {
        <div class="tabs" role="tablist" aria-label="Results" {onkeydown}>
            { for View::ALL.into_iter().map(|v| {
                let label = match v {
                    View::Problems => format!("Problems ({problems})"),
                    View::Findings => format!("Findings ({findings})"),
                    View::Summary => "Summary".to_owned(),
                    View::Flow => "Flow".to_owned(),
                    View::Connectivity => "Connectivity".to_owned(),
                    View::Convert => "Convert".to_owned(),
                    View::Migrate => "Migrate".to_owned(),
                };
                let selected = v == view;
                let dispatcher = dispatcher.clone();
                html! {
                    <button type="button" role="tab" id={format!("tab-{}", v.id())} class={classes!("tab", selected.then_some("selected"))}
                            aria-selected={if selected { "true" } else { "false" }}
                            aria-controls={format!("panel-{}", v.id())}
                            tabindex={if selected { "0" } else { "-1" }}
                            onclick={Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::Show(v)))}>
                        { label }
                    </button>
                }
            }) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_run_from_newest_to_oldest() {
        let all = versions();
        assert_eq!(all.first(), Some(&CiliumVersion::NEWEST));
        assert_eq!(all.last(), Some(&CiliumVersion::OLDEST));
        assert!(all.windows(2).all(|w| w[0] > w[1]));
        assert!(all.iter().all(|v| v.to_string().parse::<CiliumVersion>() == Ok(*v)));
    }

    fn empty_state() -> Rc<State> {
        Rc::new(State {
            text: "".into(),
            settings: Settings::default(),
            example: None,
            checked: Checked::run("".into(), Settings::default()),
            loaded: 0,
            active: None,
            view: View::Problems,
            flow_input: flow::empty_query(),
            flow: Rc::new(flow::empty_query()),
            convert: ConvertSettings::default(),
            migrate: MigrateSettings::default(),
        })
    }

    #[test]
    fn the_reducer_checks_only_when_asked_and_only_once() {
        let example = examples::find(examples::DEFAULT).unwrap();
        let loaded = empty_state().reduce(Action::Load(example));
        assert_eq!(loaded.loaded, 1);
        assert!(loaded.checked.report.diagnostics.iter().any(|d| d.code.id() == "NP101"));

        let typed = loaded.clone().reduce(Action::Edit("kind: [".into()));
        assert_eq!(&*typed.checked.text, &*loaded.text, "typing does not check");
        let checked = typed.clone().reduce(Action::Check);
        assert_eq!(&*checked.checked.text, "kind: [");
        assert!(
            Rc::ptr_eq(&checked.clone().reduce(Action::Check), &checked),
            "nothing new to check"
        );

        let older = checked.reduce(Action::SetVersion(CiliumVersion::OLDEST));
        assert_eq!(older.checked.version(), CiliumVersion::OLDEST);
    }

    #[test]
    fn the_profile_picker_keeps_a_picked_version_and_otherwise_follows_the_profile() {
        let state = empty_state();
        assert_eq!(state.checked.analysis.profile.kind, ProfileKind::Cilium);
        let aks = state.reduce(Action::SetProfile(ProfileKind::Aks));
        assert_eq!(aks.checked.analysis.profile.kind, ProfileKind::Aks);
        assert_eq!(aks.checked.version(), netpolkit::profile::AKS_CILIUM_VERSION);
        assert!(!aks.checked.analysis.profile.acns);
        let acns = aks.reduce(Action::SetAcns(true));
        assert!(acns.checked.analysis.profile.acns);
        let pinned = acns.reduce(Action::SetVersion(CiliumVersion::OLDEST));
        let upstream = pinned.reduce(Action::SetProfile(ProfileKind::Upstream));
        assert_eq!(upstream.checked.analysis.profile.kind, ProfileKind::Upstream);
        assert_eq!(upstream.checked.version(), CiliumVersion::OLDEST);
    }

    #[test]
    fn convert_settings_stay_and_a_picked_conversion_diagnostic_goes_with_them() {
        let example = examples::find(examples::DEFAULT).unwrap();
        let loaded = empty_state().reduce(Action::Load(example));
        let report = loaded.checked.report.diagnostics.len();
        let picked = loaded.reduce(Action::Pick(report)).reduce(Action::Show(View::Convert));
        assert_eq!(picked.active, Some(report));
        let knp = ConvertSettings {
            to: netpolkit::convert::Target::Knp,
            ..ConvertSettings::default()
        };
        let set = picked.reduce(Action::SetConvert(knp.clone()));
        assert_eq!(set.convert, knp);
        assert_eq!(set.active, None, "the conversion's diagnostics changed");
        assert!(Rc::ptr_eq(&set.clone().reduce(Action::SetConvert(knp.clone())), &set));
        let kept = set
            .reduce(Action::Pick(0))
            .reduce(Action::SetConvert(ConvertSettings::default()));
        assert_eq!(kept.active, Some(0), "a diagnostic of the report stays picked");
        assert_eq!(kept.reduce(Action::Check).convert, ConvertSettings::default());
    }

    #[test]
    fn an_applied_rewrite_replaces_the_text_and_is_checked_at_once() {
        let example = examples::find("aks-migration").unwrap();
        let loaded = empty_state()
            .reduce(Action::Load(example))
            .reduce(Action::Show(View::Migrate));
        let migrated = Migrated::run(&loaded.checked, &loaded.migrate);
        let migration = migrated.migration.as_ref().unwrap();
        assert_ne!(migration.rewrite.text, *loaded.text, "the example needs edits");
        let applied = loaded
            .clone()
            .reduce(Action::Replace(migration.rewrite.text.clone().into()));
        assert_eq!(applied.loaded, loaded.loaded + 1, "written into the textarea");
        assert_eq!(
            &*applied.checked.text,
            migration.rewrite.text.as_str(),
            "checked at once"
        );
        assert!(Rc::ptr_eq(
            &applied.clone().reduce(Action::Replace(applied.text.clone())),
            &applied
        ));
        let settings = MigrateSettings {
            kubernetes: "1.32".into(),
            ..MigrateSettings::default()
        };
        let set = applied.reduce(Action::SetMigrate(settings.clone()));
        assert_eq!(set.migrate, settings);
        assert_eq!(set.view, View::Migrate);
    }

    #[test]
    fn flow_inputs_wait_for_the_pause_and_examples_bring_their_flow() {
        let flows = examples::find("flows").unwrap();
        let loaded = empty_state().reduce(Action::Load(flows));
        assert_eq!(loaded.flow.from, "shop/web");
        assert_eq!(loaded.flow.to, "shop/api");
        let typed = loaded.reduce(Action::FlowEdit(Field::To, "shop/db".into()));
        assert_eq!(typed.flow.to, "shop/api", "not yet");
        let taken = typed.reduce(Action::Check);
        assert_eq!(taken.flow.to, "shop/db");
        assert!(Rc::ptr_eq(&taken.checked, &taken.checked.clone()));
        let swapped = taken.reduce(Action::SwapFlow);
        assert_eq!(
            (swapped.flow.from.as_str(), swapped.flow.to.as_str()),
            ("shop/db", "shop/web")
        );
        let cell = swapped.reduce(Action::ExplainFlow(FlowQuery {
            from: "a/b".into(),
            to: "c/d".into(),
            port: "53/UDP".into(),
        }));
        assert_eq!(cell.view, View::Flow);
        assert_eq!(cell.flow_input, *cell.flow);
    }
}
