//! Settings → GitHub sign-in (admin): the OAuth app's client id and secret, GitHub's
//! addresses (GitHub Enterprise) and who may sign in as what. A setting given by a
//! flag (`--github-…` or `NSM_GITHUB_*`) is shown read-only.

use leptos::prelude::*;
use nsm_core::access::Permission;

use super::account::{PRIMARY, SECTION};
use crate::api::github::{get_github_settings, GithubSettingsView, SaveGithubSettings};
use crate::components::{Allowed, ErrorBanner, Loading};
use crate::error::AppError;

const INPUT: &str = "mt-1 block w-full rounded-md border px-3 py-2 text-sm shadow-sm";

#[component]
pub fn GithubSection() -> impl IntoView {
    view! {
        <Allowed permission=Permission::Admin>
            <GithubSettings />
        </Allowed>
    }
}

#[component]
fn GithubSettings() -> impl IntoView {
    let save = ServerAction::<SaveGithubSettings>::new();
    let settings = Resource::new(move || save.version().get(), |_| get_github_settings());
    let saved = move || matches!(save.value().get(), Some(Ok(())));
    view! {
        <section class=SECTION data-testid="github-settings">
            <h2 class="text-base font-semibold">"GitHub sign-in"</h2>
            <p class="mt-1 text-sm text-slate-500">
                "Lets people sign in with their GitHub account (an OAuth app: GitHub → Settings → Developer settings → OAuth Apps). "
                "Only the users and organisations listed below get in, each with the role given; their role follows this list at every sign-in. "
                "A value given on the command line wins and is shown read-only."
            </p>
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(current) => view! { <GithubForm current save /> }.into_any(),
                        Err(e) => view! { <ErrorBanner error=e /> }.into_any(),
                    }
                })}
            </Transition>
            {move || saved().then(|| view! { <p class="mt-2 text-sm text-emerald-700" role="status" data-testid="github-settings-saved">"Saved."</p> })}
        </section>
    }
}

#[component]
fn GithubForm(current: GithubSettingsView, save: ServerAction<SaveGithubSettings>) -> impl IntoView {
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
    let from_flags = current.from_flags.clone();
    let locked = move |field: &str| from_flags.iter().any(|f| f == field);
    let allow_locked = locked("allow");
    let secret_hint = if current.secret_set { "Stored (sealed). Leave empty to keep it." } else { "Not set yet." };
    let status = if current.enabled {
        "On: the sign-in page offers “Sign in with GitHub”."
    } else {
        "Off until a client id and a client secret are set."
    };
    view! {
        <p class="mt-3 text-sm text-slate-700" data-testid="github-status">{status}</p>
        <p class="mt-1 text-sm text-slate-500">
            "Callback URL to register with the OAuth app: "
            <code class="rounded bg-slate-100 px-1" data-testid="github-callback">{current.callback_url.clone()}</code>
        </p>
        <ActionForm action=save attr:class="mt-4 grid gap-4 sm:grid-cols-2" attr:data-testid="github-settings-form">
            <TextSetting name="client_id" label="Client id" value=current.client_id.clone() locked=locked("client_id")
                error=error("client_id") hint="The OAuth app's client id; empty turns GitHub sign-in off." />
            <TextSetting name="client_secret" label="Client secret" value=String::new() locked=locked("client_secret")
                error=error("client_secret") hint=secret_hint kind="password" />
            <TextSetting name="web_url" label="GitHub web address" value=current.web_url.clone() locked=locked("web_url")
                error=error("web_url") hint="https://github.com, or your GitHub Enterprise server." />
            <TextSetting name="api_url" label="GitHub API address" value=current.api_url.clone() locked=locked("api_url")
                error=error("api_url") hint="https://api.github.com; GitHub Enterprise: https://HOST/api/v3." />
            <div class="sm:col-span-2">
                <label for="setting-github-allow" class="block text-sm font-medium text-slate-700">"Who may sign in"</label>
                <textarea id="setting-github-allow" name="allow" rows="4" readonly=allow_locked
                    aria-invalid=move || error("allow").get().is_some().to_string()
                    placeholder="org:acme=deployer\nuser:alice=admin"
                    class=move || format!("{INPUT} font-mono {}", if error("allow").get().is_some() { "border-red-400" } else { "border-slate-300" })>
                    {current.allow.clone()}
                </textarea>
                {move || match error("allow").get() {
                    Some(message) => view! { <p class="mt-1 text-sm text-red-600" data-error="allow">{message}</p> }.into_any(),
                    None => view! { <p class="mt-1 text-xs text-slate-500">
                        "One rule a line: user:LOGIN=ROLE or org:NAME=ROLE, ROLE being admin, deployer or viewer. The highest matching role wins; nobody else gets in."
                    </p> }.into_any(),
                }}
            </div>
            <div class="sm:col-span-2">
                {other}
                <button type="submit" class=PRIMARY>"Save GitHub sign-in"</button>
            </div>
        </ActionForm>
    }
}

#[component]
fn TextSetting(
    name: &'static str,
    label: &'static str,
    value: String,
    locked: bool,
    error: Signal<Option<String>>,
    hint: &'static str,
    #[prop(default = "text")] kind: &'static str,
) -> impl IntoView {
    let id = format!("setting-github-{name}");
    view! {
        <div>
            <label for=id.clone() class="block text-sm font-medium text-slate-700">{label}</label>
            <input id=id name=name type=kind value=value readonly=locked autocomplete="off"
                aria-invalid=move || error.get().is_some().to_string()
                class=move || format!("{INPUT} {} {}", if locked { "bg-slate-100" } else { "" },
                    if error.get().is_some() { "border-red-400" } else { "border-slate-300" }) />
            {move || match error.get() {
                Some(message) => view! { <p class="mt-1 text-sm text-red-600" data-error=name>{message}</p> }.into_any(),
                None if locked => view! { <p class="mt-1 text-xs text-slate-500">"Given on the command line."</p> }.into_any(),
                None => view! { <p class="mt-1 text-xs text-slate-500">{hint}</p> }.into_any(),
            }}
        </div>
    }
}
