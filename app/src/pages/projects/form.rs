use leptos::prelude::*;
use nsm_core::{FieldErrors, ProjectForm};

use crate::components::{Field, SelectField};
use crate::error::AppError;
use crate::model::WorkerSummary;

/// The General fields, validated as the user types by the same code the server runs.
/// A field shows the browser's verdict once it differs from its initial value, and the
/// server's verdict (from the last submit) until then.
#[component]
pub fn ProjectFields(
    initial: ProjectForm,
    /// The workers to choose from, loaded by the page before this renders (read here
    /// as a resource, the hydrating page could lack a list the server's page had).
    workers: Vec<WorkerSummary>,
    #[prop(into)] server_error: Signal<Option<AppError>>,
) -> impl IntoView {
    let id = RwSignal::new(initial.id.clone());
    let repo_owner = RwSignal::new(initial.repo_owner.clone());
    let repo_name = RwSignal::new(initial.repo_name.clone());
    let repo_url = RwSignal::new(initial.repo_url.clone());
    let branch = RwSignal::new(initial.branch.clone());
    let worker = RwSignal::new(initial.worker.clone());
    let timeout_secs = RwSignal::new(initial.timeout_secs.clone());
    let allow_ci_cd = RwSignal::new(initial.allow_ci_cd.is_some());

    let current_form = move || ProjectForm {
        id: id.get(),
        repo_owner: repo_owner.get(),
        repo_name: repo_name.get(),
        repo_url: repo_url.get(),
        branch: branch.get(),
        worker: worker.get(),
        timeout_secs: timeout_secs.get(),
        allow_ci_cd: None,
    };
    // The values the server's last verdict was about: its field errors apply only while
    // the field still holds what was submitted.
    let submitted = RwSignal::new(None::<ProjectForm>);
    Effect::new(move |_| {
        if server_error.get().is_some() {
            submitted.set(Some(untrack(current_form)));
        }
    });
    let client_errors = Memo::new(move |_| current_form().validate().err().unwrap_or_else(FieldErrors::new));
    let initial = StoredValue::new(initial);
    let error_for = move |name: &'static str, value: RwSignal<String>, pick: fn(&ProjectForm) -> String| {
        Signal::derive(move || {
            let current = value.get();
            if initial.with_value(|i| pick(i) != current) {
                if let Some(message) = client_errors.with(|e| e.get(name).map(str::to_owned)) {
                    return Some(message);
                }
            }
            let still_submitted = submitted.with(|s| s.as_ref().is_none_or(|s| pick(s) == current));
            if still_submitted {
                server_error.get().and_then(|e| e.field(name))
            } else {
                None
            }
        })
    };

    let worker_options = worker_options(workers, worker.get_untracked());

    view! {
        <div class="grid gap-5 sm:grid-cols-2">
            <div class="sm:col-span-2">
                <Field name="id" label="Project id" value=id error=error_for("id", id, |i| i.id.clone())
                    hint="Lowercase letters, digits and hyphens; names the compose project" placeholder="my-shop" />
            </div>
            <Field name="repo_owner" label="Repository owner" value=repo_owner error=error_for("repo_owner", repo_owner, |i| i.repo_owner.clone()) placeholder="acme" />
            <Field name="repo_name" label="Repository name" value=repo_name error=error_for("repo_name", repo_name, |i| i.repo_name.clone()) placeholder="shop" />
            <div class="sm:col-span-2">
                <Field name="repo_url" label="…or a full git URL" value=repo_url error=error_for("repo_url", repo_url, |i| i.repo_url.clone())
                    hint="Optional: any git URL or absolute path, instead of owner and name" placeholder="https://git.example.com/acme/shop.git" />
            </div>
            <Field name="branch" label="Branch" value=branch error=error_for("branch", branch, |i| i.branch.clone()) placeholder="main" />
            <SelectField name="worker" label="Worker node" value=worker options=worker_options error=error_for("worker", worker, |i| i.worker.clone()) />
            <Field name="timeout_secs" label="Deployment timeout (seconds)" kind="number" value=timeout_secs
                error=error_for("timeout_secs", timeout_secs, |i| i.timeout_secs.clone()) hint="10 to 3600" />
            <label class="flex items-center gap-3 self-end pb-2 text-sm font-medium text-slate-700">
                <input type="checkbox" name="allow_ci_cd" value="on" class="h-4 w-4 rounded border-slate-300 text-indigo-600"
                    prop:checked=move || allow_ci_cd.get() on:change=move |ev| allow_ci_cd.set(event_target_checked(&ev)) />
                "Allow CI/CD deployments"
            </label>
        </div>
        {move || server_error.get().filter(|e| e.field_errors().is_none()).map(|e| view! {
            <p class="mt-4 text-sm text-red-600" role="alert">{e.to_string()}</p>
        })}
    }
}

/// (value, label) per worker, with `current` first when the list lacks it.
fn worker_options(workers: Vec<WorkerSummary>, current: String) -> Vec<(String, String)> {
    let mut options: Vec<(String, String)> = workers
        .into_iter()
        .map(|w| {
            let label = format!("{} ({})", w.name, if w.online { "online" } else { "offline" });
            (w.id, label)
        })
        .collect();
    if !options.iter().any(|(v, _)| *v == current) {
        options.insert(0, (current.clone(), current));
    }
    options
}
