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
use crate::i18n::{en, lang, t};

const HEADINGS: &[&str] = &[
    en("Time (UTC)"),
    en("Who"),
    en("Action"),
    en("Target"),
    en("Outcome"),
    en("From"),
    en("Details"),
];

/// An outcome in the request's language (its value stays the filter's).
fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Success => t("success"),
        Outcome::Failure => t("failure"),
        Outcome::Refused => t("refused"),
    }
}

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
            <Title text=t("Audit log") />
            <h1>{t("Audit log")}</h1>
            <form method="get" action="/admin/audit" class="filters">
                <div class="field">
                    <label for="actor">{t("Who")}</label>
                    <input id="actor" name="actor" type="text" value=current.actor.clone() placeholder=t("user name") />
                </div>
                <div class="field">
                    <label for="action">{t("Action")}</label>
                    <input id="action" name="action" type="text" value=current.action.clone() placeholder=t("e.g. sign_in") />
                </div>
                <div class="field">
                    <label for="target">{t("Target")}</label>
                    <input id="target" name="target" type="text" value=current.target.clone() />
                </div>
                <div class="field">
                    <label for="outcome">{t("Outcome")}</label>
                    <select id="outcome" name="outcome">
                        <option value="" selected=current.outcome.is_empty()>
                            {t("Any")}
                        </option>
                        {Outcome::ALL
                            .iter()
                            .copied()
                            .map(|o| {
                                view! {
                                    <option value=o.as_str() selected=current.outcome == o.as_str()>
                                        {outcome_label(o)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="from">{t("From (UTC day)")}</label>
                    <input id="from" name="from" type="date" value=current.from.clone() />
                </div>
                <div class="field">
                    <label for="to">{t("To (UTC day)")}</label>
                    <input id="to" name="to" type="date" value=current.to.clone() />
                </div>
                <div class="actions">
                    <button type="submit">{t("Filter")}</button>
                    <a href=csv_link class="button secondary" download="audit.csv">
                        {t("Export CSV")}
                    </a>
                </div>
            </form>
            {loaded(search_audit(filter().filter(), page()), move |value| match value {
                            found if found.rows.is_empty() => {
                                view! { <p class="card">{t("No event matches this filter.")}</p> }.into_any()
                            }
                            found => {
                                view! {
                                    <DataTable label=t("Audit events") headings=HEADINGS class="audit">
                                        {found
                                            .rows
                                            .iter()
                                            .map(|row| {
                                                view! {
                                                    <tr>
                                                        <td data-label=t("Time (UTC)")>{lang().date_time_seconds(row.at)}</td>
                                                        <td data-label=t("Who")>{row.actor.clone().unwrap_or_else(|| "—".to_owned())}</td>
                                                        <td data-label=t("Action")>{row.action.clone()}</td>
                                                        <td data-label=t("Target")>{row.target.clone().unwrap_or_default()}</td>
                                                        <td data-label=t("Outcome")>
                                                            <span class=format!(
                                                                "badge {}",
                                                                row.outcome.as_str(),
                                                            )>{outcome_label(row.outcome)}</span>
                                                        </td>
                                                        <td data-label=t("From") title=row.user_agent.clone()>{row.client_addr.clone()}</td>
                                                        <td data-label=t("Details")>
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
