//! The browser entry point. Pages are rendered on the server and stay as
//! they are; this bundle only brings the islands (`app::islands`) to life.
//! The page's loader script (`app/src/islands/loader.js`) calls `hydrate`,
//! then each island's own export.

// Links the islands' exports into the bundle.
#[allow(unused_imports)]
use app::islands::*;

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console)]
    fn error(message: &str);
}

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // A panic says what and where in the console (the whole of
    // console_error_panic_hook's stack trace would weigh ~1 KB of the
    // bundle's budget).
    std::panic::set_hook(Box::new(|info| error(&info.to_string())));
    leptos::mount::hydrate_islands();
}
