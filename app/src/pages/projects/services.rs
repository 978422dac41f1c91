use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use nsm_core::service::{verdict, ServiceState, Verdict};

use crate::api::deployments::{list_services, UpdateService};
use crate::components::{about_project, use_live, ErrorBanner, Loading};
use crate::model::ServiceView;

/// Every discovered compose service: its expected state (what a deploy settles
/// against), whether its logs are collected, and the last state Docker reported.
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
    view! {
        {move || save.value().get().and_then(Result::err).map(|e| view! { <div class="mb-4"><ErrorBanner error=e /></div> })}
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
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
                                    <tr><th class="px-4 py-3">"Service"</th><th class="px-4 py-3">"Actual"</th><th class="px-4 py-3">"Verdict"</th><th class="px-4 py-3">"Expected state"</th><th class="px-4 py-3">"Collect logs"</th><th class="px-4 py-3"></th></tr>
                                </thead>
                                <tbody class="divide-y divide-slate-100">
                                    {list.into_iter().map(|s| view! { <ServiceRow id=id.get_untracked() service=s save /> }).collect_view()}
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
fn ServiceRow(id: String, service: ServiceView, save: ServerAction<UpdateService>) -> impl IntoView {
    let actual = service.actual.map(|a| a.to_string()).unwrap_or_else(|| "unknown".into());
    // Since when, as the worker reported it (`HH:MM:SS` UTC).
    let since = service.actual_at.as_deref().and_then(|t| t.get(11..19)).map(str::to_owned);
    // The badge says how the state compares with what is expected, not the word alone
    // (`exited` is right for a one-off job).
    let verdict = verdict(service.expected, service.actual);
    let badge = match verdict {
        Verdict::Matching => "bg-emerald-50 text-emerald-700",
        Verdict::Mismatch => "bg-red-50 text-red-700",
        Verdict::Unknown | Verdict::Unchecked => "bg-slate-100 text-slate-600",
    };
    let (verdict_text, verdict_class) = match verdict {
        Verdict::Matching => ("matching".to_owned(), "text-emerald-700"),
        Verdict::Mismatch => (
            format!(
                "expected {} — {actual}{}",
                service.expected,
                since.as_deref().map(|s| format!(" since {s} UTC")).unwrap_or_default()
            ),
            "font-medium text-red-700",
        ),
        Verdict::Unknown => ("unknown (worker offline or not reported yet)".to_owned(), "text-slate-500"),
        Verdict::Unchecked => ("not checked".to_owned(), "text-slate-400"),
    };

    let form_id = format!("service-{}", service.name);
    let name = service.name.clone();
    view! {
        <tr data-service=service.name.clone()>
            <td class="px-4 py-3 font-medium">
                {service.name.clone()}
                {service.missing.then(|| view! { <span class="ml-2 rounded bg-amber-50 px-1.5 text-xs text-amber-700">"not in compose file"</span> })}
            </td>
            <td class="px-4 py-3"><span class=format!("rounded-full px-2 py-0.5 text-xs font-medium {badge}") data-testid="service-actual">{actual}</span></td>
            <td class=format!("px-4 py-3 text-xs {verdict_class}") data-testid="service-verdict">{verdict_text}</td>
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
                <ActionForm action=save attr:id=form_id>
                    <input type="hidden" name="id" value=id />
                    <input type="hidden" name="service" value=name />
                    <button type="submit" class="rounded-md border border-slate-300 px-3 py-1 text-xs font-medium hover:bg-slate-50">"Save"</button>
                </ActionForm>
            </td>
        </tr>
    }
}
