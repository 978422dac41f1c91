//! A deployment's plan as the Deploy button and "Redeploy this version" show it before
//! anything runs: what changes against the last successful deployment, what blocks.

use leptos::prelude::*;
use nsm_core::plan::{Change, DiffOp, Plan};

use super::actions::short;

fn change_badge(change: Change) -> &'static str {
    match change {
        Change::Added => "bg-emerald-50 text-emerald-700",
        Change::Changed => "bg-amber-50 text-amber-800",
        Change::Removed => "bg-red-50 text-red-700",
    }
}

fn before_after(before: Option<String>, after: Option<String>) -> String {
    match (before, after) {
        (Some(b), Some(a)) if b == a => a,
        (Some(b), Some(a)) => format!("{b} → {a}"),
        (Some(b), None) => b,
        (None, Some(a)) => a,
        (None, None) => String::new(),
    }
}

/// One row of a plan's section: what, how it changes, from → to.
#[component]
fn Row(what: String, change: Change, detail: String) -> impl IntoView {
    view! {
        <li class="flex flex-wrap items-baseline gap-2 py-1" data-testid="plan-row">
            <span class="font-mono text-xs font-medium">{what}</span>
            <span class=format!("rounded-full px-2 py-0.5 text-xs font-medium {}", change_badge(change))>{change.as_str()}</span>
            <span class="text-xs text-slate-600">{detail}</span>
        </li>
    }
}

#[component]
fn Section(title: &'static str, testid: &'static str, rows: Vec<(String, Change, String)>) -> impl IntoView {
    (!rows.is_empty()).then(|| {
        view! {
            <div class="mt-3" data-testid=testid>
                <h4 class="text-xs font-semibold uppercase tracking-wide text-slate-500">{title}</h4>
                <ul class="mt-1">
                    {rows.into_iter().map(|(what, change, detail)| view! { <Row what change detail /> }).collect_view()}
                </ul>
            </div>
        }
    })
}

/// The plan's contents (no buttons).
#[component]
pub fn PlanSummary(plan: Plan) -> impl IntoView {
    let against = match plan.against {
        Some(id) => format!("Compared with the last successful deployment, #{id}."),
        None => "No deployment has succeeded yet: everything is new.".to_owned(),
    };
    let redeploy = plan.redeploy_of.map(|id| format!("Redeploys the commit and configuration of #{id}."));
    let empty = plan.is_empty();
    let commit = &plan.commit;
    let commit_line = commit.changed().then(|| {
        let from = commit.from.as_deref().map(short).unwrap_or_else(|| "nothing".into());
        let to = commit.to.as_deref().map(short).unwrap_or_else(|| "unknown".into());
        let head = commit
            .branch
            .as_ref()
            .map(|b| format!(" (the head of {b} when the deployment runs; last seen {to})"))
            .unwrap_or_default();
        format!("Commit {from} → {to}{head}")
    });
    let subjects = plan.commit.subjects.clone();
    let variables = plan
        .variables
        .iter()
        .map(|v| (v.name.clone(), v.change, before_after(v.before.clone(), v.after.clone())))
        .collect();
    let domains =
        plan.domains.iter().map(|d| (d.hostname.clone(), d.change, d.detail.clone().unwrap_or_default())).collect();
    let resources = plan
        .resources
        .iter()
        .map(|r| (format!("{}{}", r.hostname, r.path), r.change, before_after(r.before.clone(), r.after.clone())))
        .collect();
    let show_state = |s: Option<nsm_core::service::ServiceState>| s.map(|s| s.as_str().to_owned());
    let services = plan
        .services
        .iter()
        .map(|s| (s.service.clone(), s.change, before_after(show_state(s.before), show_state(s.after))))
        .collect();
    let nginx = plan.nginx.clone();
    view! {
        <p class="text-sm text-slate-600">{against}" "{redeploy}</p>
        {empty.then(|| view! { <p class="mt-2 text-sm font-medium text-slate-800" data-testid="plan-empty">"Nothing changed."</p> })}
        {commit_line.map(|line| view! {
            <div class="mt-3" data-testid="plan-commit">
                <p class="text-sm">{line}</p>
                <ul class="mt-1 text-xs text-slate-600">
                    {subjects.into_iter().map(|c| view! { <li><code>{short(&c.sha)}</code>" "{c.subject}</li> }).collect_view()}
                </ul>
            </div>
        })}
        <Section title="Variables" testid="plan-variables" rows=variables />
        <Section title="Domains" testid="plan-domains" rows=domains />
        <Section title="Resources" testid="plan-resources" rows=resources />
        <Section title="Services" testid="plan-services" rows=services />
        {(!nginx.is_empty()).then(|| view! {
            <div class="mt-3">
                <h4 class="text-xs font-semibold uppercase tracking-wide text-slate-500">"nginx"</h4>
                <pre class="mt-1 max-h-64 overflow-auto rounded-md bg-slate-900 p-3 font-mono text-xs text-slate-100" data-testid="plan-nginx">
                    {nginx.into_iter().map(|line| {
                        let (class, sign, text) = match line.op {
                            DiffOp::Same => ("text-slate-300", " ", line.text),
                            DiffOp::Added => ("text-emerald-300", "+", line.text),
                            DiffOp::Removed => ("text-red-300", "-", line.text),
                            DiffOp::Skipped => ("text-slate-500", "…", format!(" {} unchanged lines", line.text)),
                        };
                        view! { <div class=class>{sign}{text}</div> }
                    }).collect_view()}
                </pre>
            </div>
        })}
        {(!plan.notes.is_empty()).then(|| view! {
            <ul class="mt-3 list-disc pl-5 text-xs text-slate-600">
                {plan.notes.iter().map(|n| view! { <li>{n.clone()}</li> }).collect_view()}
            </ul>
        })}
        {(!plan.problems.is_empty()).then(|| view! {
            <div class="mt-3 rounded-md bg-red-50 p-3 text-sm text-red-800" role="alert" data-testid="plan-problems">
                <p class="font-medium">"This deployment cannot start:"</p>
                <ul class="list-disc pl-5">
                    {plan.problems.iter().map(|p| view! { <li>{p.message.clone()}</li> }).collect_view()}
                </ul>
            </div>
        })}
    }
}

/// The panel around a plan: its title, the plan, and whatever confirms it (`children`,
/// given whether the plan blocks).
#[component]
pub fn PlanPanel(
    title: String,
    plan: Resource<Result<Plan, crate::error::AppError>>,
    on_cancel: Callback<()>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="mt-4 rounded-xl border border-indigo-200 bg-white p-4 shadow-sm" data-testid="plan">
            <h3 class="text-base font-semibold">{title}</h3>
            <Transition fallback=|| view! { <p class="mt-2 text-sm text-slate-500">"Working out what will change…"</p> }>
                {move || Suspend::new(async move {
                    match plan.await {
                        Ok(plan) => view! { <PlanSummary plan /> }.into_any(),
                        Err(e) => view! { <p class="mt-2 text-sm text-red-600" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            <div class="mt-4 flex items-center gap-2">
                {children()}
                <button type="button" class="rounded-md border border-slate-300 px-3 py-2 text-sm" data-testid="plan-cancel"
                    on:click=move |_| on_cancel.run(())>"Cancel"</button>
            </div>
        </div>
    }
}

/// Whether a plan (being fetched) blocks its confirmation: no plan yet counts as blocked.
pub fn blocks(plan: Resource<Result<Plan, crate::error::AppError>>) -> Signal<bool> {
    Signal::derive(move || plan.get().is_none_or(|p| p.as_ref().map_or(true, Plan::is_blocked)))
}

/// The plan of redeploying `deployment` (its commit and configuration), with the
/// button that queues it; follows the new deployment once queued.
#[component]
pub fn RedeployPlan(project: String, deployment: nsm_core::DeploymentId, on_cancel: Callback<()>) -> impl IntoView {
    use crate::api::plan::{get_redeploy_plan, RedeployDeployment};
    let redeploy = ServerAction::<RedeployDeployment>::new();
    let plan = Resource::new(move || deployment, get_redeploy_plan);
    let blocked = blocks(plan);
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(new)) = redeploy.value().get() {
            on_cancel.run(());
            navigate(&format!("/projects/{project}/deployments/{new}"), Default::default());
        }
    });
    let error = move || redeploy.value().get().and_then(Result::err);
    view! {
        <PlanPanel title=format!("Redeploy #{deployment}: what will change") plan on_cancel>
            <ActionForm action=redeploy>
                <input type="hidden" name="deployment" value=deployment.to_string() />
                <button type="submit" data-testid="plan-redeploy"
                    class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60"
                    disabled=move || blocked.get() || redeploy.pending().get()>
                    {format!("Redeploy #{deployment} now")}
                </button>
            </ActionForm>
            {move || error().map(|e| view! { <p class="text-sm text-red-600" role="alert">{e.to_string()}</p> })}
        </PlanPanel>
    }
}
