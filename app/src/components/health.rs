//! A project's services at a glance, the same words on every page that shows it.

use leptos::prelude::*;
use nsm_core::events::LiveEvent;
use nsm_core::service::{ServiceHealth, Verdict};

#[component]
pub fn HealthBadge(health: ServiceHealth) -> impl IntoView {
    let class = match health.verdict() {
        Verdict::Matching => "bg-emerald-50 text-emerald-700",
        Verdict::Mismatch => "bg-red-50 text-red-700",
        Verdict::Unknown | Verdict::Unchecked => "bg-slate-100 text-slate-600",
    };
    view! {
        <span class=format!("rounded-full px-2 py-0.5 text-xs font-medium {class}") data-testid="project-verdict">
            {health.summary()}
        </span>
    }
}

/// Events that can change a project summary's health or last deployment.
pub fn changes_health(event: &LiveEvent) -> bool {
    match event {
        LiveEvent::Service { .. } | LiveEvent::Worker { .. } => true,
        LiveEvent::Deployment { lines, .. } => lines.is_empty(),
        LiveEvent::Certificate { .. } | LiveEvent::Reset => false,
    }
}
