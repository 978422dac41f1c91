//! Settings → Server: the ACME directory and contact, the audit retention, and what a
//! new project starts with. A setting given on the command line is shown read-only
//! with the flag that gives it.

use leptos::prelude::*;
use nsm_core::settings::{ServerSettings, ServerSettingsForm, Setting, SettingSource};
use nsm_core::view::WorkerSummary;

use super::account::{PRIMARY, SECTION};
use crate::api::settings::{get_server_settings, SetServerSettings};
use crate::api::workers::list_workers;
use crate::components::{ErrorBanner, Loading};
use crate::error::AppError;

const INPUT: &str = "mt-1 block w-full rounded-md border px-3 py-2 text-sm shadow-sm";

#[component]
pub fn ServerSection() -> impl IntoView {
    let save = ServerAction::<SetServerSettings>::new();
    let settings = Resource::new(move || save.version().get(), |_| get_server_settings());
    let workers = Resource::new(|| (), |_| list_workers());
    let saved = move || matches!(save.value().get(), Some(Ok(())));
    view! {
        <section class=SECTION data-testid="server-settings">
            <h2 class="text-base font-semibold">"Server"</h2>
            <p class="mt-1 text-sm text-slate-500">
                "Certificates, the audit log's retention, and what a new project starts with. "
                "A value given on the command line (or its NSM_* variable) wins over the one saved here, and is shown read-only."
            </p>
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    let workers = workers.await.unwrap_or_default();
                    match settings.await {
                        Ok(current) => view! { <ServerForm current workers save /> }.into_any(),
                        Err(e) => view! { <ErrorBanner error=e /> }.into_any(),
                    }
                })}
            </Transition>
            {move || saved().then(|| view! { <p class="mt-2 text-sm text-emerald-700" role="status" data-testid="server-settings-saved">"Saved."</p> })}
        </section>
    }
}

#[component]
fn ServerForm(
    current: ServerSettings,
    workers: Vec<WorkerSummary>,
    save: ServerAction<SetServerSettings>,
) -> impl IntoView {
    let form = ServerSettingsForm::from_settings(&current);
    let error = move |field: &'static str| {
        Signal::derive(move || match save.value().get() {
            Some(Err(AppError::Invalid(errors))) => errors.get(field).map(str::to_owned),
            _ => None,
        })
    };
    let other = move || match save.value().get() {
        Some(Err(e)) if !matches!(e, AppError::Invalid(_)) => Some(view! { <ErrorBanner error=e /> }),
        _ => None,
    };
    let worker_options: Vec<(String, String)> = workers.iter().map(|w| (w.id.to_string(), w.name.clone())).collect();
    view! {
        <ActionForm action=save attr:class="mt-4 grid gap-4 sm:grid-cols-2" attr:data-testid="server-settings-form">
            <SettingField name="acme_directory" label="ACME directory" value=form.acme_directory
                source=Source::of(&current.acme_directory) error=error("acme_directory")
                hint="Where certificates are ordered: Let's Encrypt production by default; its staging directory is https://acme-staging-v02.api.letsencrypt.org/directory." />
            <SettingField name="acme_email" label="ACME contact e-mail" value=form.acme_email
                source=Source::of(&current.acme_email) error=error("acme_email")
                hint="Expiry notices from the certificate authority; empty sends none." />
            <SettingField name="audit_retention_days" label="Audit log retention (days)" value=form.audit_retention_days
                source=Source::of(&current.audit_retention) error=error("audit_retention_days")
                hint="Older entries are deleted hourly; 0 keeps them forever." />
            <SettingField name="default_timeout_secs" label="New projects: deployment timeout (s)" value=form.default_timeout_secs
                source=Source::of(&current.default_timeout) error=error("default_timeout_secs")
                hint="What the New project form starts with." />
            <div>
                <label for="setting-default_worker" class="block text-sm font-medium text-slate-700">"New projects: worker"</label>
                <select id="setting-default_worker" name="default_worker" class=format!("{INPUT} border-slate-300 bg-white")>
                    {worker_options.into_iter().map(|(id, name)| {
                        let selected = id == form.default_worker;
                        view! { <option value=id.clone() selected=selected>{format!("{name} ({id})")}</option> }
                    }).collect_view()}
                </select>
                <SourceNote source=Source::of(&current.default_worker) />
                {move || error("default_worker").get().map(|m| view! { <p class="mt-1 text-sm text-red-600" data-error="default_worker">{m}</p> })}
            </div>
            <div class="sm:col-span-2 flex items-center gap-3">
                <button type="submit" class=PRIMARY disabled=move || save.pending().get()>"Save"</button>
                {other}
            </div>
        </ActionForm>
    }
}

/// Where a shown value comes from, and the flag that locks it.
#[derive(Clone)]
struct Source {
    source: SettingSource,
    flag: Option<String>,
}

impl Source {
    fn of<T>(setting: &Setting<T>) -> Self {
        Self { source: setting.source, flag: setting.flag.clone() }
    }

    fn locked(&self) -> bool {
        self.source == SettingSource::Flag
    }
}

#[component]
fn SettingField(
    name: &'static str,
    label: &'static str,
    value: String,
    source: Source,
    error: Signal<Option<String>>,
    hint: &'static str,
) -> impl IntoView {
    let id = format!("setting-{name}");
    let locked = source.locked();
    let shown_source = source.source.as_str();
    view! {
        <div data-setting=name data-source=shown_source>
            <label for=id.clone() class="block text-sm font-medium text-slate-700">{label}</label>
            // Read-only, not disabled: a read-only field is still sent, so the form stays whole.
            <input id=id name=name value=value readonly=locked
                aria-invalid=move || error.get().is_some().to_string()
                class=move || format!("{INPUT} {} {}",
                    if error.get().is_some() { "border-red-400" } else { "border-slate-300" },
                    if locked { "bg-slate-100 text-slate-500" } else { "" }) />
            <SourceNote source />
            {move || match error.get() {
                Some(message) => view! { <p class="mt-1 text-sm text-red-600" data-error=name>{message}</p> }.into_any(),
                None => view! { <p class="mt-1 text-xs text-slate-500">{hint}</p> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn SourceNote(source: Source) -> impl IntoView {
    let text = match (source.source, source.flag) {
        (SettingSource::Flag, Some(flag)) => format!("Set by {flag}: the command line wins."),
        (SettingSource::Flag, None) => "Set on the command line.".to_owned(),
        (SettingSource::Stored, _) => "Saved here.".to_owned(),
        (SettingSource::Default, _) => "The default.".to_owned(),
    };
    let class = if source.source == SettingSource::Flag { "text-amber-700" } else { "text-slate-400" };
    view! { <p class=format!("mt-1 text-xs {class}") data-testid="setting-source">{text}</p> }
}
