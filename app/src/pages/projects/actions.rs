use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::deployments::{get_project_status, DeployProject, SyncProject, TeardownProject};
use nsm_core::access::Permission;

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
    let status = Resource::new(
        move || (id.get(), tick.get(), deploy.version().get(), sync.version().get()),
        |(id, _, _, _)| get_project_status(id),
    );
    let navigate = use_navigate();
    // After a deploy is queued, follow it.
    Effect::new(move |_| {
        if let Some(Ok(deployment)) = deploy.value().get() {
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
                    status.await.ok().map(|s| {
                        let synced = s.synced_commit.map(|c| format!("synced at {}", short(&c))).unwrap_or_else(|| "never synced".into());
                        let last = s.last.map(|d| format!(" · last deployment #{} {}", d.id, d.state.as_str().replace('_', " "))).unwrap_or_default();
                        view! { <span class="mr-2 text-sm text-slate-500" data-testid="project-status">{synced}{last}</span> }
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
            <ActionForm action=deploy>
                <input type="hidden" name="id" value=id />
                <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60"
                    disabled=move || deploy.pending().get()>
                    "Deploy"
                </button>
            </ActionForm>
            </Allowed>
        </div>
        {move || error().map(|e| view! { <p class="mt-3 text-sm text-red-600" role="alert">{e.to_string()}</p> })}
        {move || sync.value().get().and_then(Result::ok).map(|found| view! {
            <div class="mt-4 rounded-xl border border-slate-200 bg-white p-4 text-sm" data-testid="sync-result">
                <p class="font-medium">"Synced commit "<code>{short(&found.commit)}</code>" · "{found.compose_file.unwrap_or_else(|| "no compose file".into())}</p>
                <p class="mt-1 text-slate-600">"Services: "{found.services.join(", ")}</p>
                <p class="text-slate-600">"Variables: "{if found.variables.is_empty() { "none".to_owned() } else { found.variables.join(", ") }}</p>
                {(!found.changes.is_empty()).then(|| view! {
                    <ul class="mt-2 list-disc pl-5 text-amber-800">{found.changes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
                })}
                {(!found.unused.is_empty()).then(|| view! { <p class="mt-1 text-slate-500">"No longer used: "{found.unused.join(", ")}</p> })}
            </div>
        })}
    }
}

pub fn short(commit: &str) -> String {
    commit.chars().take(10).collect()
}
