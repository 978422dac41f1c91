pub mod account;
pub mod audit;
pub mod dashboard;
pub mod layout;
pub mod login;
pub mod projects;
pub mod settings;
mod settings_github;
mod settings_server;
pub mod setup;
pub mod users;
pub mod workers;

use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="flex min-h-full flex-col items-center justify-center gap-3 p-10">
            <h1 class="text-2xl font-semibold">"Page not found"</h1>
            <a class="text-indigo-600 hover:underline" href="/">"Back to the dashboard"</a>
        </main>
    }
}
