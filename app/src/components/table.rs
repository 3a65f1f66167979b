//! A table of rows with its column headings, which scrolls sideways on a
//! narrow screen instead of widening the page.

use leptos::prelude::*;

/// `headings` name the columns; the children are the rows (`<tr>`).
#[component]
pub fn DataTable(
    headings: &'static [&'static str],
    #[prop(optional)] class: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class=class>
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
