//! The Settings page: what the control plane lets an admin change at run time, and
//! where the rest is set.

use leptos::prelude::*;
use leptos_meta::Title;
use nsm_core::logs::LogCap;

use crate::api::settings::{get_log_cap, SetLogCap};
use crate::components::{ErrorBanner, Loading, PageHeader};
use crate::error::AppError;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <Title text="Settings" />
        <PageHeader title="Settings".into() subtitle="Control-plane settings".into() />
        <SettingsNav />
        <div class="space-y-6">
            <crate::pages::users::UsersSection />
            <super::settings_server::ServerSection />
            <super::settings_github::GithubSection />
            <LogCapSection />
            <p class="rounded-xl border border-dashed border-slate-300 bg-white p-6 text-sm text-slate-500" data-testid="settings-note">
                "Given only on the command line or as NSM_* variables (see the README): where the server listens, its data directory, "
                "its public URL, the edge mode and ports, session lifetimes, the CI/CD rate limit and trusted proxies. "
                "Users can also be managed offline with `nsm-server user create|list|set-role`."
            </p>
        </div>
    }
}

/// The Settings pages' own navigation: users and settings, and the audit log.
#[component]
pub(super) fn SettingsNav() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let link = move |href: &'static str, label: &'static str| {
        let class = move || {
            if location.pathname.get() == href {
                "border-b-2 border-indigo-600 px-1 pb-2 text-sm font-medium text-indigo-700"
            } else {
                "border-b-2 border-transparent px-1 pb-2 text-sm font-medium text-slate-500 hover:text-slate-800"
            }
        };
        view! { <a href=href class=class>{label}</a> }
    };
    view! {
        <nav class="mb-6 flex gap-6 border-b border-slate-200" aria-label="Settings" data-testid="settings-nav">
            {link("/settings", "Users & settings")}
            {link("/settings/audit", "Audit log")}
        </nav>
    }
}

/// The per-service cap on stored container log lines.
#[component]
fn LogCapSection() -> impl IntoView {
    let save = ServerAction::<SetLogCap>::new();
    let cap = Resource::new(move || save.version().get(), |_| get_log_cap());
    let error = Memo::new(move |_| {
        save.value().get().and_then(Result::err).map(|e| match &e {
            AppError::Invalid(errors) => errors.0.get("megabytes").cloned().unwrap_or_else(|| e.to_string()),
            other => other.to_string(),
        })
    });
    let saved = move || matches!(save.value().get(), Some(Ok(())));
    view! {
        <section class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm" data-testid="log-cap-section">
            <h2 class="text-base font-semibold">"Container logs"</h2>
            <p class="mt-1 text-sm text-slate-500">
                "How much log text the server keeps per service, for services with “Collect logs” on (Services tab). "
                "When a service goes over, its oldest lines are dropped. A change applies from the next lines each service sends."
            </p>
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match cap.await {
                        Ok(current) => view! { <LogCapForm current save error /> }.into_any(),
                        Err(e) => view! { <ErrorBanner error=e /> }.into_any(),
                    }
                })}
            </Transition>
            {move || saved().then(|| view! { <p class="mt-2 text-sm text-emerald-700" role="status" data-testid="log-cap-saved">"Saved."</p> })}
        </section>
    }
}

#[component]
fn LogCapForm(current: LogCap, save: ServerAction<SetLogCap>, error: Memo<Option<String>>) -> impl IntoView {
    let (min, max, default) = (LogCap::MIN.megabytes(), LogCap::MAX.megabytes(), LogCap::DEFAULT.megabytes());
    view! {
        <p class="mt-3 text-sm text-slate-700">
            "In force: " <span class="font-medium" data-testid="log-cap-current">{format!("{} MB", current.megabytes())}</span>
            <span class="text-slate-500">{format!(" per service (default {default} MB)")}</span>
        </p>
        <ActionForm action=save attr:class="mt-3 flex flex-wrap items-start gap-2" attr:data-testid="log-cap-form">
            <div>
                <label for="log-cap" class="block text-sm font-medium text-slate-700">"Cap per service (MB)"</label>
                <input id="log-cap" name="megabytes" value=current.megabytes().to_string() inputmode="numeric"
                    aria-describedby="log-cap-error"
                    aria-invalid=move || error.get().is_some().to_string()
                    class=move || format!("mt-1 w-40 rounded-md border px-3 py-2 text-sm shadow-sm {}",
                        if error.get().is_some() { "border-red-400" } else { "border-slate-300" }) />
                {move || match error.get() {
                    Some(message) => view! { <p id="log-cap-error" class="mt-1 text-sm text-red-600" data-error="megabytes">{message}</p> }.into_any(),
                    None => view! { <p id="log-cap-error" class="mt-1 text-xs text-slate-500">{format!("A whole number from {min} to {max}.")}</p> }.into_any(),
                }}
            </div>
            <button type="submit" class="mt-6 rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500">"Save"</button>
        </ActionForm>
    }
}
