//! Admin → Audit log: every recorded action, filtered by actor, action,
//! outcome and time, paged, and exported as CSV with the same filter.

use crate::domain::text::TextEnum;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{Pager, query_string};
use crate::api::admin::search_audit;
use crate::components::status::loaded;
use crate::components::table::DataTable;
use crate::domain::audit::{AuditQuery, Outcome};

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || query.with(|q| AuditQuery::from_pairs(|k| q.get(k)));
    let page = move || {
        query.with(|q| {
            q.get("page")
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(1)
        })
    };
    let current = filter();
    let csv_link = format!("/admin/audit.csv?{}", query_string(&current.pairs()));

    view! {
            <Title text="Audit log" />
            <h1>"Audit log"</h1>
            <form method="get" action="/admin/audit" class="filters">
                <div class="field">
                    <label for="actor">"Who"</label>
                    <input id="actor" name="actor" type="text" value=current.actor.clone() placeholder="user name" />
                </div>
                <div class="field">
                    <label for="action">"Action"</label>
                    <input id="action" name="action" type="text" value=current.action.clone() placeholder="e.g. sign_in" />
                </div>
                <div class="field">
                    <label for="target">"Target"</label>
                    <input id="target" name="target" type="text" value=current.target.clone() />
                </div>
                <div class="field">
                    <label for="outcome">"Outcome"</label>
                    <select id="outcome" name="outcome">
                        <option value="" selected=current.outcome.is_empty()>
                            "Any"
                        </option>
                        {Outcome::ALL
                            .iter()
                            .copied()
                            .map(|o| {
                                view! {
                                    <option value=o.as_str() selected=current.outcome == o.as_str()>
                                        {o.as_str()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="from">"From (UTC day)"</label>
                    <input id="from" name="from" type="date" value=current.from.clone() />
                </div>
                <div class="field">
                    <label for="to">"To (UTC day)"</label>
                    <input id="to" name="to" type="date" value=current.to.clone() />
                </div>
                <div class="actions">
                    <button type="submit">"Filter"</button>
                    <a href=csv_link class="button secondary" download="audit.csv">
                        "Export CSV"
                    </a>
                </div>
            </form>
            {loaded(search_audit(filter().filter(), page()), move |value| match value {
                            found if found.rows.is_empty() => {
                                view! { <p class="card">"No event matches this filter."</p> }.into_any()
                            }
                            found => {
                                view! {
                                    <DataTable label="Audit events" headings=&["Time (UTC)", "Who", "Action", "Target", "Outcome", "From", "Details"] class="audit">
                                        {found
                                            .rows
                                            .iter()
                                            .map(|row| {
                                                view! {
                                                    <tr>
                                                        <td data-label="Time (UTC)">{row.at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                                        <td data-label="Who">{row.actor.clone().unwrap_or_else(|| "—".to_owned())}</td>
                                                        <td data-label="Action">{row.action.clone()}</td>
                                                        <td data-label="Target">{row.target.clone().unwrap_or_default()}</td>
                                                        <td data-label="Outcome">
                                                            <span class=format!(
                                                                "badge {}",
                                                                row.outcome.as_str(),
                                                            )>{row.outcome.as_str()}</span>
                                                        </td>
                                                        <td data-label="From" title=row.user_agent.clone()>{row.client_addr.clone()}</td>
                                                        <td data-label="Details">
                                                            <code>{row.details.clone()}</code>
                                                        </td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </DataTable>
                                    <Pager
                                        base="/admin/audit".to_owned()
                                        params=filter().pairs()
                                        page=found.page
                                        per_page=found.per_page
                                        total=found.total
                                    />
                                }
                                    .into_any()
                            }

    })}
        }
}
