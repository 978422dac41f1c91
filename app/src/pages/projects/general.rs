use leptos::prelude::*;
use nsm_core::access::Permission;
use nsm_core::ProjectForm;

use super::config_panel::ConfigAsCode;
use super::detail::ProjectContext;
use super::form::ProjectFields;
use crate::api::projects::{ClearRepoToken, DeleteProject, SetRepoToken};
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
                    let token_id = original_id.clone();
                    let token_set = project.repo_token_set;
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
                        <RepoTokenBox id=token_id.clone() set=token_set />
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

/// The repository access token: whether one is set, a field to replace it, Clear.
/// The token is never sent back to the browser, to anyone.
#[component]
fn RepoTokenBox(id: String, set: bool) -> impl IntoView {
    let set_token = ServerAction::<SetRepoToken>::new();
    let clear = ServerAction::<ClearRepoToken>::new();
    // From the project read with the page (no resource of its own: one created while
    // the tab's Suspend resolves hydrates out of step); the actions move it after.
    let is_set = RwSignal::new(set);
    let token = RwSignal::new(String::new());
    // A saved token leaves the field at once.
    Effect::new(move |_| {
        if matches!(set_token.value().get(), Some(Ok(()))) {
            token.set(String::new());
            is_set.set(true);
        }
    });
    Effect::new(move |_| {
        if matches!(clear.value().get(), Some(Ok(()))) {
            is_set.set(false);
        }
    });
    let error = Signal::derive(move || {
        let failed =
            set_token.value().get().and_then(Result::err).or_else(|| clear.value().get().and_then(Result::err));
        failed.map(|e| e.field("token").unwrap_or_else(|| e.to_string()))
    });
    let button =
        "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50 disabled:opacity-50";
    // Copy, so the forms' closures (built again on each render) can each read it.
    let form_id = StoredValue::new(id);
    view! {
        <section class="mt-8 rounded-xl border border-slate-200 bg-white p-6 shadow-sm" data-testid="repo-token">
            <div class="flex flex-wrap items-center justify-between gap-3">
                <h2 class="text-base font-semibold">"Repository access token"</h2>
                {move || {
                    let (label, class) = if is_set.get() {
                        ("set", "rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-700")
                    } else {
                        ("not set", "rounded-full bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-600")
                    };
                    view! { <span class=class data-testid="repo-token-state">{label}</span> }
                }}
            </div>
            <p class="mt-1 text-sm text-slate-500">
                "For private repositories over HTTPS: a token with read access. Stored encrypted, never shown again."
            </p>
            <Allowed permission=Permission::Edit>
                <div class="mt-4 flex flex-wrap items-start gap-3">
                    <ActionForm action=set_token attr:class="flex flex-wrap items-start gap-3">
                        <input type="hidden" name="id" value=form_id.get_value() />
                        <div class="w-80 space-y-1">
                            <label for="repo-token-input" class="sr-only">"New access token"</label>
                            <input id="repo-token-input" name="token" type="password" autocomplete="new-password"
                                placeholder="New token" data-testid="repo-token-input"
                                class=move || format!(
                                    "block w-full rounded-md border px-3 py-2 text-sm shadow-sm outline-none focus:ring-2 {}",
                                    if error.get().is_some() { "border-red-400 focus:ring-red-200" } else { "border-slate-300 focus:ring-indigo-200" }
                                )
                                aria-invalid=move || error.get().is_some().to_string()
                                prop:value=move || token.get()
                                on:input=move |ev| token.set(event_target_value(&ev)) />
                            {move || error.get().map(|message| view! {
                                <p class="text-sm text-red-600" data-error="token" role="alert">{message}</p>
                            })}
                        </div>
                        <button type="submit" class=button data-testid="repo-token-save"
                            disabled=move || token.with(|t| t.trim().is_empty()) || set_token.pending().get()>
                            {move || if set_token.pending().get() { "Saving…" } else { "Save token" }}
                        </button>
                    </ActionForm>
                    <ActionForm action=clear>
                        <input type="hidden" name="id" value=form_id.get_value() />
                        <button type="submit" class=button data-testid="repo-token-clear"
                            disabled=move || clear.pending().get() || !is_set.get()>
                            "Clear"
                        </button>
                    </ActionForm>
                </div>
            </Allowed>
        </section>
    }
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
