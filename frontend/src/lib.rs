//! The browser entry point: hydrates the HTML that the server rendered, so
//! the same `app::App` becomes interactive without a second render.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
