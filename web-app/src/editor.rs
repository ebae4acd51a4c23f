//! The code editor: a plain textarea over a highlight layer that draws the
//! same text in transparent ink with the diagnostics underlined, next to a
//! line-number gutter. All three sit in one scrolling box, so they cannot
//! drift apart; the textarea and the layer share font, padding and size.

use netpolkit::Severity;
use wasm_bindgen::JsCast;
use web_sys::{
    Element, FocusOptions, HtmlDocument, HtmlElement, HtmlTextAreaElement, ScrollIntoViewOptions, ScrollLogicalPosition,
};
use yew::prelude::*;

use crate::text::{self, Mark, Segment};

/// The DOM nodes the page reaches into: to write loaded text, move the
/// selection, and scroll a diagnostic into view.
#[derive(Clone, Default, PartialEq)]
pub struct Refs {
    pub scroller: NodeRef,
    pub gutter: NodeRef,
    pub highlight: NodeRef,
    pub textarea: NodeRef,
}

pub fn severity_class(severity: Severity) -> &'static str {
    severity.as_str()
}

/// The editor pane. `marks` already refer to `text` (see [`text::carry_over`]).
pub fn view(
    refs: &Refs,
    text: &str,
    marks: &[Mark],
    active: Option<usize>,
    oninput: Callback<InputEvent>,
    onkeydown: Callback<KeyboardEvent>,
) -> Html {
    let lines = text::line_marks(text, marks);
    let segments = text::segments(text, marks, active);
    html! {
        <div class="editor">
            <div class="scroller" ref={refs.scroller.clone()}>
                <div class="code">
                    <Gutter {lines} node={refs.gutter.clone()} />
                    <div class="stack">
                        <pre class="highlight" aria-hidden="true" ref={refs.highlight.clone()}>
                            { for segments.iter().map(segment) }
                            // Room for the empty last line a trailing newline starts.
                            { " " }
                        </pre>
                        <textarea
                            id="editor"
                            class="input"
                            ref={refs.textarea.clone()}
                            wrap="off"
                            spellcheck="false"
                            autocomplete="off"
                            autocapitalize="off"
                            aria-label="Policy manifests (YAML)"
                            aria-describedby="editor-help"
                            {oninput}
                            {onkeydown}
                        />
                    </div>
                </div>
            </div>
            <p id="editor-help" class="help">
                { "Tab inserts two spaces; press Esc, then Tab, to move on. Checked as you type, in your browser." }
            </p>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct GutterProps {
    /// The worst severity starting on each line; its length is the line count.
    lines: Vec<Option<Severity>>,
    node: NodeRef,
}

/// Line numbers with markers. A component of its own: most keystrokes
/// change neither the line count nor the marks, and then it is not
/// re-rendered at all.
#[function_component(Gutter)]
fn gutter(props: &GutterProps) -> Html {
    html! {
        <div class="gutter" aria-hidden="true" ref={props.node.clone()}>
            { for props.lines.iter().enumerate().map(|(i, mark)| html! {
                <div class={classes!("ln", mark.map(severity_class))}>{ i + 1 }</div>
            }) }
        </div>
    }
}

/// A run of text, underlined when a diagnostic covers it (the editor's
/// highlight layer and the Convert tab's output).
pub fn segment(seg: &Segment<'_>) -> Html {
    let Some(severity) = seg.severity else {
        return html! { { seg.text } };
    };
    let list = |v: &[usize]| (!v.is_empty()).then(|| v.iter().map(usize::to_string).collect::<Vec<_>>().join(" "));
    let class = classes!(
        "mark",
        severity_class(severity),
        seg.active.then_some("active"),
        seg.related.then_some("related"),
        seg.point.then_some("point")
    );
    html! { <span {class} data-starts={list(&seg.starts)} data-related={list(&seg.related_starts)}>{ seg.text }</span> }
}

/// Inserts `text` at the caret as if typed: `execCommand("insertText")` keeps
/// the browser's undo history and fires `input`; the fallback does not keep
/// undo but still fires `input` so the check runs.
pub fn insert_text(area: &HtmlTextAreaElement, text: &str) {
    let document = area.owner_document().and_then(|d| d.dyn_into::<HtmlDocument>().ok());
    if let Some(document) = document {
        if document.exec_command_with_show_ui_and_value("insertText", false, text) == Ok(true) {
            return;
        }
    }
    let start = area.selection_start().ok().flatten().unwrap_or(0);
    let end = area.selection_end().ok().flatten().unwrap_or(start);
    if area
        .set_range_text_with_start_and_end_and_mode(text, start, end, "end")
        .is_ok()
    {
        if let Ok(event) = web_sys::Event::new("input") {
            let _ = area.dispatch_event(&event);
        }
    }
}

/// Selects `start..end` (UTF-16 offsets) in the textarea, focuses it without
/// the browser's own jump, and scrolls `target` (a mark or a gutter line)
/// into the middle of the editor.
pub fn reveal(refs: &Refs, start: u32, end: u32, target: Option<Element>, reset_horizontal: bool) {
    let Some(area) = refs.textarea.cast::<HtmlTextAreaElement>() else {
        return;
    };
    let focus = FocusOptions::new();
    focus.set_prevent_scroll(true);
    let _ = area.unchecked_ref::<HtmlElement>().focus_with_options(&focus);
    let _ = area.set_selection_range(start, end);
    if reset_horizontal {
        if let Some(scroller) = refs.scroller.cast::<Element>() {
            scroller.set_scroll_left(0);
        }
    }
    if let Some(target) = target {
        let options = ScrollIntoViewOptions::new();
        options.set_block(ScrollLogicalPosition::Center);
        options.set_inline(ScrollLogicalPosition::Nearest);
        target.scroll_into_view_with_scroll_into_view_options(&options);
    }
}

/// What the textarea holds right now (the state may lag by one render).
pub fn current_text(refs: &Refs) -> Option<String> {
    refs.textarea.cast::<HtmlTextAreaElement>().map(|area| area.value())
}

/// The highlight element where diagnostic `index` starts, if it is drawn.
pub fn mark_element(refs: &Refs, index: usize) -> Option<Element> {
    let layer = refs.highlight.cast::<Element>()?;
    layer
        .query_selector(&format!("[data-starts~=\"{index}\"]"))
        .ok()
        .flatten()
}

/// The highlight element where a related location of diagnostic `index`
/// starts (the other end of a finding), if it is drawn.
pub fn related_element(refs: &Refs, index: usize) -> Option<Element> {
    let layer = refs.highlight.cast::<Element>()?;
    layer
        .query_selector(&format!("[data-related~=\"{index}\"]"))
        .ok()
        .flatten()
}

/// The gutter element of 1-based `line`.
pub fn line_element(refs: &Refs, line: usize) -> Option<Element> {
    let gutter = refs.gutter.cast::<Element>()?;
    let index = u32::try_from(line.checked_sub(1)?).ok()?;
    gutter.children().item(index)
}
