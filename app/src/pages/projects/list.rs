use leptos::prelude::*;
use leptos_meta::Title;
use nsm_core::access::Permission;

use crate::api::projects::list_projects;
use crate::components::{changes_health, use_live, Allowed, ErrorBanner, HealthBadge, Loading, PageHeader};

#[component]
pub fn ProjectListPage() -> impl IntoView {
    let changed = use_live(changes_health);
    let projects = Resource::new(move || changed.get(), |_| list_projects());
    view! {
        <Title text="Projects" />
        <PageHeader title="Projects".into() subtitle="Git repositories deployed with Docker Compose".into()>
            <Allowed permission=Permission::Edit>
                <a href="/projects/new" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500">"New project"</a>
            </Allowed>
        </PageHeader>
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match projects.await {
                    Ok(list) if list.is_empty() => view! {
                        <div class="rounded-xl border border-dashed border-slate-300 bg-white p-10 text-center">
                            <h2 class="text-base font-semibold">"No projects yet"</h2>
                            <p class="mt-1 text-sm text-slate-500">"A project is a git repository with a compose file at its root."</p>
                            <a href="/projects/new" class="mt-4 inline-block rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500">"Create your first project"</a>
                        </div>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="divide-y divide-slate-100 overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="project-list">
                            {list.into_iter().map(|p| view! {
                                <li data-project=p.id.clone()>
                                    <a href=format!("/projects/{}", p.id) class="flex items-center justify-between gap-4 px-5 py-4 hover:bg-slate-50">
                                        <div class="min-w-0">
                                            <p class="font-medium text-slate-900">{p.id.clone()}</p>
                                            <p class="truncate text-sm text-slate-500">{p.repository}" · "{p.branch}</p>
                                        </div>
                                        <div class="flex shrink-0 items-center gap-2 text-xs">
                                            <HealthBadge health=p.health />
                                            <span class="rounded-full bg-slate-100 px-2 py-0.5 text-slate-600">{p.worker}</span>
                                            {p.allow_ci_cd.then(|| view! { <span class="rounded-full bg-indigo-50 px-2 py-0.5 text-indigo-700">"CI/CD"</span> })}
                                        </div>
                                    </a>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <ErrorBanner error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}
