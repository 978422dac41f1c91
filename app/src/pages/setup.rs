use leptos::prelude::*;
use leptos_meta::Title;

use super::login::AuthCard;
use crate::api::auth::{check_password, check_username, setup_requires_token, SetupAdmin};
use crate::components::Field;

/// First run: create the administrator. The server refuses it once a user exists.
#[component]
pub fn SetupPage() -> impl IntoView {
    let action = ServerAction::<SetupAdmin>::new();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let setup_token = RwSignal::new(String::new());
    // Asked only of a server others can reach (it listens beyond loopback).
    let requires_token = OnceResource::new(setup_requires_token());
    let server_error =
        move |field: &'static str| action.value().get().and_then(|r| r.err()).and_then(|e| e.field(field));
    // Inline checks run the same rules as the server, once the user has typed.
    let username_error = Signal::derive(move || {
        let u = username.get();
        if u.is_empty() {
            server_error("username")
        } else {
            check_username(&u).err().map(|e| e.0)
        }
    });
    let password_error = Signal::derive(move || {
        let p = password.get();
        if p.is_empty() {
            server_error("password")
        } else {
            check_password(&p).err().map(|e| e.0)
        }
    });
    let confirm_error = Signal::derive(move || {
        let c = confirm.get();
        if !c.is_empty() && c != password.get() {
            Some("The passwords do not match".to_owned())
        } else {
            server_error("confirm")
        }
    });
    let token_error = Signal::derive(move || server_error("setup_token"));
    let general_error = move || action.value().get().and_then(|r| r.err()).filter(|e| e.field_errors().is_none());
    view! {
        <Title text="Set up" />
        <AuthCard title="Welcome to NSM" subtitle="Create the administrator account to get started">
            <ActionForm action=action attr:class="space-y-4">
                <Field name="username" label="Username" value=username error=username_error autocomplete="username" />
                <Field name="password" label="Password" kind="password" value=password error=password_error autocomplete="new-password" hint="At least 10 characters" />
                <Field name="confirm" label="Repeat password" kind="password" value=confirm error=confirm_error autocomplete="new-password" />
                <Suspense fallback=|| ()>
                    {move || {
                        requires_token.get().and_then(Result::ok).filter(|required| *required).map(|_| {
                            view! {
                                <Field
                                    name="setup_token"
                                    label="Setup token"
                                    value=setup_token
                                    error=token_error
                                    autocomplete="off"
                                    hint="This server can be reached from other machines, so setup needs the token it printed in its log (also in the setup-token file of its data directory)"
                                />
                            }
                        })
                    }}
                </Suspense>
                {move || general_error().map(|e| view! { <p class="text-sm text-red-600" role="alert">{e.to_string()}</p> })}
                <button
                    type="submit"
                    class="w-full rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60"
                    disabled=move || action.pending().get()
                >
                    "Create administrator"
                </button>
            </ActionForm>
        </AuthCard>
    }
}
