//! The General tab's configuration as code: export the project as one TOML file, and
//! import one — into this project or as a new one — after the list of what it changes.

use leptos::prelude::*;
use nsm_core::access::Permission;
use nsm_core::config_file::{ChangeAction, ConfigPlan};

use super::file_transfer::{download, FilePicker};
use crate::api::config_file::{apply_config_import, export_config, plan_config_import};
use crate::components::{Allowed, ErrorBanner};
use crate::error::AppError;

const BUTTON: &str =
    "rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-50 disabled:opacity-50";

#[component]
pub fn ConfigAsCode(project: String) -> impl IntoView {
    let project = StoredValue::new(project);
    let secrets = RwSignal::new(false);
    let export = Action::new(move |with_secrets: &bool| {
        let (id, with_secrets) = (project.get_value(), *with_secrets);
        async move { export_config(id, with_secrets).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(text)) = export.value().get() {
            download(&format!("{}.nsm.toml", project.get_value()), &text);
        }
    });
    let text = RwSignal::new(String::new());
    let as_new = RwSignal::new(false);
    let into = move || (!as_new.get_untracked()).then(|| project.get_value());
    let plan = Action::new(move |(into, text): &(Option<String>, String)| {
        let (into, text) = (into.clone(), text.clone());
        async move { plan_config_import(into, text).await }
    });
    let apply = Action::new(move |(into, text, base): &(Option<String>, String, String)| {
        let (into, text, base) = (into.clone(), text.clone(), base.clone());
        async move { apply_config_import(into, text, base).await }
    });
    let planned_for = RwSignal::new(None::<(bool, String)>);
    Effect::new(move |_| {
        if let Some(Ok(id)) = apply.value().get() {
            // The whole page shows the project as it is now.
            #[cfg(feature = "hydrate")]
            if let Some(window) = web_sys::window() {
                let _ = window.location().set_href(&format!("/projects/{id}"));
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = id;
        }
    });
    let current_plan = move || {
        let fresh = planned_for.with(|p| p.as_ref() == Some(&(as_new.get(), text.get())));
        fresh.then(|| plan.value().get()).flatten()
    };
    let error = move || -> Option<AppError> {
        export.value().get().and_then(Result::err).or_else(|| apply.value().get().and_then(Result::err))
    };
    view! {
        <section class="mt-8 rounded-xl border border-slate-200 bg-white p-6 shadow-sm" data-testid="config-as-code">
            <h2 class="text-base font-semibold">"Configuration as code"</h2>
            <p class="mt-1 text-sm text-slate-600">"The whole project — General settings, domains and resources, variables with their references, services' expected states — as one TOML file."</p>
            {move || error().map(|e| view! { <div class="mt-3"><ErrorBanner error=e /></div> })}
            <div class="mt-4 flex flex-wrap items-center gap-3">
                <button type="button" class=BUTTON data-testid="export-config" on:click=move |_| { export.dispatch(secrets.get_untracked()); }>"Export configuration"</button>
                <Allowed permission=Permission::Admin>
                    <label class="flex items-center gap-1.5 text-sm">
                        <input type="checkbox" prop:checked=secrets on:change=move |ev| secrets.set(event_target_checked(&ev)) />
                        "Include secret values"
                    </label>
                </Allowed>
            </div>
            <Allowed permission=Permission::Edit>
                <div class="mt-5 space-y-2 border-t border-slate-100 pt-4">
                    <label for="config-import" class="block text-sm font-medium">"Import a configuration file"</label>
                    <FilePicker into=text test_id="config-file" accept=".toml,text/plain" />
                    <textarea id="config-import" rows="6" class="block w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-xs" data-testid="config-import-text"
                        prop:value=text on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                    <div class="flex flex-wrap items-center gap-4 text-sm">
                        <label class="flex items-center gap-1.5"><input type="radio" name="config-target" prop:checked=move || !as_new.get() on:change=move |_| as_new.set(false) />"Into this project"</label>
                        <label class="flex items-center gap-1.5"><input type="radio" name="config-target" prop:checked=as_new on:change=move |_| as_new.set(true) />"As a new project (the file's id)"</label>
                        <button type="button" class=BUTTON data-testid="plan-config-import" disabled=move || text.with(String::is_empty)
                            on:click=move |_| { planned_for.set(Some((as_new.get_untracked(), text.get_untracked()))); plan.dispatch((into(), text.get_untracked())); }>"Show changes"</button>
                    </div>
                    {move || current_plan().map(|result| match result {
                        Ok(plan) => view! { <ConfigDiff plan text apply /> }.into_any(),
                        Err(e) => {
                            let message = e.field("text").unwrap_or_else(|| e.to_string());
                            view! { <p class="text-sm text-red-600" role="alert" data-testid="config-import-error">{message}</p> }.into_any()
                        }
                    })}
                </div>
            </Allowed>
        </section>
    }
}

#[component]
fn ConfigDiff(
    plan: ConfigPlan,
    text: RwSignal<String>,
    apply: Action<(Option<String>, String, String), Result<String, AppError>>,
) -> impl IntoView {
    let into = (!plan.new_project).then(|| plan.project.to_string());
    let base = plan.base.clone();
    let heading = if plan.new_project {
        format!("Creates project {} with:", plan.project)
    } else if plan.changes.is_empty() {
        format!("Project {} already matches this file.", plan.project)
    } else {
        format!("Changes to project {}:", plan.project)
    };
    let nothing = plan.changes.is_empty() && !plan.new_project;
    view! {
        <div class="rounded-lg border border-slate-200" data-testid="config-diff">
            <p class="border-b border-slate-100 px-3 py-2 text-sm font-medium">{heading}</p>
            <ul class="divide-y divide-slate-100 text-sm">
                {plan.changes.into_iter().map(|c| {
                    let (label, class) = match c.action {
                        ChangeAction::Added => ("added", "text-green-700"),
                        ChangeAction::Changed => ("changed", "text-amber-700"),
                        ChangeAction::Removed => ("removed", "text-red-700"),
                    };
                    view! {
                        <li class="flex flex-wrap gap-3 px-3 py-1.5" data-change=label>
                            <span class=format!("w-16 text-xs font-medium {class}")>{label}</span>
                            <span class="text-xs text-slate-500">{c.what}</span>
                            <span class="font-mono">{c.subject}</span>
                            <span class="text-xs text-slate-500">{c.detail}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <div class="flex justify-end border-t border-slate-100 px-3 py-2">
                <button type="button" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-50"
                    data-testid="apply-config-import" disabled=move || nothing || apply.pending().get()
                    on:click=move |_| { apply.dispatch((into.clone(), text.get_untracked(), base.clone())); }>"Apply"</button>
            </div>
        </div>
    }
}
