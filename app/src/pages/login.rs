use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::SignIn;
use crate::api::github::{github_sign_in_enabled, START_PATH};
use crate::components::Field;

/// The page shown to anyone without a session.
#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = move || action.value().get().and_then(|r| r.err());
    view! {
        <Title text="Sign in" />
        <AuthCard title="Sign in to NSM" subtitle="Manage your deployments">
            <ActionForm action=action attr:class="space-y-4">
                <Field name="username" label="Username" value=username error=Signal::derive(|| None::<String>) autocomplete="username" />
                <Field name="password" label="Password" kind="password" value=password error=Signal::derive(|| None::<String>) autocomplete="current-password" />
                {move || error().map(|e| view! { <p class="text-sm text-red-600" role="alert">{e.to_string()}</p> })}
                <button
                    type="submit"
                    class="w-full rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60"
                    disabled=move || action.pending().get()
                >
                    {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <GithubSignIn />
        </AuthCard>
    }
}

/// The centred card used by sign-in and first-run setup.
#[component]
pub fn AuthCard(title: &'static str, subtitle: &'static str, children: Children) -> impl IntoView {
    view! {
        <main class="flex min-h-full items-center justify-center px-4 py-12">
            <div class="w-full max-w-sm">
                <div class="mb-8 text-center">
                    <span class="mx-auto grid h-10 w-10 place-items-center rounded-lg bg-indigo-600 font-bold text-white">"N"</span>
                    <h1 class="mt-4 text-2xl font-semibold tracking-tight">{title}</h1>
                    <p class="mt-1 text-sm text-slate-500">{subtitle}</p>
                </div>
                <div class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">{children()}</div>
            </div>
        </main>
    }
}

/// "Sign in with GitHub", only when the server has it configured. A plain link
/// (`rel="external"`: the server answers it, not the app's router).
#[component]
fn GithubSignIn() -> impl IntoView {
    let enabled = OnceResource::new(github_sign_in_enabled());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                matches!(enabled.await, Ok(true)).then(|| view! {
                    <div class="mt-4 border-t border-slate-200 pt-4">
                        <a
                            href=START_PATH
                            rel="external"
                            data-testid="github-sign-in"
                            class="flex w-full items-center justify-center gap-2 rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-semibold text-slate-800 shadow-sm hover:bg-slate-50"
                        >
                            "Sign in with GitHub"
                        </a>
                    </div>
                })
            })}
        </Suspense>
    }
}
