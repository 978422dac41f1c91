use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use nsm_core::access::Permission;
use nsm_core::service::{Segment, ServiceState, Verdict};

use crate::api::deployments::{get_service_timelines, list_services, UpdateService};
use crate::components::{about_project, use_clock, use_live, Allowed, ErrorBanner, Loading, VerdictTimeline};
use crate::model::ServiceView;

use super::resource_use::{follow_resource_use, ResourceCell, ResourceUse};

/// Every discovered compose service: its expected state (what a deploy settles
/// against), whether its logs are collected, what its containers do against it (with
/// why, and drift since the last deployment), its last 24 hours, and its resource use
/// (sampled while this tab is open).
#[component]
pub fn ServicesTab() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let save = ServerAction::<UpdateService>::new();
    let changed = use_live(move |event| {
        matches!(event, nsm_core::events::LiveEvent::Service { .. }) && about_project(event, &id.get_untracked())
    });
    let services =
        Resource::new(move || (id.get(), save.version().get(), changed.get()), |(id, _, _)| list_services(id));
    let timelines = Resource::new(move || (id.get(), changed.get()), |(id, _)| get_service_timelines(id));
    let usage = follow_resource_use(id);
    view! {
        {move || save.value().get().and_then(Result::err).map(|e| view! { <div class="mb-4"><ErrorBanner error=e /></div> })}
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                // A timeline that cannot load leaves its cell empty; the table still shows.
                let timelines = timelines.await.ok();
                let timeline_of = move |name: &str| {
                    let t = timelines.as_ref()?;
                    let found = t.services.iter().find(|s| s.service == name)?;
                    Some((t.from, t.to, found.segments.clone()))
                };
                match services.await {
                    Ok(list) if list.is_empty() => view! {
                        <div class="rounded-xl border border-dashed border-slate-300 bg-white p-8 text-sm text-slate-500">
                            "No services yet. Use “Sync with repository” to discover the compose file's services."
                        </div>
                    }.into_any(),
                    Ok(list) => view! {
                        <div class="overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm">
                            <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="services-table">
                                <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                                    <tr><th class="px-4 py-3">"Service"</th><th class="px-4 py-3">"Actual"</th><th class="px-4 py-3">"Verdict"</th><th class="px-4 py-3">"Last 24 h"</th><th class="px-4 py-3">"Resource use (1 h)"</th><th class="px-4 py-3">"Expected state"</th><th class="px-4 py-3">"Collect logs"</th><th class="px-4 py-3"></th></tr>
                                </thead>
                                <tbody class="divide-y divide-slate-100">
                                    {list.into_iter().map(|s| {
                                        let timeline = timeline_of(&s.name);
                                        view! { <ServiceRow id=id.get_untracked() service=s timeline usage save /> }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <ErrorBanner error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ServiceRow(
    id: String,
    service: ServiceView,
    timeline: Option<(i64, i64, Vec<Segment<Verdict>>)>,
    usage: ResourceUse,
    save: ServerAction<UpdateService>,
) -> impl IntoView {
    let now = use_clock();
    let a = service.assessment.clone();
    let actual = match (&a.actual, a.verdict) {
        (Some(state), _) => state.to_string(),
        (None, Verdict::Unknown | Verdict::Unchecked) if a.findings.is_empty() => "unknown".to_owned(),
        (None, _) => "no container".to_owned(),
    };
    // The badge says how the state compares with what is expected, not the word alone
    // (`exited` is right for a one-off job).
    let badge = match a.verdict {
        Verdict::Matching => "bg-emerald-50 text-emerald-700",
        Verdict::Mismatch => "bg-red-50 text-red-700",
        Verdict::Unknown | Verdict::Unchecked => "bg-slate-100 text-slate-600",
    };
    let mut facts = Vec::new();
    if let Some(code) = a.exit_code {
        facts.push(format!("exit code {code}"));
    }
    if a.restarts > 0 {
        facts.push(format!("{} restart{}", a.restarts, if a.restarts == 1 { "" } else { "s" }));
    }
    if let Some(health) = a.health {
        facts.push(health.to_string());
    }
    let verdict_class = match a.verdict {
        Verdict::Matching => "text-emerald-700",
        Verdict::Mismatch => "font-medium text-red-700",
        Verdict::Unknown => "text-slate-500",
        Verdict::Unchecked => "text-slate-400",
    };
    let (verdict, findings) = (a.verdict, a.findings.clone());
    // Re-read as the clock moves: "12 s ago" stays true.
    let verdict_text = move || {
        let now = Some(now.get());
        let said: Vec<String> = findings.iter().map(|f| f.describe(now)).collect();
        match verdict {
            Verdict::Matching if said.is_empty() => "matching".to_owned(),
            Verdict::Matching => format!("matching · {}", said.join(" · ")),
            Verdict::Mismatch => said.join(" · "),
            Verdict::Unknown => "unknown (worker offline or not reported yet)".to_owned(),
            Verdict::Unchecked if said.is_empty() => "not checked".to_owned(),
            Verdict::Unchecked => format!("not checked · {}", said.join(" · ")),
        }
    };

    let form_id = format!("service-{}", service.name);
    let name = service.name.clone();
    // Copy handles for the Save form, which renders inside a closure that may run again.
    let (save_form, save_name) = (StoredValue::new(form_id.clone()), StoredValue::new(name.clone()));
    let save_id = StoredValue::new(id);
    view! {
        <tr data-service=service.name.clone()>
            <td class="px-4 py-3 font-medium">
                {service.name.clone()}
                {service.missing.then(|| view! { <span class="ml-2 rounded bg-amber-50 px-1.5 text-xs text-amber-700">"not in compose file"</span> })}
            </td>
            <td class="px-4 py-3">
                <span class=format!("rounded-full px-2 py-0.5 text-xs font-medium {badge}") data-testid="service-actual">{actual}</span>
                {(!facts.is_empty()).then(|| view! { <div class="mt-1 text-xs text-slate-500" data-testid="service-facts">{facts.join(" · ")}</div> })}
            </td>
            <td class=format!("px-4 py-3 text-xs {verdict_class}") data-testid="service-verdict">{verdict_text}</td>
            <td class="px-4 py-3">
                {timeline.map(|(from, to, segments)| view! { <VerdictTimeline from to segments /> }.into_any())}
            </td>
            <td class="px-4 py-3">
                {view! { <ResourceCell series=usage service=service.name.clone() /> }.into_any()}
            </td>
            <td class="px-4 py-3">
                <select name="expected" form=form_id.clone() class="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm">
                    {ServiceState::ALL.iter().copied().map(|state| view! {
                        <option value=state.as_str() selected=state == service.expected>{state.as_str()}</option>
                    }).collect_view()}
                </select>
            </td>
            <td class="px-4 py-3">
                <input type="checkbox" name="collect_logs" value="on" form=form_id.clone() checked=service.collect_logs class="h-4 w-4" />
            </td>
            <td class="px-4 py-3 text-right">
                <Allowed permission=Permission::Edit>
                    <ActionForm action=save attr:id=save_form.get_value()>
                        <input type="hidden" name="id" value=save_id.get_value() />
                        <input type="hidden" name="service" value=save_name.get_value() />
                        <button type="submit" class="rounded-md border border-slate-300 px-3 py-1 text-xs font-medium hover:bg-slate-50">"Save"</button>
                    </ActionForm>
                </Allowed>
            </td>
        </tr>
    }
    .into_any()
}
