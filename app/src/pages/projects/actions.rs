use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};

use crate::api::deployments::{get_project_status, DeployProject, SyncProject, TeardownProject};
use crate::api::plan::get_plan;
use crate::model::{ProjectStatus, SyncView};
use nsm_core::access::Permission;
use nsm_core::attention::{Attention, ALL_CONFIGURED};

use super::plan_view::{blocks, PlanPanel};

use crate::components::{about_project, use_live, Allowed};
use crate::error::AppError;

/// Sync, Deploy and Teardown for a project, with its current status.
#[component]
pub fn ProjectActions(#[prop(into)] id: Signal<String>) -> impl IntoView {
    let sync = ServerAction::<SyncProject>::new();
    let deploy = ServerAction::<DeployProject>::new();
    let teardown = ServerAction::<TeardownProject>::new();
    // A state change of one of its deployments or services (not every log line).
    let tick = use_live(move |event| {
        about_project(event, &id.get_untracked())
            && !matches!(event, nsm_core::events::LiveEvent::Deployment { lines, .. } if !lines.is_empty())
    });
    // Read again on every change it reflects: a deployment's or service's state (the
    // terminal `deployment` event included), a deploy or sync from here, a save on the
    // Environment tab, and a tab switch (what another tab changed is then read).
    // `tick` also moves once the live stream opens, so a value rendered by the server
    // before a deployment ended is replaced.
    let configured = use_context::<super::detail::ProjectContext>().map(|c| c.configured);
    let pathname = use_location().pathname;
    let status = Resource::new(
        move || {
            let saved = configured.map_or(0, |c| c.get());
            (id.get(), tick.get(), deploy.version().get(), sync.version().get(), saved, pathname.get())
        },
        |(id, ..)| get_project_status(id),
    );
    // Deploy first shows the plan; the plan's own button deploys.
    let planning = RwSignal::new(false);
    let navigate = use_navigate();
    // After a deploy is queued, follow it.
    Effect::new(move |_| {
        if let Some(Ok(deployment)) = deploy.value().get() {
            planning.set(false);
            navigate(&format!("/projects/{}/deployments/{deployment}", id.get_untracked()), Default::default());
        }
    });
    let error = move || -> Option<AppError> {
        sync.value()
            .get()
            .and_then(Result::err)
            .or_else(|| deploy.value().get().and_then(Result::err))
            .or_else(|| teardown.value().get().and_then(Result::err))
    };
    let button = "rounded-md border border-slate-300 bg-white px-3 py-2 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50 disabled:opacity-50";
    view! {
        <div class="flex flex-wrap items-center gap-2">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    status.await.ok().map(|s| view! {
                        <span class="mr-2 text-sm text-slate-500" data-testid="project-status">{header(&s)}</span>
                    })
                })}
            </Transition>
            <Allowed permission=Permission::Deploy>
            <ActionForm action=sync>
                <input type="hidden" name="id" value=id />
                <button type="submit" class=button disabled=move || sync.pending().get()>
                    {move || if sync.pending().get() { "Syncing…" } else { "Sync with repository" }}
                </button>
            </ActionForm>
            <ActionForm action=teardown>
                <input type="hidden" name="id" value=id />
                <button type="submit" class=button disabled=move || teardown.pending().get()>"Teardown"</button>
            </ActionForm>
            <button type="button" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60"
                data-testid="deploy" disabled=move || deploy.pending().get() on:click=move |_| planning.set(true)>
                "Deploy"
            </button>
            </Allowed>
        </div>
        <Show when=move || planning.get()>
            <DeployPlan id deploy on_cancel=Callback::new(move |()| planning.set(false)) />
        </Show>
        {move || error().map(|e| view! { <p class="mt-3 text-sm text-red-600" role="alert">{e.to_string()}</p> })}
        {move || sync.value().get().and_then(Result::ok).map(|found| view! { <SyncPanel id found status /> })}
    }
}

/// The header's words: the synced commit and the last deployment, as read now.
fn header(status: &ProjectStatus) -> String {
    let synced = status
        .synced_commit
        .as_deref()
        .map_or_else(|| "never synced".to_owned(), |c| format!("synced at {}", short(c)));
    let last = status
        .last
        .as_ref()
        .map(|d| format!(" · last deployment #{} {}", d.id, d.state.as_str().replace('_', " ")))
        .unwrap_or_default();
    format!("{synced}{last}")
}

/// What the sync found (commit, compose file, services, variables), and what of it
/// still needs the user against the configuration now: read with the header's status,
/// so an item resolved on another tab (a value saved) is gone.
#[component]
fn SyncPanel(id: Signal<String>, found: SyncView, status: Resource<Result<ProjectStatus, AppError>>) -> impl IntoView {
    let compose = found.compose_file.clone().unwrap_or_else(|| "no compose file".into());
    let variables = if found.variables.is_empty() { "none".to_owned() } else { found.variables.join(", ") };
    view! {
        <div class="mt-4 rounded-xl border border-slate-200 bg-white p-4 text-sm" data-testid="sync-result">
            <p class="font-medium">"Synced commit "<code>{short(&found.commit)}</code>" · "{compose}</p>
            <p class="mt-1 text-slate-600">"Services: "{found.services.join(", ")}</p>
            <p class="text-slate-600">"Variables: "{variables}</p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    status.await.ok().map(|s| attention_list(&id.get_untracked(), s.attention))
                })}
            </Transition>
        </div>
    }
}

fn attention_list(project: &str, items: Vec<Attention>) -> AnyView {
    if items.is_empty() {
        return view! { <p class="mt-2 text-emerald-700" data-testid="sync-attention-none">{ALL_CONFIGURED}</p> }
            .into_any();
    }
    let items = items
        .into_iter()
        .map(|item| {
            let href = format!("/projects/{project}{}", item.tab());
            let place = match item.tab() {
                "/environment" => "Environment",
                "/services" => "Services",
                _ => "General",
            };
            view! {
                <li>{item.to_string()}" · "<a class="underline hover:text-amber-900" href=href>{place}</a></li>
            }
        })
        .collect_view();
    view! {
        <div class="mt-2" data-testid="sync-attention">
            <p class="font-medium text-amber-800">"Needs your attention:"</p>
            <ul class="mt-1 list-disc pl-5 text-amber-800">{items}</ul>
        </div>
    }
    .into_any()
}

/// The plan of deploying now, with the button that deploys.
#[component]
fn DeployPlan(id: Signal<String>, deploy: ServerAction<DeployProject>, on_cancel: Callback<()>) -> impl IntoView {
    let plan = Resource::new(move || id.get(), get_plan);
    let blocked = blocks(plan);
    view! {
        <PlanPanel title="Deploy: what will change".to_owned() plan on_cancel>
            <ActionForm action=deploy>
                <input type="hidden" name="id" value=id />
                <button type="submit" data-testid="plan-deploy"
                    class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60"
                    disabled=move || blocked.get() || deploy.pending().get()>
                    {move || if deploy.pending().get() { "Deploying…" } else { "Deploy now" }}
                </button>
            </ActionForm>
        </PlanPanel>
    }
}

pub fn short(commit: &str) -> String {
    commit.chars().take(10).collect()
}
