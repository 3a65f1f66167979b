//! A table of rows with its column headings, which scrolls sideways on a
//! narrow screen instead of widening the page: in a named box that the
//! keyboard can reach (to scroll it with the arrow keys).

use leptos::prelude::*;

/// `headings` name the columns; the children are the rows (`<tr>`);
/// `label` names the table (and the box it scrolls in).
#[component]
pub fn DataTable(
    label: &'static str,
    headings: &'static [&'static str],
    #[prop(optional)] class: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="table-wrap" role="region" aria-label=label tabindex="0">
            <table class=class aria-label=label>
                <thead>
                    <tr>
                        {headings
                            .iter()
                            .map(|heading| view! { <th scope="col">{*heading}</th> })
                            .collect_view()}
                    </tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}
