//! The Account page, for every user: a new password (required after a one-time
//! one), the sessions signed in, and API tokens.

use leptos::prelude::*;
use leptos_meta::Title;
use nsm_core::access::TokenScope;

use crate::api::team::{
    list_api_tokens, list_sessions, ChangePassword, CreateApiToken, RevokeApiToken, SignOutEverywhere, SignOutSession,
};
use crate::components::{ErrorBanner, Field, Loading, Me, PageHeader};
use crate::error::AppError;
use crate::model::CurrentUser;

pub(super) const SECTION: &str = "rounded-xl border border-slate-200 bg-white p-6 shadow-sm";
pub(super) const BUTTON: &str = "rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-50";
pub(super) const PRIMARY: &str =
    "rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500";

#[component]
pub fn AccountPage() -> impl IntoView {
    let me = use_context::<Me>();
    view! {
        <Title text="Account" />
        <PageHeader title="Account".into() subtitle="Your password, sessions and API tokens".into() />
        <Suspense fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                let user = match me {
                    Some(Me(user)) => user.await,
                    None => Err(AppError::Unauthorized),
                };
                match user {
                    Ok(user) => view! { <AccountSections user /> }.into_any(),
                    Err(e) => view! { <ErrorBanner error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AccountSections(user: CurrentUser) -> impl IntoView {
    let must_change = user.must_change_password;
    view! {
        <div class="space-y-6">
            <p class="text-sm text-slate-600" data-testid="account-role">
                "Signed in as " <span class="font-medium">{user.username.clone()}</span> ", " {user.role.label().to_lowercase()}
            </p>
            <PasswordSection must_change />
            {(!must_change).then(|| view! { <SessionsSection /> <TokensSection /> })}
        </div>
    }
}

#[component]
fn PasswordSection(must_change: bool) -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let (current, password, confirm) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let error = move |field: &'static str| {
        Signal::derive(move || change.value().get().and_then(Result::err).and_then(|e| e.field(field)))
    };
    // Done with a one-time password: the rest of NSM opens.
    Effect::new(move |_| {
        if must_change && matches!(change.value().get(), Some(Ok(()))) {
            #[cfg(feature = "hydrate")]
            if let Some(window) = web_sys::window() {
                let _ = window.location().set_href("/");
            }
        }
    });
    view! {
        <section class=SECTION data-testid="password-section">
            <h2 class="text-base font-semibold">"Password"</h2>
            {must_change.then(|| view! {
                <p class="mt-1 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900" role="status" data-testid="must-change">
                    "You signed in with a one-time password. Choose your own to continue."
                </p>
            })}
            <ActionForm action=change attr:class="mt-4 grid max-w-md gap-3">
                <Field name="current" label="Current password" kind="password" value=current error=error("current") autocomplete="current-password" />
                <Field name="password" label="New password" kind="password" value=password error=error("password") autocomplete="new-password"
                    hint="At least 10 characters." />
                <Field name="confirm" label="New password again" kind="password" value=confirm error=error("confirm") autocomplete="new-password" />
                <div><button type="submit" class=PRIMARY>"Change password"</button></div>
            </ActionForm>
            {move || change.value().get().and_then(Result::err).filter(|e| e.field_errors().is_none()).map(|e| view! { <ErrorBanner error=e /> })}
            {move || matches!(change.value().get(), Some(Ok(()))).then(|| view! {
                <p class="mt-2 text-sm text-emerald-700" role="status" data-testid="password-changed">"Password changed; your other sessions were signed out."</p>
            })}
        </section>
    }
}

#[component]
fn SessionsSection() -> impl IntoView {
    let end = ServerAction::<SignOutSession>::new();
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    let sessions = Resource::new(move || end.version().get(), |_| list_sessions());
    view! {
        <section class=SECTION data-testid="sessions-section">
            <div class="flex items-center justify-between">
                <h2 class="text-base font-semibold">"Sessions"</h2>
                <ActionForm action=everywhere>
                    <button type="submit" class=BUTTON data-testid="sign-out-everywhere">"Sign out everywhere"</button>
                </ActionForm>
            </div>
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match sessions.await {
                        Ok(list) => view! {
                            <ul class="mt-3 divide-y divide-slate-100 text-sm" data-testid="sessions">
                                {list.into_iter().map(|s| view! {
                                    <li class="flex items-center justify-between py-2">
                                        <span>
                                            {s.client.clone().unwrap_or_else(|| "unknown address".into())}
                                            <span class="text-slate-500">{format!(" · since {} · last used {}", s.created_at, s.last_seen_at)}</span>
                                            {s.current.then(|| view! { <span class="ml-2 rounded bg-indigo-50 px-1.5 text-xs text-indigo-700">"this browser"</span> })}
                                        </span>
                                        {(!s.current).then(|| view! {
                                            <ActionForm action=end>
                                                <input type="hidden" name="session" value=s.id.to_string() />
                                                <button type="submit" class=BUTTON>"Sign out"</button>
                                            </ActionForm>
                                        })}
                                    </li>
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
fn TokensSection() -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let tokens = Resource::new(move || (create.version().get(), revoke.version().get()), |_| list_api_tokens());
    let (name, days) = (RwSignal::new(String::new()), RwSignal::new("90".to_owned()));
    let error = move |field: &'static str| {
        Signal::derive(move || create.value().get().and_then(Result::err).and_then(|e| e.field(field)))
    };
    view! {
        <section class=SECTION data-testid="tokens-section">
            <h2 class="text-base font-semibold">"API tokens"</h2>
            <p class="mt-1 text-sm text-slate-500">
                "For scripts and CI: send it as " <code>"Authorization: Bearer nsm_…"</code>
                ". A token can do at most what your role allows: read sees, deploy also deploys, write also changes configuration."
            </p>
            <ActionForm action=create attr:class="mt-4 flex flex-wrap items-end gap-3" attr:data-testid="token-form">
                <div class="w-56"><Field name="name" label="Name" value=name error=error("name") placeholder="ci" /></div>
                <div>
                    <label for="token-scope" class="block text-sm font-medium text-slate-700">"Scope"</label>
                    <select id="token-scope" name="scope" class="mt-1 rounded-md border border-slate-300 px-3 py-2 text-sm">
                        {TokenScope::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.as_str()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="w-40"><Field name="expires_in_days" label="Expires in days" value=days error=error("expires_in_days") hint="Empty: never." /></div>
                <button type="submit" class=PRIMARY>"Create token"</button>
            </ActionForm>
            {move || create.value().get().and_then(Result::ok).map(|issued| view! { <OneTime secret=issued /> })}
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) if list.is_empty() => view! { <p class="mt-3 text-sm text-slate-500">"No tokens yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="mt-3 divide-y divide-slate-100 text-sm" data-testid="tokens">
                                {list.into_iter().map(|t| view! {
                                    <li class="flex items-center justify-between py-2" data-token=t.name.clone()>
                                        <span>
                                            <span class="font-medium">{t.name.clone()}</span>
                                            <span class="ml-2 rounded bg-slate-100 px-1.5 text-xs">{t.scope.as_str()}</span>
                                            <span class="text-slate-500">{format!(
                                                " · created {} · expires {} · last used {}",
                                                t.created_at,
                                                t.expires_at.clone().unwrap_or_else(|| "never".into()),
                                                t.last_used_at.clone().unwrap_or_else(|| "never".into()),
                                            )}</span>
                                        </span>
                                        {if t.revoked {
                                            view! { <span class="text-xs text-slate-500">"revoked"</span> }.into_any()
                                        } else {
                                            view! {
                                                <ActionForm action=revoke>
                                                    <input type="hidden" name="token" value=t.id.to_string() />
                                                    <button type="submit" class=BUTTON>"Revoke"</button>
                                                </ActionForm>
                                            }.into_any()
                                        }}
                                    </li>
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

/// A credential shown once, to copy now.
#[component]
pub(super) fn OneTime(secret: nsm_core::team::OneTimeSecret) -> impl IntoView {
    view! {
        <div class="mt-3 rounded-md border border-amber-200 bg-amber-50 p-3 text-sm" data-testid="one-time-secret">
            <p class="font-medium text-amber-900">{secret.label} " — shown once:"</p>
            <code class="mt-1 block break-all font-mono text-xs" data-testid="secret-value">{secret.secret}</code>
        </div>
    }
}
