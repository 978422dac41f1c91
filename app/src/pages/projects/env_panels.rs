//! Beside the Environment editor: the live `.env` preview (rendered in the browser by
//! the shared crate, as the Domains tab renders its nginx preview) and `.env` export and
//! import (a diff first, applied only on confirmation).

use std::collections::HashMap;

use leptos::prelude::*;
use nsm_core::env::ComposeDialect;
use nsm_core::variables::{preview_lines, EnvironmentView, ImportChange, ImportPlan, PreviewContext};

use super::environment::Row;
use super::file_transfer::{download, FilePicker};
use crate::api::environment::{apply_dotenv_import, export_dotenv, plan_dotenv_import, reveal_environment};
use crate::components::ErrorBanner;
use crate::error::AppError;

const BUTTON: &str =
    "rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-50 disabled:opacity-50";

#[component]
pub fn EnvPreview(
    rows: RwSignal<Vec<Row>>,
    view: StoredValue<EnvironmentView>,
    revealed: RwSignal<Option<HashMap<String, String>>>,
    project: String,
) -> impl IntoView {
    let dialect = RwSignal::new(ComposeDialect::V2);
    let lines = Memo::new(move |_| {
        let shown = revealed.get();
        let preview: Vec<_> =
            rows.with(|rs| rs.iter().filter(|r| !r.deleted).map(|r| r.preview(shown.as_ref())).collect());
        view.with_value(|v| {
            let context =
                PreviewContext { topology: &v.topology, leases: &v.leases, worker: &v.worker, dialect: dialect.get() };
            preview_lines(&preview, context)
        })
    });
    let reveal = Action::new(move |id: &String| {
        let id = id.clone();
        async move { reveal_environment(id).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(values)) = reveal.value().get() {
            revealed.set(Some(values.into_iter().collect()));
        }
    });
    let can_reveal = view.with_value(|v| v.can_reveal);
    let project = StoredValue::new(project);
    view! {
        <section class="min-w-0 rounded-xl border border-slate-200 bg-white p-4 shadow-sm xl:sticky xl:top-4 xl:self-start">
            <div class="flex flex-wrap items-center justify-between gap-2">
                <h2 class="text-sm font-semibold">".env the next deployment writes"</h2>
                <div class="flex items-center gap-2">
                    <select class="rounded-md border border-slate-300 bg-white px-2 py-1 text-xs" aria-label="Compose version"
                        on:change=move |ev| dialect.set(if event_target_value(&ev) == "v1" { ComposeDialect::V1 } else { ComposeDialect::V2 })>
                        <option value="v2" selected=true>"docker compose v2"</option>
                        <option value="v1">"docker-compose v1"</option>
                    </select>
                    {can_reveal.then(|| view! {
                        <button type="button" class="rounded-md border border-slate-300 px-2 py-1 text-xs font-medium hover:bg-slate-50" data-testid="reveal-preview"
                            on:click=move |_| { if revealed.with(Option::is_some) { revealed.set(None) } else { reveal.dispatch(project.get_value()); } }>
                            {move || if revealed.with(Option::is_some) { "Hide values" } else { "Reveal values" }}
                        </button>
                    })}
                </div>
            </div>
            {move || reveal.value().get().and_then(Result::err).map(|e| view! { <div class="mt-2"><ErrorBanner error=e /></div> })}
            <pre class="mt-3 overflow-x-auto whitespace-pre rounded bg-slate-900 p-3 text-xs leading-5 text-slate-100" data-testid="env-preview">
                {move || lines.get().into_iter().map(|line| match line.line {
                    Ok(text) => view! {
                        <span data-line=line.name.clone()>{text}</span>
                        {line.note.map(|n| view! { <span class="text-slate-400">{format!("# {n}\n")}</span> })}
                    }.into_any(),
                    Err(error) => view! {
                        <span class="text-red-300" data-error-line=line.name.clone() role="alert">{format!("# {}: {error}\n", if line.name.is_empty() { "(no name)" } else { &line.name })}</span>
                    }.into_any(),
                }).collect_view()}
            </pre>
            <p class="mt-2 text-xs text-slate-500">"Rendered in your browser by the code the worker runs. Secrets are masked; a Static Page's directory and the volume are paths on the worker."</p>
        </section>
    }
}

#[component]
pub fn DotenvTransfer(
    project: String,
    can_edit: bool,
    can_reveal: bool,
    dirty: Signal<bool>,
    reload: RwSignal<u64>,
) -> impl IntoView {
    let project = StoredValue::new(project);
    let secrets = RwSignal::new(false);
    let export = Action::new(move |with_secrets: &bool| {
        let (id, with_secrets) = (project.get_value(), *with_secrets);
        async move { export_dotenv(id, with_secrets).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(text)) = export.value().get() {
            download(&format!("{}.env", project.get_value()), &text);
        }
    });
    let text = RwSignal::new(String::new());
    let plan = Action::new(move |text: &String| {
        let (id, text) = (project.get_value(), text.clone());
        async move { plan_dotenv_import(id, text).await }
    });
    let apply = Action::new(move |text: &String| {
        let (id, text) = (project.get_value(), text.clone());
        async move { apply_dotenv_import(id, text).await }
    });
    // The plan shown is for the text as it is: editing the text hides it.
    let planned_for = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if matches!(apply.value().get(), Some(Ok(_))) {
            text.set(String::new());
            planned_for.set(None);
            reload.update(|n| *n += 1);
        }
    });
    let current_plan = move || {
        let fresh = planned_for.with(|p| p.as_deref() == Some(text.get().as_str()));
        fresh.then(|| plan.value().get()).flatten()
    };
    let error = move || -> Option<AppError> {
        export.value().get().and_then(Result::err).or_else(|| apply.value().get().and_then(Result::err))
    };
    view! {
        <section class="mt-6 rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-testid="dotenv-transfer">
            <h2 class="text-sm font-semibold">"Import and export .env"</h2>
            {move || error().map(|e| view! { <div class="mt-2"><ErrorBanner error=e /></div> })}
            <div class="mt-3 flex flex-wrap items-center gap-3">
                <button type="button" class=BUTTON data-testid="export-dotenv" on:click=move |_| { export.dispatch(secrets.get_untracked()); }>"Download .env"</button>
                {can_reveal.then(|| view! {
                    <label class="flex items-center gap-1.5 text-sm">
                        <input type="checkbox" prop:checked=secrets on:change=move |ev| secrets.set(event_target_checked(&ev)) />
                        "Include secret values"
                    </label>
                })}
                <span class="text-xs text-slate-500">"Without secret values, each secret is a comment; references are comments too (NSM resolves them)."</span>
            </div>
            {can_edit.then(|| view! {
                <div class="mt-4 space-y-2 border-t border-slate-100 pt-4">
                    <label for="dotenv-import" class="block text-sm font-medium">"Import: paste a .env file or pick one"</label>
                    <FilePicker into=text test_id="dotenv-file" accept=".env,text/plain" />
                    <textarea id="dotenv-import" rows="5" class="block w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-xs" data-testid="dotenv-import-text"
                        placeholder="DATABASE_URL=postgres://…\nexport API_KEY='…'" prop:value=text on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                    <div class="flex flex-wrap items-center gap-3">
                        <button type="button" class=BUTTON data-testid="plan-dotenv-import" disabled=move || text.with(String::is_empty)
                            on:click=move |_| { planned_for.set(Some(text.get_untracked())); plan.dispatch(text.get_untracked()); }>"Show changes"</button>
                        {move || dirty.get().then(|| view! { <span class="text-xs text-amber-700">"Save or discard your edits before importing."</span> })}
                    </div>
                    {move || current_plan().map(|result| match result {
                        Ok(plan) => view! { <ImportDiff plan text apply dirty /> }.into_any(),
                        Err(e) => {
                            let message = e.field("text").unwrap_or_else(|| e.to_string());
                            view! { <p class="text-sm text-red-600" role="alert" data-testid="import-error">{message}</p> }.into_any()
                        }
                    })}
                </div>
            })}
        </section>
    }
}

#[component]
fn ImportDiff(
    plan: ImportPlan,
    text: RwSignal<String>,
    apply: Action<String, Result<ImportPlan, AppError>>,
    dirty: Signal<bool>,
) -> impl IntoView {
    let changed = plan.count(ImportChange::Added) + plan.count(ImportChange::Changed);
    let summary = format!(
        "{} added, {} changed, {} unchanged",
        plan.count(ImportChange::Added),
        plan.count(ImportChange::Changed),
        plan.count(ImportChange::Unchanged)
    );
    view! {
        <div class="rounded-lg border border-slate-200" data-testid="import-diff">
            <p class="border-b border-slate-100 px-3 py-2 text-sm font-medium" data-testid="import-summary">{summary}</p>
            <ul class="divide-y divide-slate-100 text-sm">
                {plan.entries.into_iter().map(|entry| {
                    let (label, class) = match entry.change {
                        ImportChange::Added => ("added", "text-green-700"),
                        ImportChange::Changed => ("changed", "text-amber-700"),
                        ImportChange::Unchanged => ("unchanged", "text-slate-400"),
                    };
                    let detail = match &entry.before {
                        Some(before) if entry.change == ImportChange::Changed => format!("{before} → {}", entry.after),
                        _ => entry.after.clone(),
                    };
                    view! {
                        <li class="flex flex-wrap gap-3 px-3 py-1.5" data-import=entry.name.to_string() data-change=label>
                            <span class=format!("w-20 text-xs font-medium {class}")>{label}</span>
                            <span class="font-mono">{entry.name.to_string()}</span>
                            <span class="text-xs text-slate-500">{detail}</span>
                            <span class="ml-auto text-xs text-slate-400">{format!("line {}", entry.line)}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <div class="flex justify-end gap-2 border-t border-slate-100 px-3 py-2">
                <button type="button" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-50"
                    data-testid="apply-dotenv-import" disabled=move || changed == 0 || dirty.get() || apply.pending().get()
                    on:click=move |_| { apply.dispatch(text.get_untracked()); }>
                    {if changed == 0 { "Nothing to import".to_owned() } else { format!("Apply {changed} change(s)") }}
                </button>
            </div>
        </div>
    }
}
