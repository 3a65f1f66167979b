//! The browser entry point. Pages are rendered on the server and stay as
//! they are; this bundle only brings the islands (`app::islands`) to life.
//! The page's loader script (`app/src/islands/loader.js`) calls `hydrate`,
//! then each island's own export.

// Links the islands' exports into the bundle.
#[allow(unused_imports)]
use app::islands::*;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
