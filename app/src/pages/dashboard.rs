use leptos::prelude::*;
use leptos_meta::Title;
use nsm_core::events::LiveEvent;
use nsm_core::service::Verdict;

use crate::api::domains::list_expiring_certificates;
use crate::api::projects::list_projects;
use crate::api::workers::{get_control_plane_status, get_fleet_history, list_workers};
use crate::components::{changes_health, use_live, DayHeatmap, ErrorBanner, HealthBadge, Loading, PageHeader};
use crate::model::{ExpiringCertificate, ProjectSummary, WorkerSummary};

/// How far ahead the dashboard warns of certificates ending.
const EXPIRY_WARNING_DAYS: u32 = 14;

/// "Is everything fine?": every project's verdict (mismatching first) and last
/// deployment, every worker's state, the control plane's uptime. Refreshed by the
/// live events, never by polling.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let changed = use_live(changes_health);
    let presence = use_live(|event| matches!(event, LiveEvent::Worker { .. }));
    let projects = Resource::new(move || changed.get(), |_| list_projects());
    let workers = Resource::new(move || presence.get(), |_| list_workers());
    let server = Resource::new(|| (), |_| get_control_plane_status());
    let renewed = use_live(|event| matches!(event, LiveEvent::Certificate { .. }));
    let expiring = Resource::new(move || renewed.get(), |_| list_expiring_certificates(EXPIRY_WARNING_DAYS));
    let history = Resource::new(move || (changed.get(), presence.get()), |_| get_fleet_history());
    view! {
        <Title text="Dashboard" />
        <PageHeader title="Dashboard".into() subtitle="Is everything fine? Your projects and worker nodes, live".into()>
            <a href="/projects/new" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500">"New project"</a>
        </PageHeader>
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match (projects.await, workers.await, server.await, expiring.await, history.await) {
                    (Ok(p), Ok(w), Ok(status), Ok(certificates), Ok(days)) => {
                        let online = w.iter().filter(|w| w.online).count();
                        let uptime = format_uptime(status.uptime_secs);
                        view! {
                            <div class="grid gap-4 sm:grid-cols-3">
                                <Stat label="Projects" value=p.len().to_string() href="/projects" />
                                <Stat label="Workers online" value=format!("{online} of {}", w.len()) href="/workers" />
                                <Stat label="Control plane up" value=uptime href="/settings" />
                            </div>
                            <FleetHistory days />
                            <ProjectHealthList projects=p />
                            <ExpiringCertificates certificates />
                            <WorkerStates workers=w />
                        }.into_any()
                    }
                    (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), ..) | (_, _, _, Err(e), _) | (.., Err(e)) => {
                        view! { <ErrorBanner error=e /> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// The last 90 days at a glance: a square a day, green when the control plane ran
/// and nothing mismatched or went offline.
#[component]
fn FleetHistory(days: Vec<nsm_core::service::DayCell>) -> impl IntoView {
    let troubled = days.iter().filter(|d| d.incidents > 0).count();
    view! {
        <section class="mt-6 rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
            <div class="mb-3 flex items-baseline justify-between">
                <h2 class="text-sm font-semibold text-slate-900">"Last 90 days"</h2>
                <span class="text-xs text-slate-500">{format!("{troubled} day(s) with incidents · hover a day for details")}</span>
            </div>
            <DayHeatmap days />
            <div class="mt-2 flex gap-3 text-xs text-slate-500">
                <span class="text-slate-300">"■ no data"</span><span class="text-red-500">"■ < 90 % fine"</span>
                <span class="text-amber-400">"■ < 99 %"</span><span class="text-emerald-300">"■ < 99.9 %"</span>
                <span class="text-emerald-500">"■ all fine"</span>
            </div>
        </section>
    }
}

#[component]
fn ProjectHealthList(mut projects: Vec<ProjectSummary>) -> impl IntoView {
    // Mismatching first, then unknown, then the rest; by name within each.
    let rank = |p: &ProjectSummary| match p.health.verdict() {
        Verdict::Mismatch => 0,
        Verdict::Unknown => 1,
        Verdict::Matching => 2,
        Verdict::Unchecked => 3,
    };
    projects.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.id.cmp(&b.id)));
    view! {
        <h2 class="mb-3 mt-8 text-base font-semibold">"Projects"</h2>
        <ul class="divide-y divide-slate-100 overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="dashboard-projects">
            {projects.into_iter().map(|p| {
                let last = p.last_deployment.map(|s| format!("last deployment {s}")).unwrap_or_else(|| "never deployed".into());
                view! {
                    <li data-project=p.id.clone()>
                        <a href=format!("/projects/{}/services", p.id) class="flex items-center justify-between gap-4 px-5 py-3 hover:bg-slate-50">
                            <span class="font-medium text-slate-900">{p.id.clone()}</span>
                            <span class="flex items-center gap-3 text-xs text-slate-500">
                                <span data-testid="last-deployment">{last}</span>
                                <HealthBadge health=p.health />
                            </span>
                        </a>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

#[component]
fn ExpiringCertificates(certificates: Vec<ExpiringCertificate>) -> impl IntoView {
    view! {
        <h2 class="mb-3 mt-8 text-base font-semibold">{format!("Certificates ending within {EXPIRY_WARNING_DAYS} days")}</h2>
        {if certificates.is_empty() {
            view! { <p class="text-sm text-slate-500" data-testid="no-expiring-certificates">"None."</p> }.into_any()
        } else {
            view! {
                <ul class="divide-y divide-slate-100 overflow-hidden rounded-xl border border-amber-200 bg-white shadow-sm" data-testid="expiring-certificates">
                    {certificates.into_iter().map(|c| {
                        let until = c.certificate.not_after.clone().unwrap_or_default();
                        let error = c.certificate.last_error.clone().map(|e| format!(" — last renewal failed: {e}")).unwrap_or_default();
                        view! {
                            <li class="flex items-center justify-between gap-4 px-5 py-3 text-sm" data-hostname=c.hostname.clone()>
                                <a href=format!("/projects/{}/domains", c.project) class="font-medium text-slate-900 hover:underline">{c.hostname.clone()}</a>
                                <span class="text-xs text-amber-800">{format!("{} until {until}{error}", c.certificate.status)}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}

#[component]
fn WorkerStates(workers: Vec<WorkerSummary>) -> impl IntoView {
    view! {
        <h2 class="mb-3 mt-8 text-base font-semibold">"Workers"</h2>
        <ul class="grid gap-3 sm:grid-cols-3" data-testid="dashboard-workers">
            {workers.into_iter().map(|w| {
                let (word, class) = if w.online { ("online", "text-emerald-700") } else { ("offline", "text-slate-500") };
                let seen = w.last_seen.map(|s| format!("last seen {s}")).unwrap_or_else(|| "never connected".into());
                view! {
                    <li class="rounded-xl border border-slate-200 bg-white p-4 text-sm shadow-sm" data-worker=w.id.clone()>
                        <p class="font-medium">{w.name}</p>
                        <p class=format!("text-xs {class}") data-state=word>{word}</p>
                        <p class="text-xs text-slate-500">{seen}</p>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

fn format_uptime(secs: u64) -> String {
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (days, hours) {
        (0, 0) => format!("{minutes} min"),
        (0, h) => format!("{h} h {minutes} min"),
        (d, h) => format!("{d} d {h} h"),
    }
}

#[component]
fn Stat(label: &'static str, value: String, href: &'static str) -> impl IntoView {
    view! {
        <a href=href class="block rounded-xl border border-slate-200 bg-white p-5 shadow-sm hover:border-indigo-300">
            <p class="text-sm text-slate-500">{label}</p>
            <p class="mt-2 text-3xl font-semibold text-slate-900">{value}</p>
        </a>
    }
}
