use leptos::prelude::*;
use leptos_meta::Title;
use nsm_core::ProjectForm;

use super::form::ProjectFields;
use crate::api::projects::CreateProject;
use crate::api::settings::get_project_defaults;
use crate::api::workers::list_workers;
use crate::components::{ErrorBanner, Loading, PageHeader};

#[component]
pub fn NewProjectPage() -> impl IntoView {
    let action = ServerAction::<CreateProject>::new();
    let server_error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let workers = Resource::new(|| (), |_| list_workers());
    // The Settings page's defaults for a new project.
    let defaults = Resource::new(|| (), |_| get_project_defaults());
    view! {
        <Title text="New project" />
        <PageHeader title="New project".into() subtitle="Point NSM at a repository with a compose file at its root".into() />
        <ActionForm action=action attr:class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
            <Suspense fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    let workers = workers.await.unwrap_or_default();
                    let defaults = match defaults.await {
                        Ok(defaults) => defaults,
                        Err(e) => return view! { <ErrorBanner error=e /> }.into_any(),
                    };
                    let initial = ProjectForm {
                        branch: nsm_core::project::DEFAULT_BRANCH.into(),
                        worker: defaults.worker.to_string(),
                        timeout_secs: defaults.timeout.secs().to_string(),
                        ..ProjectForm::default()
                    };
                    view! { <ProjectFields initial=initial workers=workers server_error=server_error /> }.into_any()
                })}
            </Suspense>
            <div class="mt-6 flex justify-end gap-3 border-t border-slate-100 pt-5">
                <a href="/projects" class="rounded-md px-4 py-2 text-sm font-medium text-slate-600 hover:bg-slate-100">"Cancel"</a>
                <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60"
                    disabled=move || action.pending().get()>
                    "Create project"
                </button>
            </div>
        </ActionForm>
    }
}
