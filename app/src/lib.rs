#![recursion_limit = "256"]
//! NSM's user interface: server-rendered with Leptos, hydrated into a single-page app.

pub mod api;
#[cfg(feature = "ssr")]
pub mod backend;
mod components;
pub mod error;
pub mod model;
mod pages;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

use pages::{account, audit, dashboard, layout, login, projects, settings, setup, workers};

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let options = page_caching(options);
    view! {
        <!DOCTYPE html>
        <html lang="en" class="h-full bg-slate-50">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <HydrationScripts options=options.clone() />
                <HashedStylesheet options id="leptos" />
                <MetaTags />
            </head>
            <body class="h-full text-slate-800 antialiased">
                <App />
            </body>
        </html>
    }
}

/// The front end's files are named after their content (`scripts/build-site.sh`, which
/// lists the hashes in `<site root>/hash.txt`) and cached for a year, so a page must
/// never be shown from cache: it names the files of the build that rendered it. Leptos
/// looks for the hash file beside the executable unless the path is absolute; without
/// the file (`cargo leptos watch`) the plain names are used.
#[cfg(feature = "ssr")]
fn page_caching(mut options: LeptosOptions) -> LeptosOptions {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-cache"));
    }
    if !options.hash_files {
        let listed = std::path::absolute(std::path::Path::new(options.site_root.as_ref()).join("hash.txt"));
        if let Some(path) = listed.ok().filter(|path| path.is_file()) {
            options.hash_files = true;
            options.hash_file = path.to_string_lossy().as_ref().into();
        }
    }
    options
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|text: String| if text.is_empty() { "NSM".to_owned() } else { format!("{text} · NSM") } />
        <Router>
            <Routes fallback=|| view! { <pages::NotFound /> }>
                <Route path=path!("/login") view=login::SignInPage />
                <Route path=path!("/setup") view=setup::SetupPage />
                <ParentRoute path=path!("") view=layout::AppLayout>
                    <Route path=path!("") view=dashboard::DashboardPage />
                    <Route path=path!("/projects") view=projects::list::ProjectListPage />
                    <Route path=path!("/projects/new") view=projects::new::NewProjectPage />
                    <ParentRoute path=path!("/projects/:id") view=projects::detail::ProjectPage>
                        <Route path=path!("") view=projects::general::GeneralTab />
                        <Route path=path!("/domains") view=projects::domains::DomainsTab />
                        <Route path=path!("/environment") view=projects::environment::EnvironmentTab />
                        <Route path=path!("/services") view=projects::services::ServicesTab />
                        <Route path=path!("/deployments") view=projects::deployments::DeploymentsTab />
                        <Route path=path!("/deployments/:deployment") view=projects::deployment::DeploymentPage />
                        <Route path=path!("/logs") view=projects::logs::LogsTab />
                    </ParentRoute>
                    <Route path=path!("/workers") view=workers::WorkersPage />
                    <Route path=path!("/settings") view=settings::SettingsPage />
                    <Route path=path!("/settings/audit") view=audit::AuditLogPage />
                    <Route path=path!("/account") view=account::AccountPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
