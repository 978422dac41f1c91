use leptos::prelude::*;

use crate::error::AppError;

#[component]
pub fn Loading(#[prop(default = "Loading…")] label: &'static str) -> impl IntoView {
    view! {
        <div class="flex items-center gap-2 p-6 text-sm text-slate-500" role="status">
            <span class="h-4 w-4 animate-spin rounded-full border-2 border-slate-300 border-t-indigo-600"></span>
            {label}
        </div>
    }
}

/// A page-level error: what went wrong, in the user's terms.
#[component]
pub fn ErrorBanner(error: AppError) -> impl IntoView {
    let sign_in = matches!(error, AppError::Unauthorized);
    view! {
        <div class="rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800" role="alert">
            {error.to_string()}
            {sign_in.then(|| view! { " " <a class="font-medium underline" href="/login">"Sign in"</a> })}
        </div>
    }
}

#[component]
pub fn PageHeader(
    title: String,
    #[prop(optional)] subtitle: Option<String>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <header class="mb-6 flex flex-wrap items-end justify-between gap-4">
            <div>
                <h1 class="text-2xl font-semibold tracking-tight text-slate-900">{title}</h1>
                {subtitle.map(|s| view! { <p class="mt-1 text-sm text-slate-500">{s}</p> })}
            </div>
            <div class="flex items-center gap-2">{children.map(|c| c())}</div>
        </header>
    }
}
