//! Following a device while a command is on its way: asks the server every
//! few seconds where the device stands and, when that changes, shows the
//! page again (or, if the person is typing in a form, says that it
//! changed). Without JavaScript the page is reloaded by hand.

use crate::domain::ids::DeviceId;
use crate::i18n::Words;
use leptos::prelude::*;

// The island's texts, by their place in its `words`.
#[cfg(feature = "hydrate")]
const GOES_OUT: usize = 0;
#[cfg(feature = "hydrate")]
const FOLLOWS: usize = 1;
#[cfg(feature = "hydrate")]
const CHANGED: usize = 2;
#[cfg(feature = "hydrate")]
const ANSWERED: usize = 3;

/// The texts of [`FollowDevice`] in the request's language.
#[cfg(feature = "ssr")]
pub fn follow_words() -> Words {
    use crate::i18n::en;
    Words::of([
        en("Goes out to the device in {time} unless you cancel it."),
        en("This page follows the device and shows its answer."),
        en("The device has answered: reload the page to see what changed."),
        en("The device has answered: reload the page to see it."),
    ])
}

/// How often the page asks while a command is on its way.
#[cfg(feature = "hydrate")]
const EVERY: std::time::Duration = std::time::Duration::from_secs(3);

/// Follows device `id` while `in_flight`, from `stamp` (its
/// [`Progress`](crate::domain::device::Progress) when the page was made),
/// and counts down the `wait` (seconds) before a held Wipe or Retire goes
/// out. The page itself says when it goes out; the count runs only here.
#[island]
pub fn FollowDevice(
    id: DeviceId,
    stamp: String,
    in_flight: bool,
    wait: u32,
    /// Its texts in the page's language ([`follow_words`]).
    words: Words,
) -> impl IntoView {
    let note = RwSignal::new(None::<&'static str>);
    #[cfg(feature = "hydrate")]
    if in_flight {
        Effect::new(move |_| follow(id, stamp.clone(), note, wait, &words));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (id, stamp, in_flight, wait, words);
    view! {
        <p class="help follow" aria-live="polite">
            {move || note.get()}
        </p>
        <p class="help countdown" id="countdown"></p>
    }
}

#[cfg(feature = "hydrate")]
fn follow(
    id: DeviceId,
    stamp: String,
    note: RwSignal<Option<&'static str>>,
    wait: u32,
    words: &Words,
) {
    // The page's words live as long as the page: kept for good, they are
    // as cheap to hand around as the English constants.
    let kept = |index: usize| -> &'static str { String::leak(words.get(index).to_owned()) };
    let (follows, changed_text, answered) = (kept(FOLLOWS), kept(CHANGED), kept(ANSWERED));
    let (before, after) = words.around(GOES_OUT);
    let (before, after) = (
        String::leak(before.to_owned()),
        String::leak(after.to_owned()),
    );
    if wait > 0 {
        // Written straight into the page each second: a signal of its own
        // would weigh more in the bundle than the count is worth.
        let left = std::cell::Cell::new(wait + 1);
        let count = move || {
            let seconds = left.get().saturating_sub(1);
            left.set(seconds);
            if let Some(shown) = document().get_element_by_id("countdown") {
                let text = match seconds {
                    0 => String::new(),
                    _ => format!("{before}{}:{:02}{after}", seconds / 60, seconds % 60),
                };
                shown.set_text_content(Some(&text));
            }
        };
        count();
        let _ = set_interval_with_handle(count, std::time::Duration::from_secs(1));
    }
    note.set(Some(follows));
    let timer = StoredValue::new_local(None::<IntervalHandle>);
    let asking = StoredValue::new_local(false);
    let tick = move || {
        if asking.get_value() {
            return;
        }
        asking.set_value(true);
        let stamp = stamp.clone();
        leptos::task::spawn_local(async move {
            let changed = current_stamp(id).await.is_some_and(|now| now != stamp);
            asking.set_value(false);
            if changed {
                if let Some(handle) = timer.get_value() {
                    handle.clear();
                }
                if typing() {
                    note.set(Some(changed_text));
                } else if window().location().reload().is_err() {
                    note.set(Some(answered));
                }
            }
        });
    };
    if let Ok(handle) = set_interval_with_handle(tick, EVERY) {
        timer.set_value(Some(handle));
    }
}

/// The device's stamp now, from the `device_progress` server function
/// (asked with a plain `fetch` and read without the server functions'
/// client, which would triple the size of the bundle); `None` when it
/// cannot be asked (offline, signed out): the page stays as it is.
#[cfg(feature = "hydrate")]
async fn current_stamp(id: DeviceId) -> Option<String> {
    use crate::api::devices::DeviceProgress;
    use leptos::server_fn::ServerFn;
    use leptos::wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    let url = format!("{}?id={id}", DeviceProgress::url());
    let response: leptos::web_sys::Response = JsFuture::from(window().fetch_with_str(&url))
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    if !response.ok() {
        return None;
    }
    let progress = JsFuture::from(response.json().ok()?).await.ok()?;
    js_sys::Reflect::get(&progress, &"stamp".into())
        .ok()?
        .as_string()
}

/// Whether a field on the page holds something typed and not sent yet,
/// which showing the page again would lose.
#[cfg(feature = "hydrate")]
fn typing() -> bool {
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::{HtmlInputElement, HtmlTextAreaElement};

    let Ok(fields) = document().query_selector_all("input, textarea") else {
        return false;
    };
    (0..fields.length())
        .filter_map(|i| fields.item(i))
        .any(|field| {
            if let Some(input) = field.dyn_ref::<HtmlInputElement>() {
                match input.type_().as_str() {
                    "checkbox" | "radio" => input.checked() != input.default_checked(),
                    "hidden" | "submit" | "button" => false,
                    _ => input.value() != input.default_value(),
                }
            } else {
                field
                    .dyn_ref::<HtmlTextAreaElement>()
                    .is_some_and(|area| Ok(area.value()) != area.default_value())
            }
        })
}
