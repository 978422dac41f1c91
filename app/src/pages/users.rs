//! Settings → Users, for administrators: create with a role and a one-time password,
//! change roles, disable, reset a password, sign a user out everywhere.

use leptos::prelude::*;
use nsm_core::access::Role;
use nsm_core::team::UserView;

use super::account::{OneTime, BUTTON, PRIMARY, SECTION};
use crate::api::team::{list_users, CreateUser, ResetUserPassword, SetUserDisabled, SetUserRole, SignOutUser};
use crate::components::{ErrorBanner, Field, Loading};

#[derive(Clone, Copy)]
struct UserActions {
    role: ServerAction<SetUserRole>,
    disable: ServerAction<SetUserDisabled>,
    reset: ServerAction<ResetUserPassword>,
    sign_out: ServerAction<SignOutUser>,
}

#[component]
pub fn UsersSection() -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let actions = UserActions {
        role: ServerAction::new(),
        disable: ServerAction::new(),
        reset: ServerAction::new(),
        sign_out: ServerAction::new(),
    };
    let users = Resource::new(
        move || {
            (
                create.version().get(),
                actions.role.version().get(),
                actions.disable.version().get(),
                actions.sign_out.version().get(),
            )
        },
        |_| list_users(),
    );
    let username = RwSignal::new(String::new());
    let name_error =
        Signal::derive(move || create.value().get().and_then(Result::err).and_then(|e| e.field("username")));
    let failure = move || {
        [
            actions.role.value().get().and_then(Result::err),
            actions.disable.value().get().and_then(Result::err),
            actions.reset.value().get().and_then(Result::err),
            actions.sign_out.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
    };
    view! {
        <section class=SECTION data-testid="users-section">
            <h2 class="text-base font-semibold">"Users"</h2>
            <p class="mt-1 text-sm text-slate-500">
                "Admins do everything; deployers edit projects and deploy (no Custom nginx blocks, no revealing secrets); "
                "viewers only look. A new user gets a one-time password and chooses their own at first sign-in."
            </p>
            <ActionForm action=create attr:class="mt-4 flex flex-wrap items-end gap-3" attr:data-testid="create-user-form">
                <div class="w-56"><Field name="username" label="Username" value=username error=name_error /></div>
                <RolePicker name="role" selected=Role::Deployer />
                <button type="submit" class=PRIMARY>"Create user"</button>
            </ActionForm>
            {move || create.value().get().and_then(Result::ok).map(|secret| view! { <OneTime secret /> })}
            {move || actions.reset.value().get().and_then(Result::ok).map(|secret| view! { <OneTime secret /> })}
            {move || failure().map(|e| view! { <div class="mt-3"><ErrorBanner error=e /></div> })}
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match users.await {
                        Ok(list) => view! {
                            <ul class="mt-4 divide-y divide-slate-100 text-sm" data-testid="users">
                                {list.into_iter().map(|user| view! { <UserRow user actions /> }).collect_view()}
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
fn RolePicker(name: &'static str, selected: Role) -> impl IntoView {
    view! {
        <select name=name aria-label="Role" class="rounded-md border border-slate-300 px-3 py-2 text-sm">
            {Role::ALL.iter().map(|r| view! { <option value=r.as_str() selected=*r == selected>{r.label()}</option> }).collect_view()}
        </select>
    }
}

#[component]
fn UserRow(user: UserView, actions: UserActions) -> impl IntoView {
    let id = user.id;
    let (disabled, role) = (user.disabled, user.role);
    let seen = user.last_seen.clone().map(|at| format!(" · last seen {at}")).unwrap_or_default();
    view! {
        <li class="flex flex-wrap items-center justify-between gap-3 py-3" data-user=user.username.clone()>
            <span>
                <span class="font-medium">{user.username.clone()}</span>
                {user.disabled.then(|| view! { <span class="ml-2 rounded bg-red-50 px-1.5 text-xs text-red-700">"disabled"</span> })}
                <span class="text-slate-500">{format!(" · {} sessions{seen}", user.sessions)}</span>
            </span>
            <div class="flex flex-wrap items-center gap-2">
                <ActionForm action=actions.role attr:class="flex items-center gap-2">
                    <input type="hidden" name="user" value=id.to_string() />
                    <RolePicker name="role" selected=role />
                    <button type="submit" class=BUTTON data-testid="save-role">"Save role"</button>
                </ActionForm>
                <ActionForm action=actions.disable>
                    <input type="hidden" name="user" value=id.to_string() />
                    <input type="hidden" name="disabled" value=(!disabled).to_string() />
                    <button type="submit" class=BUTTON>{if disabled { "Enable" } else { "Disable" }}</button>
                </ActionForm>
                <ActionForm action=actions.reset>
                    <input type="hidden" name="user" value=id.to_string() />
                    <button type="submit" class=BUTTON>"Reset password"</button>
                </ActionForm>
                <ActionForm action=actions.sign_out>
                    <input type="hidden" name="user" value=id.to_string() />
                    <button type="submit" class=BUTTON>"Sign out everywhere"</button>
                </ActionForm>
            </div>
        </li>
    }
}
