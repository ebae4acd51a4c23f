//! The page: one reducer holds the text, the Cilium version and the last
//! check; the editor and the results are views of it. Checking is
//! `netpolkit::check` + `netpolkit::report`, nothing else.

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use netpolkit::{CiliumVersion, Options, Report};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::examples::{self, Example, EXAMPLES};
use crate::{editor, results, text};

/// Quiet time after the last keystroke before the text is checked again:
/// short enough to feel live, long enough not to check on every key.
const CHECK_DELAY_MS: u32 = 150;

/// One check and what it was made of. The text may have moved on since; the
/// views compare before trusting positions. `Eq` lets `Rc<Checked>`
/// comparisons (props, hook dependencies) stop at the pointer.
#[derive(Debug, PartialEq, Eq)]
pub struct Checked {
    pub text: Rc<str>,
    pub version: CiliumVersion,
    pub report: Report,
}

impl Checked {
    fn run(text: Rc<str>, version: CiliumVersion) -> Rc<Self> {
        let parsed = netpolkit::check(
            &text,
            &Options {
                cilium_version: version,
            },
        );
        let report = netpolkit::report(&text, &parsed);
        Rc::new(Checked { text, version, report })
    }
}

#[derive(Clone, Debug)]
pub struct State {
    /// What the textarea holds (updated on every input, never debounced).
    text: Rc<str>,
    version: CiliumVersion,
    /// The stem of the example last loaded, for the picker.
    example: Option<&'static str>,
    checked: Rc<Checked>,
    /// Bumped when the text is replaced from outside the textarea, which
    /// tells the editor to write it into the DOM (typing never does: the
    /// textarea is left uncontrolled so the caret is never disturbed).
    loaded: u32,
    /// The diagnostic picked in the list.
    active: Option<usize>,
}

pub enum Action {
    Edit(Rc<str>),
    /// The debounce timer fired: check the current text if it changed.
    Check,
    SetVersion(CiliumVersion),
    Load(&'static Example),
    Pick(usize),
}

impl State {
    fn initial() -> Self {
        let example = examples::initial(&location_hash());
        let text: Rc<str> = example.map(examples::normalized).unwrap_or_default().into();
        let version = CiliumVersion::NEWEST;
        State {
            checked: Checked::run(text.clone(), version),
            text,
            version,
            example: example.map(|e| e.stem),
            loaded: 1,
            active: None,
        }
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
                if Rc::ptr_eq(&self.checked.text, &self.text) && self.checked.version == self.version {
                    return self;
                }
                next.checked = Checked::run(self.text.clone(), self.version);
                next.active = None;
            }
            Action::SetVersion(version) => {
                next.version = version;
                next.checked = Checked::run(self.text.clone(), version);
                next.active = None;
            }
            Action::Load(example) => {
                next.text = examples::normalized(example).into();
                next.example = Some(example.stem);
                next.loaded += 1;
                next.checked = Checked::run(next.text.clone(), self.version);
                next.active = None;
            }
            Action::Pick(index) => next.active = Some(index),
        }
        Rc::new(next)
    }
}

fn location_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// Every version the core knows, newest first.
fn versions() -> Vec<CiliumVersion> {
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

    let oninput = {
        let dispatcher = state.dispatcher();
        Callback::from(move |e: InputEvent| {
            let area: HtmlTextAreaElement = e.target_unchecked_into();
            dispatcher.dispatch(Action::Edit(area.value().into()));
            let dispatcher = dispatcher.clone();
            // Replacing the handle drops, and so cancels, the pending check.
            *timer.borrow_mut() = Some(Timeout::new(CHECK_DELAY_MS, move || dispatcher.dispatch(Action::Check)));
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
            let text = editor::current_text(&refs).unwrap_or_else(|| checked.text.to_string());
            let start = text::utf16_offset(&text, d.line, d.column);
            let end = text::utf16_offset(&text, d.end_line, d.end_column).max(start);
            let target = editor::mark_element(&refs, index).or_else(|| editor::line_element(&refs, d.line));
            editor::reveal(&refs, start, end, target, false);
        })
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

    // Marks of an older report are carried over onto the text as typed.
    let current = Rc::ptr_eq(&state.checked.text, &state.text) || *state.checked.text == *state.text;
    let marks = text::marks(&state.checked.report.diagnostics);
    let marks = if current {
        marks
    } else {
        text::carry_over(&state.checked.text, &state.text, &marks)
    };

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
                        <label for="cilium">{ "Cilium" }</label>
                        <select id="cilium" onchange={on_version}>
                            { for versions().into_iter().map(|v| html! {
                                <option value={v.to_string()} selected={v == state.version}>{ v.to_string() }</option>
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
                    <results::Results checked={state.checked.clone()} active={state.active} {on_document} {on_diagnostic} />
                </section>
            </main>
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

    #[test]
    fn the_reducer_checks_only_when_asked_and_only_once() {
        let example = examples::find(examples::DEFAULT).unwrap();
        let state = Rc::new(State {
            text: "".into(),
            version: CiliumVersion::NEWEST,
            example: None,
            checked: Checked::run("".into(), CiliumVersion::NEWEST),
            loaded: 0,
            active: None,
        });
        let loaded = state.reduce(Action::Load(example));
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
        assert_eq!(older.checked.version, CiliumVersion::OLDEST);
    }
}
