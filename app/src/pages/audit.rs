//! Settings → Audit log, for administrators: who did what, when, to which target,
//! before → after (secret values are never in it), filtered by user, project, kind and
//! time range. The filters live in the address (`?user=…&kind=…`), so a filtered view
//! can be bookmarked, and the "Export JSON" link carries the same ones to
//! `GET /api/v1/audit`.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;
use nsm_core::access::Permission;
use nsm_core::audit::{AuditEntry, AuditFilterForm, AuditKind, KindFilter};

use super::account::{BUTTON, PRIMARY, SECTION};
use super::settings::SettingsNav;
use crate::api::audit::list_audit;
use crate::components::{Allowed, ErrorBanner, Loading, PageHeader};

const PAGE: &str = "/settings/audit";
const INPUT: &str = "mt-1 w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm";

fn form_of(query: &ParamsMap) -> AuditFilterForm {
    let get = |name: &str| query.get(name).unwrap_or_default();
    AuditFilterForm {
        user: get("user"),
        project: get("project"),
        kind: get("kind"),
        from: get("from"),
        to: get("to"),
        before: get("before"),
        limit: String::new(),
    }
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

#[component]
pub fn AuditLogPage() -> impl IntoView {
    view! {
        <Title text="Audit log" />
        <PageHeader title="Settings".into() subtitle="Audit log: sign-ins, changes, deployments and token use".into() />
        <SettingsNav />
        <Allowed permission=Permission::Admin>
            <AuditLog />
        </Allowed>
    }
}

#[component]
fn AuditLog() -> impl IntoView {
    let query = use_query_map();
    let form = Memo::new(move |_| query.with(form_of));
    let page = Resource::new(
        move || form.get(),
        |f| {
            list_audit(
                non_empty(&f.user),
                non_empty(&f.project),
                non_empty(&f.kind),
                non_empty(&f.from),
                non_empty(&f.to),
                non_empty(&f.before),
                None,
            )
        },
    );
    let export = move || {
        let query = form.get().query();
        if query.is_empty() {
            "/api/v1/audit".to_owned()
        } else {
            format!("/api/v1/audit?{query}")
        }
    };
    view! {
        <section class=SECTION data-testid="audit-section">
            <div class="flex flex-wrap items-start justify-between gap-3">
                <p class="max-w-2xl text-sm text-slate-500">
                    "Every sign-in and failed attempt, configuration change (before → after; secret values show as ••••), "
                    "deployment and what triggered it, role change, API token use (once an hour per token) and refused "
                    "webhook calls (counted per minute). Times are UTC. Entries older than the retention setting "
                    "(--audit-retention-days, 90 days unless set) are deleted."
                </p>
                <a href=export class=BUTTON rel="external" download="nsm-audit.json" data-testid="audit-export">"Export JSON"</a>
            </div>
            {move || view! { <Filters form=form.get() /> }}
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) if page.entries.is_empty() => view! {
                            <p class="mt-4 rounded-lg border border-dashed border-slate-300 p-6 text-sm text-slate-500" data-testid="audit-empty">
                                "No entries match these filters."
                            </p>
                        }.into_any(),
                        Ok(page) => {
                            let older = page.next_before.map(|before| {
                                let query = form.get_untracked().query();
                                let and = if query.is_empty() { "" } else { "&" };
                                format!("{PAGE}?{query}{and}before={before}")
                            });
                            let newest = (!form.get_untracked().before.is_empty()).then(|| {
                                let query = form.get_untracked().query();
                                if query.is_empty() { PAGE.to_owned() } else { format!("{PAGE}?{query}") }
                            });
                            view! {
                                <AuditTable entries=page.entries />
                                <div class="mt-3 flex gap-3 text-sm">
                                    {newest.map(|href| view! { <a href=href class="text-indigo-600 hover:underline">"← Newest"</a> })}
                                    {older.map(|href| view! { <a href=href class="text-indigo-600 hover:underline" data-testid="audit-older">"Older entries →"</a> })}
                                </div>
                            }.into_any()
                        }
                        Err(e) => view! { <div class="mt-4"><ErrorBanner error=e /></div> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Filters(form: AuditFilterForm) -> impl IntoView {
    let kind = form.kind.clone();
    let option = move |value: &'static str, label: &'static str| {
        let selected = kind == value;
        view! { <option value=value selected=selected>{label}</option> }
    };
    let kinds =
        AuditKind::ALL.iter().filter(|k| **k != AuditKind::Other).map(|k| option(k.as_str(), k.label())).collect_view();
    view! {
        <Form method="GET" action=PAGE attr:class="mt-4 grid grid-cols-2 gap-3 md:grid-cols-6" attr:data-testid="audit-filters">
            <label class="text-sm font-medium text-slate-700">"User"
                <input name="user" value=form.user class=INPUT placeholder="any" />
            </label>
            <label class="text-sm font-medium text-slate-700">"Project"
                <input name="project" value=form.project class=INPUT placeholder="any" />
            </label>
            <label class="text-sm font-medium text-slate-700">"Kind"
                <select name="kind" class=INPUT>
                    {option("", "Any")}
                    {option(KindFilter::CONFIGURATION, "Any configuration change")}
                    {kinds}
                </select>
            </label>
            <label class="text-sm font-medium text-slate-700">"From (UTC)"
                <input name="from" type="datetime-local" value=form.from class=INPUT />
            </label>
            <label class="text-sm font-medium text-slate-700">"To (UTC)"
                <input name="to" type="datetime-local" value=form.to class=INPUT />
            </label>
            <div class="flex items-end gap-2">
                <button type="submit" class=PRIMARY>"Filter"</button>
                <a href=PAGE class=BUTTON>"Clear"</a>
            </div>
        </Form>
    }
}

#[component]
fn AuditTable(entries: Vec<AuditEntry>) -> impl IntoView {
    view! {
        <div class="mt-4 overflow-x-auto rounded-lg border border-slate-200">
            <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="audit-table">
                <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                    <tr>
                        <th class="px-3 py-2">"Time"</th>
                        <th class="px-3 py-2">"User"</th>
                        <th class="px-3 py-2">"Kind"</th>
                        <th class="px-3 py-2">"Target"</th>
                        <th class="px-3 py-2">"Before → after"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100 align-top">
                    {entries.into_iter().map(|entry| view! { <AuditRow entry /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn AuditRow(entry: AuditEntry) -> impl IntoView {
    let badge = if entry.kind.is_configuration() {
        "bg-indigo-50 text-indigo-700"
    } else if matches!(entry.kind, AuditKind::SignInFailed | AuditKind::WebhookRefused) {
        "bg-red-50 text-red-700"
    } else {
        "bg-slate-100 text-slate-700"
    };
    let trigger = entry.trigger.map(|t| format!("via {}", t.label()));
    let count = (entry.count > 1).then(|| format!("× {}", entry.count));
    let change = match (entry.before, entry.after) {
        (None, None) => None,
        (before, after) => Some((before.unwrap_or_else(|| "—".into()), after.unwrap_or_else(|| "—".into()))),
    };
    view! {
        <tr data-testid="audit-row" data-kind=entry.kind.as_str()>
            <td class="whitespace-nowrap px-3 py-2 font-mono text-xs text-slate-600">{entry.at.replace('T', " ").replace('Z', "")}</td>
            <td class="px-3 py-2">{entry.user.unwrap_or_else(|| "—".into())}</td>
            <td class="whitespace-nowrap px-3 py-2">
                <span class=format!("rounded-full px-2 py-0.5 text-xs font-medium {badge}")>{entry.kind.label()}</span>
                <span class="ml-1 text-slate-600">{entry.action.label()}</span>
            </td>
            <td class="px-3 py-2">
                <span class="font-medium">{entry.target}</span>
                {trigger.map(|t| view! { <span class="ml-2 rounded bg-slate-100 px-1.5 text-xs text-slate-600">{t}</span> })}
                {count.map(|c| view! { <span class="ml-2 rounded bg-red-50 px-1.5 text-xs text-red-700">{c}</span> })}
                {entry.detail.map(|d| view! { <p class="mt-0.5 text-xs text-slate-500">{d}</p> })}
            </td>
            <td class="px-3 py-2">
                {change.map(|(before, after)| view! {
                    <div class="flex flex-wrap items-start gap-2 font-mono text-xs">
                        <pre class="whitespace-pre-wrap rounded bg-red-50 px-2 py-1 text-red-800" data-testid="audit-before">{before}</pre>
                        <span class="pt-1 text-slate-400">"→"</span>
                        <pre class="whitespace-pre-wrap rounded bg-emerald-50 px-2 py-1 text-emerald-800" data-testid="audit-after">{after}</pre>
                    </div>
                })}
            </td>
        </tr>
    }
}
