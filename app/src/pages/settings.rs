use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::PageHeader;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <Title text="Settings" />
        <PageHeader title="Settings".into() subtitle="Control-plane settings".into() />
        <div class="rounded-xl border border-dashed border-slate-300 bg-white p-8 text-sm text-slate-500">
            "Server settings are given on the command line or as NSM_* environment variables (see the README). "
            "Settings editable here — the git base URL, the ACME directory and users — arrive with the deployments and edge work."
        </div>
    }
}
