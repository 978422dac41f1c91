use leptos::prelude::*;
use nsm_core::access::Permission;
use nsm_core::ProjectForm;

use super::config_panel::ConfigAsCode;
use super::detail::ProjectContext;
use super::form::ProjectFields;
use crate::api::projects::DeleteProject;
use crate::api::workers::list_workers;
use crate::components::{Allowed, Field, Loading};

/// The General tab: edit the configuration; delete in the danger zone.
#[component]
pub fn GeneralTab() -> impl IntoView {
    let Some(ctx) = use_context::<ProjectContext>() else {
        return view! { <Loading /> }.into_any();
    };
    let update = ctx.update;
    let server_error = Signal::derive(move || update.value().get().and_then(|r| r.err()));
    let workers = Resource::new(|| (), |_| list_workers());
    view! {
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                let workers = workers.await.unwrap_or_default();
                ctx.project.await.ok().map(|project| {
                    let initial = ProjectForm::from_config(&project.config);
                    let original_id = initial.id.clone();
                    let danger_id = original_id.clone();
                    let config_id = original_id.clone();
                    view! {
                        <ActionForm action=update attr:class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
                            <input type="hidden" name="original_id" value=original_id />
                            <ProjectFields initial=initial workers=workers server_error=server_error />
                            <div class="mt-6 flex items-center justify-between gap-3 border-t border-slate-100 pt-5">
                                <p class="text-xs text-slate-500">"Created "{project.created_at}" · updated "{project.updated_at}</p>
                                <Allowed permission=Permission::Edit>
                                    <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60"
                                        disabled=move || update.pending().get()>
                                        {move || if update.pending().get() { "Saving…" } else { "Save changes" }}
                                    </button>
                                </Allowed>
                            </div>
                        </ActionForm>
                        <ConfigAsCode project=config_id.clone() />
                        <Allowed permission=Permission::Edit>
                            <DangerZone id=danger_id.clone() />
                        </Allowed>
                    }
                })
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn DangerZone(id: String) -> impl IntoView {
    let action = ServerAction::<DeleteProject>::new();
    let confirm = RwSignal::new(String::new());
    let expected = id.clone();
    let matches = move || confirm.get().trim() == expected;
    let error = Signal::derive(move || {
        action.value().get().and_then(|r| r.err()).map(|e| e.field("confirm").unwrap_or_else(|| e.to_string()))
    });
    view! {
        <section class="mt-8 rounded-xl border border-red-200 bg-white p-6">
            <h2 class="text-base font-semibold text-red-700">"Delete project"</h2>
            <p class="mt-1 text-sm text-slate-600">"This removes the project's configuration from NSM. Type "<code class="rounded bg-slate-100 px-1">{id.clone()}</code>" to confirm."</p>
            <ActionForm action=action attr:class="mt-4 flex flex-wrap items-end gap-3">
                <input type="hidden" name="id" value=id />
                <div class="w-64"><Field name="confirm" label="Project id" value=confirm error=error /></div>
                <button type="submit" class="rounded-md bg-red-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-red-500 disabled:opacity-50"
                    disabled=move || !matches() || action.pending().get()>
                    "Delete project"
                </button>
            </ActionForm>
        </section>
    }
}
