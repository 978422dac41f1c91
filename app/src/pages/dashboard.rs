use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::projects::list_projects;
use crate::api::workers::list_workers;
use crate::components::{use_live, ErrorBanner, Loading, PageHeader};

#[component]
pub fn DashboardPage() -> impl IntoView {
    let projects = Resource::new(|| (), |_| list_projects());
    let presence = use_live(|event| matches!(event, nsm_core::events::LiveEvent::Worker { .. }));
    let workers = Resource::new(move || presence.get(), |_| list_workers());
    view! {
        <Title text="Dashboard" />
        <PageHeader title="Dashboard".into() subtitle="An overview of your projects and worker nodes".into()>
            <a href="/projects/new" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500">"New project"</a>
        </PageHeader>
        <Suspense fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match (projects.await, workers.await) {
                    (Ok(p), Ok(w)) => {
                        let online = w.iter().filter(|w| w.online).count();
                        view! {
                            <div class="grid gap-4 sm:grid-cols-2">
                                <Stat label="Projects" value=p.len().to_string() href="/projects" />
                                <Stat label="Workers online" value=format!("{online} of {}", w.len()) href="/workers" />
                            </div>
                        }.into_any()
                    }
                    (Err(e), _) | (_, Err(e)) => view! { <ErrorBanner error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Stat(label: &'static str, value: String, href: &'static str) -> impl IntoView {
    view! {
        <a href=href class="block rounded-xl border border-slate-200 bg-white p-5 shadow-sm hover:border-indigo-300">
            <p class="text-sm text-slate-500">{label}</p>
            <p class="mt-2 text-3xl font-semibold text-slate-900">{value}</p>
        </a>
    }
}
