use leptos::prelude::*;
use leptos_router::components::{Outlet, A};
use leptos_router::hooks::use_location;

use nsm_core::access::Permission;

use crate::api::auth::SignOut;
use crate::components::{provide_me, Allowed, Me};

/// The main navigation; the last entry is for administrators only.
const NAV: [(&str, &str); 4] =
    [("/", "Dashboard"), ("/projects", "Projects"), ("/workers", "Workers"), ("/settings", "Settings")];

/// The signed-in frame: left navigation, the user, sign-out, and the page.
#[component]
pub fn AppLayout() -> impl IntoView {
    crate::components::provide_live();
    crate::components::provide_clock();
    let Me(user) = provide_me();
    let sign_out = ServerAction::<SignOut>::new();
    let location = use_location();
    let is_active = move |href: &str| {
        let path = location.pathname.get();
        if href == "/" {
            path == "/"
        } else {
            path == href || path.starts_with(&format!("{href}/"))
        }
    };
    view! {
        <div class="flex min-h-full">
            <aside class="flex w-60 shrink-0 flex-col border-r border-slate-200 bg-white">
                <div class="flex h-16 items-center gap-2 border-b border-slate-200 px-5">
                    <span class="grid h-8 w-8 place-items-center rounded-md bg-indigo-600 text-sm font-bold text-white">"N"</span>
                    <span class="text-lg font-semibold tracking-tight">"NSM"</span>
                </div>
                <nav class="flex-1 space-y-1 p-3" aria-label="Main">
                    {NAV
                        .iter()
                        .map(|(href, label)| {
                            let href = *href;
                            let link = move || view! {
                                <A
                                    href=href
                                    attr:class=move || {
                                        if is_active(href) {
                                            "block rounded-md bg-indigo-50 px-3 py-2 text-sm font-medium text-indigo-700"
                                        } else {
                                            "block rounded-md px-3 py-2 text-sm font-medium text-slate-600 hover:bg-slate-100 hover:text-slate-900"
                                        }
                                    }
                                >
                                    {*label}
                                </A>
                            };
                            if href == "/settings" {
                                view! { <Allowed permission=Permission::Admin>{link()}</Allowed> }.into_any()
                            } else {
                                link().into_any()
                            }
                        })
                        .collect_view()}
                </nav>
                <div class="border-t border-slate-200 p-3 text-sm">
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            user.await.ok().map(|u| view! {
                                <A href="/account" attr:class="block px-3 pb-2 text-slate-500 hover:text-slate-900" attr:title="Your account">
                                    <span data-testid="current-user">{u.username}</span>
                                    <span class="ml-1 text-xs text-slate-400" data-testid="current-role">{u.role.label()}</span>
                                </A>
                            })
                        })}
                    </Suspense>
                    <ActionForm action=sign_out>
                        <button type="submit" class="w-full rounded-md px-3 py-2 text-left font-medium text-slate-600 hover:bg-slate-100">
                            "Sign out"
                        </button>
                    </ActionForm>
                </div>
            </aside>
            <main class="min-w-0 flex-1 px-8 py-8">
                <div class="mx-auto max-w-5xl">
                    <Outlet />
                </div>
            </main>
        </div>
    }
}
