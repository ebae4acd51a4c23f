//! The netpolkit editor: type or paste manifests on the left, see every
//! problem on the right, and ask which flows the policies allow. Everything
//! runs in the browser; the analysis is `netpolkit::analyze` and
//! `netpolkit::report`, the same as the CLI's.

mod app;
mod convert;
mod editor;
mod examples;
mod findings;
mod flow;
mod matrix;
mod migrate;
mod results;
mod text;
mod workloads;

fn main() {
    console_error_panic_hook::set_once();
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"));
    match root {
        Some(root) => yew::Renderer::<app::App>::with_root(root).render(),
        None => yew::Renderer::<app::App>::new().render(),
    };
}
