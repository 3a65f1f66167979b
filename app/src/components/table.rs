//! A table of rows with its column headings, which scrolls sideways on a
//! narrow screen instead of widening the page: in a named box that the
//! keyboard can reach (to scroll it with the arrow keys).

use leptos::prelude::*;

use crate::i18n::tt;

/// `headings` name the columns; the children are the rows (`<tr>`);
/// `label` names the table (and the box it scrolls in).
///
/// Both are shown in the request's language: pass them in English, each
/// marked for the catalogue with `en`, or translated already (a text
/// already translated stays as it is).
#[component]
pub fn DataTable(
    label: &'static str,
    #[prop(into)] headings: Vec<&'static str>,
    #[prop(optional)] class: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    let region = tt(label);
    let table = region.clone();
    view! {
        <div class="table-wrap" role="region" aria-label=region tabindex="0">
            <table class=class aria-label=table>
                <thead>
                    <tr>
                        {headings
                            .iter()
                            .map(|heading| view! { <th scope="col">{tt(heading)}</th> })
                            .collect_view()}
                    </tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}
