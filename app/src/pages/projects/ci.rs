use leptos::prelude::*;
use nsm_core::access::Permission;
use nsm_core::activity::ActivityOutcome;

use crate::api::ci::{get_ci, RotateDeployKey, RotateWebhookSecret, SetCiEnabled};
use crate::components::{Allowed, ErrorBanner};

/// The CI/CD panel: the switch, the deploy key and a copyable GitHub Actions step, the
/// GitHub webhook, and every webhook call with its outcome.
#[component]
pub fn CiPanel(#[prop(into)] project: Signal<String>) -> impl IntoView {
    let toggle = ServerAction::<SetCiEnabled>::new();
    let rotate_key = ServerAction::<RotateDeployKey>::new();
    let rotate_secret = ServerAction::<RotateWebhookSecret>::new();
    let ci = Resource::new(
        move || (project.get(), toggle.version().get(), rotate_key.version().get(), rotate_secret.version().get()),
        |(id, _, _, _)| get_ci(id),
    );
    // The address users reach this UI at (known in the browser only).
    let origin = RwSignal::new("https://nsm.example.com".to_owned());
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(o) = web_sys::window().and_then(|w| w.location().origin().ok()) {
            origin.set(o);
        }
    });
    let deploy_url = move || format!("{}/api/v1/projects/{}/deploy", origin.get(), project.get());
    let github_url = move || format!("{}/api/v1/projects/{}/hooks/github", origin.get(), project.get());
    let snippet = move || {
        format!(
            "- name: Deploy with NSM\n  run: >-\n    curl --fail --silent --show-error -X POST\n    -H \"Authorization: Bearer ${{{{ secrets.NSM_DEPLOY_KEY }}}}\"\n    \"{}?wait=true\"",
            deploy_url()
        )
    };
    let new_key = move || rotate_key.value().get().and_then(Result::ok);
    let new_secret = move || rotate_secret.value().get().and_then(Result::ok);
    let button =
        "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50";
    view! {
        <section class="mb-8 rounded-xl border border-slate-200 bg-white p-6 shadow-sm" data-testid="ci-panel">
            <div class="flex flex-wrap items-start justify-between gap-4">
                <div>
                    <h2 class="text-base font-semibold">"CI/CD"</h2>
                    <p class="mt-1 text-sm text-slate-500">"Deploy from CI with the deploy key, or from GitHub push events."</p>
                </div>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        ci.await.ok().map(|c| view! {
                            <ActionForm action=toggle attr:class="flex items-center gap-3">
                                <input type="hidden" name="id" value=project />
                                <label class="flex items-center gap-2 text-sm font-medium">
                                    <input type="checkbox" name="enabled" value="on" checked=c.allow_ci_cd class="h-4 w-4" data-testid="ci-enabled" />
                                    "Allow CI/CD"
                                </label>
                                <Allowed permission=Permission::Edit>
                                    <button type="submit" class=button>"Save"</button>
                                </Allowed>
                            </ActionForm>
                        })
                    })}
                </Transition>
            </div>
            {move || toggle.value().get().and_then(Result::err).map(|e| view! { <ErrorBanner error=e /> })}

            <h3 class="mt-6 text-sm font-semibold text-slate-700">"Deploy key"</h3>
            <div class="mt-2 flex flex-wrap items-center gap-3">
                <Allowed permission=Permission::Edit>
                    <ActionForm action=rotate_key>
                        <input type="hidden" name="id" value=project />
                        <button type="submit" class=button data-testid="rotate-deploy-key">"Generate a new deploy key"</button>
                    </ActionForm>
                </Allowed>
                <span class="text-xs text-slate-500">"The old key stops working at once."</span>
            </div>
            {move || new_key().map(|key| view! {
                <div class="mt-3 rounded-md border border-amber-200 bg-amber-50 p-3 text-sm">
                    <p class="font-medium text-amber-900">"Save it as the secret NSM_DEPLOY_KEY in your CI — shown once:"</p>
                    <code class="mt-1 block break-all font-mono text-xs" data-testid="deploy-key">{key}</code>
                </div>
            })}
            <p class="mt-4 text-sm text-slate-600">"Webhook URL: "<code class="font-mono text-xs" data-testid="deploy-url">{deploy_url}</code></p>
            <div class="mt-3">
                <div class="flex items-center justify-between">
                    <span class="text-sm font-medium text-slate-700">"GitHub Actions step"</span>
                    <CopyButton text=Signal::derive(snippet) />
                </div>
                <pre class="mt-1 overflow-auto rounded-md bg-slate-900 p-3 font-mono text-xs text-slate-100" data-testid="ci-snippet">{snippet}</pre>
                <p class="mt-1 text-xs text-slate-500">"With ?wait=true the call ends when the deployment does, and fails the job unless it succeeded."</p>
            </div>

            <h3 class="mt-6 text-sm font-semibold text-slate-700">"GitHub webhook"</h3>
            <ol class="mt-2 list-decimal space-y-1 pl-5 text-sm text-slate-600">
                <li>"In the repository: Settings → Webhooks → Add webhook."</li>
                <li>"Payload URL: "<code class="font-mono text-xs">{github_url}</code>", content type application/json."</li>
                <li>"Secret: generate one below and paste it there. Events: just the push event."</li>
            </ol>
            <Allowed permission=Permission::Edit>
                <ActionForm action=rotate_secret attr:class="mt-3">
                    <input type="hidden" name="id" value=project />
                    <button type="submit" class=button>"Generate a new webhook secret"</button>
                </ActionForm>
            </Allowed>
            {move || new_secret().map(|secret| view! {
                <div class="mt-3 rounded-md border border-amber-200 bg-amber-50 p-3 text-sm">
                    <p class="font-medium text-amber-900">"Webhook secret — shown once:"</p>
                    <code class="mt-1 block break-all font-mono text-xs" data-testid="webhook-secret">{secret}</code>
                </div>
            })}

            <h3 class="mt-6 text-sm font-semibold text-slate-700">"Activity"</h3>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match ci.await {
                        Ok(c) if c.activity.is_empty() => view! { <p class="mt-2 text-sm text-slate-500">"No webhook calls yet."</p> }.into_any(),
                        Ok(c) => view! {
                            <ul class="mt-2 divide-y divide-slate-100 text-sm" data-testid="ci-activity">
                                {c.activity.into_iter().map(|a| {
                                    let color = if a.outcome == ActivityOutcome::Accepted { "text-emerald-700" } else { "text-slate-600" };
                                    view! {
                                        <li class="flex justify-between gap-4 py-1.5">
                                            <span><span class=color>{a.outcome.as_str()}</span>" · "{a.source.as_str()}" · "{a.detail}</span>
                                            <span class="text-xs text-slate-400">{a.at}</span>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <ErrorBanner error=e /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn CopyButton(text: Signal<String>) -> impl IntoView {
    let copied = RwSignal::new(false);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&text.get_untracked());
            copied.set(true);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = text;
    };
    view! {
        <button type="button" on:click=copy class="rounded-md border border-slate-300 px-2 py-1 text-xs font-medium hover:bg-slate-50" data-testid="copy-snippet">
            {move || if copied.get() { "Copied" } else { "Copy" }}
        </button>
    }
}
