use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use nsm_core::access::Permission;
use nsm_core::{DeploymentId, DeploymentState};

use super::actions::short;
use super::ci::CiPanel;
use super::plan_view::RedeployPlan;
use crate::api::deployments::list_deployments;
use crate::components::{about_project, use_live, Allowed, ErrorBanner, Loading};
use crate::model::DeploymentSummary;

#[component]
pub fn DeploymentsTab() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let tick = use_live(move |event| {
        matches!(event, nsm_core::events::LiveEvent::Deployment { lines, .. } if lines.is_empty())
            && about_project(event, &id.get_untracked())
    });
    let history = Resource::new(move || (id.get(), tick.get()), |(id, _)| list_deployments(id));
    // The deployment whose redeploy plan is shown.
    let redeploying = RwSignal::new(None::<DeploymentId>);
    view! {
        <CiPanel project=id />
        <h2 class="mb-3 text-base font-semibold">"History"</h2>
        {move || redeploying.get().map(|deployment| view! {
            <div class="mb-4">
                <RedeployPlan project=id.get_untracked() deployment on_cancel=Callback::new(move |()| redeploying.set(None)) />
            </div>
        })}
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match history.await {
                    Ok(list) if list.is_empty() => view! {
                        <div class="rounded-xl border border-dashed border-slate-300 bg-white p-8 text-sm text-slate-500">"No deployments yet. Press Deploy to run the first one."</div>
                    }.into_any(),
                    Ok(list) => view! {
                        <div class="overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm">
                            <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="deployments-table">
                                <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                                    <tr><th class="px-4 py-3">"#"</th><th class="px-4 py-3">"Result"</th><th class="px-4 py-3">"Trigger"</th><th class="px-4 py-3">"Commit"</th><th class="px-4 py-3">"Started"</th><th class="px-4 py-3">"Duration"</th><th class="px-4 py-3"></th></tr>
                                </thead>
                                <tbody class="divide-y divide-slate-100">
                                    {list.into_iter().map(|d| view! { <HistoryRow project=id.get_untracked() deployment=d redeploying /> }).collect_view()}
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

pub fn state_badge(state: DeploymentState) -> &'static str {
    match state {
        DeploymentState::Succeeded => "bg-emerald-50 text-emerald-700",
        DeploymentState::Failed | DeploymentState::TimedOut => "bg-red-50 text-red-700",
        DeploymentState::Cancelled => "bg-slate-100 text-slate-600",
        DeploymentState::Queued
        | DeploymentState::Preparing
        | DeploymentState::Starting
        | DeploymentState::Settling => "bg-indigo-50 text-indigo-700",
    }
}

#[component]
fn HistoryRow(
    project: String,
    deployment: DeploymentSummary,
    redeploying: RwSignal<Option<DeploymentId>>,
) -> impl IntoView {
    let href = format!("/projects/{project}/deployments/{}", deployment.id);
    let trigger = match deployment.redeploy_of {
        Some(of) => format!("rollback of #{of}"),
        None => deployment.trigger.to_string(),
    };
    let who = match &deployment.triggered_by {
        Some(by) => format!("{trigger} · {by}"),
        None => trigger,
    };
    let id = deployment.id;
    let succeeded = deployment.state == DeploymentState::Succeeded;
    view! {
        <tr>
            <td class="px-4 py-3"><a href=href class="font-medium text-indigo-600 hover:underline">{format!("#{}", deployment.id)}</a></td>
            <td class="px-4 py-3">
                <span class=format!("rounded-full px-2 py-0.5 text-xs font-medium {}", state_badge(deployment.state))>{deployment.state.as_str().replace('_', " ")}</span>
                {deployment.reason.map(|r| { let title = r.clone(); view! { <p class="mt-1 max-w-md truncate text-xs text-slate-500" title=title>{r}</p> } })}
            </td>
            <td class="px-4 py-3 text-slate-600">{who}</td>
            <td class="px-4 py-3 font-mono text-xs">{deployment.commit.as_deref().map(short).unwrap_or_else(|| "—".into())}</td>
            <td class="px-4 py-3 text-slate-600">{deployment.started_at.unwrap_or(deployment.created_at)}</td>
            <td class="px-4 py-3 text-slate-600">{deployment.duration_secs.map(|s| format!("{s} s")).unwrap_or_else(|| "—".into())}</td>
            <td class="px-4 py-3 text-right">
                {succeeded.then(|| view! {
                    <Allowed permission=Permission::Deploy>
                        <button type="button" class="whitespace-nowrap rounded-md border border-slate-300 px-2 py-1 text-xs font-medium hover:bg-slate-50"
                            data-testid="redeploy" on:click=move |_| redeploying.set(Some(id))>"Redeploy this version"</button>
                    </Allowed>
                })}
            </td>
        </tr>
    }
}
