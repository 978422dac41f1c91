use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use nsm_core::access::Permission;
use nsm_core::protocol::LogStream;
use nsm_core::{DeploymentId, DeploymentState};

use super::actions::short;
use super::deployments::state_badge;
use super::plan_view::RedeployPlan;
use crate::api::deployments::{get_deployment, list_deployments, CancelDeployment};
use crate::components::{Allowed, ErrorBanner, Loading};
use crate::model::{DeploymentDetail, LogLineView};

/// One deployment: state, its log (streamed live while it runs), the rendered `.env`
/// (secrets masked), the compose adjustments and each service's settle result.
#[component]
pub fn DeploymentPage() -> impl IntoView {
    let params = use_params_map();
    let deployment = Memo::new(move |_| {
        params.with(|p| p.get("deployment").and_then(|d| d.parse::<DeploymentId>().ok()).unwrap_or(DeploymentId(0)))
    });
    // Bumped when the live stream ends, to load the final details.
    let ended = RwSignal::new(0u32);
    let cancel = ServerAction::<CancelDeployment>::new();
    let detail = Resource::new(move || (deployment.get(), ended.get()), |(id, _)| get_deployment(id));
    view! {
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <DeploymentView detail=d ended cancel /> }.into_any(),
                    Err(e) => view! { <ErrorBanner error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn DeploymentView(
    detail: DeploymentDetail,
    ended: RwSignal<u32>,
    cancel: ServerAction<CancelDeployment>,
) -> impl IntoView {
    let id = detail.summary.id;
    let state = RwSignal::new(detail.summary.state);
    let lines = RwSignal::new(detail.log.clone());
    let live = !detail.summary.is_terminal();
    if live {
        let from = detail.log.last().map_or(0, |l| l.seq + 1);
        follow(id, from, lines, state, ended);
    }
    let running = move || !state.get().is_terminal();
    view! {
        <div class="mb-4 flex flex-wrap items-center justify-between gap-3">
            <div class="flex items-center gap-3">
                <h2 class="text-lg font-semibold">{format!("Deployment #{id}")}</h2>
                <span class=move || format!("rounded-full px-2 py-0.5 text-xs font-medium {}", state_badge(state.get())) data-testid="deployment-state">
                    {move || state.get().as_str().replace('_', " ")}
                </span>
                {detail.summary.commit.as_deref().map(|c| view! { <code class="text-xs text-slate-500">{short(c)}</code> })}
            </div>
            <Allowed permission=Permission::Deploy>
                <Show when=running>
                    <ActionForm action=cancel>
                        <input type="hidden" name="deployment" value=id.to_string() />
                        <button type="submit" class="rounded-md border border-red-200 px-3 py-1.5 text-sm font-medium text-red-700 hover:bg-red-50">"Cancel"</button>
                    </ActionForm>
                </Show>
            </Allowed>
        </div>
        {detail.summary.reason.clone().map(|r| view! { <p class="mb-4 rounded-md bg-slate-100 px-3 py-2 text-sm text-slate-700" data-testid="deployment-reason">{r}</p> })}
        {matches!(detail.summary.state, DeploymentState::Failed | DeploymentState::TimedOut).then(|| {
            let project = detail.project.clone();
            view! {
                <Allowed permission=Permission::Deploy>
                    <RollbackOffer project=project.clone() failed=id />
                </Allowed>
            }
        })}
        <pre class="max-h-[32rem] overflow-auto rounded-xl bg-slate-900 p-4 font-mono text-xs leading-relaxed text-slate-100" data-testid="deployment-log">
            <For each=move || lines.get() key=|l| l.seq let:line>
                <LogRow line />
            </For>
        </pre>
        {(!detail.services.is_empty()).then(|| view! {
            <h3 class="mt-6 mb-2 text-sm font-semibold text-slate-700">"Services"</h3>
            <ul class="divide-y divide-slate-100 rounded-xl border border-slate-200 bg-white text-sm" data-testid="deployment-services">
                {detail.services.iter().map(|s| view! {
                    <li class="flex items-center justify-between px-4 py-2">
                        <span class="font-medium">{s.service.clone()}</span>
                        <span class=if s.ok { "text-emerald-700" } else { "text-red-700" }>
                            {format!("{} (expected {}){}", s.actual, s.expected, s.exit_code.map(|c| format!(", exit code {c}")).unwrap_or_default())}
                        </span>
                    </li>
                }).collect_view()}
            </ul>
        })}
        {detail.env_masked.clone().map(|env| view! {
            <h3 class="mt-6 mb-2 text-sm font-semibold text-slate-700">"Generated .env (secrets masked)"</h3>
            <pre class="overflow-auto rounded-xl border border-slate-200 bg-white p-4 font-mono text-xs" data-testid="deployment-env">{env}</pre>
        })}
        {detail.compose_override.clone().map(|o| view! {
            <h3 class="mt-6 mb-2 text-sm font-semibold text-slate-700">"Compose adjustments"</h3>
            <pre class="overflow-auto rounded-xl border border-slate-200 bg-white p-4 font-mono text-xs">{o}</pre>
        })}
    }
}

/// On a failed deployment: roll back to the project's last good one (its plan first).
#[component]
fn RollbackOffer(project: String, failed: DeploymentId) -> impl IntoView {
    let history = Resource::new(
        {
            let project = project.clone();
            move || project.clone()
        },
        list_deployments,
    );
    let planning = RwSignal::new(false);
    view! {
        <Transition fallback=|| ()>
            {move || {
                let project = project.clone();
                Suspend::new(async move {
                    let good = history.await.ok()?.into_iter().find(|d| d.id < failed && d.state == DeploymentState::Succeeded)?;
                    let target = good.id;
                    Some(view! {
                        <div class="mb-4" data-testid="rollback-offer">
                            <Show when=move || !planning.get()>
                                <button type="button" class="rounded-md border border-amber-300 bg-amber-50 px-3 py-1.5 text-sm font-medium text-amber-900 hover:bg-amber-100"
                                    data-testid="rollback" on:click=move |_| planning.set(true)>{format!("Roll back to #{target}")}</button>
                            </Show>
                            <Show when=move || planning.get()>
                                <RedeployPlan project=project.clone() deployment=target on_cancel=Callback::new(move |()| planning.set(false)) />
                            </Show>
                        </div>
                    })
                })
            }}
        </Transition>
    }
}

#[component]
fn LogRow(line: LogLineView) -> impl IntoView {
    let color = match line.stream {
        LogStream::System => "text-sky-300",
        LogStream::Stderr => "text-amber-200",
        LogStream::Stdout => "text-slate-100",
    };
    let time = line.at.get(11..19).unwrap_or_default().to_owned();
    view! { <div class=color><span class="select-none text-slate-500">{time}" "</span>{line.text}</div> }
}

/// Appends the deployment's new log lines as the server streams them (each line
/// once); on the server this does nothing.
#[allow(unused_variables)]
fn follow(
    id: DeploymentId,
    from: i64,
    lines: RwSignal<Vec<LogLineView>>,
    state: RwSignal<DeploymentState>,
    ended: RwSignal<u32>,
) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use send_wrapper::SendWrapper;
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        use web_sys::{EventSource, MessageEvent};

        let Ok(source) = EventSource::new(&format!("/api/v1/deployments/{id}/events?from={from}")) else {
            return;
        };
        let on_line = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(data) = event.data().as_string() else { return };
            if let Ok(line) = serde_json::from_str::<LogLineView>(&data) {
                lines.update(|all| {
                    if all.last().is_none_or(|last| line.seq > last.seq) {
                        all.push(line);
                    }
                });
            }
        });
        let on_state = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(word) = event.data().as_string().as_deref().and_then(DeploymentState::parse) {
                state.set(word);
            }
        });
        let closer = source.clone();
        let on_end = Closure::<dyn FnMut(MessageEvent)>::new(move |_: MessageEvent| {
            closer.close();
            ended.update(|n| *n += 1);
        });
        let _ = source.add_event_listener_with_callback("line", on_line.as_ref().unchecked_ref());
        let _ = source.add_event_listener_with_callback("state", on_state.as_ref().unchecked_ref());
        let _ = source.add_event_listener_with_callback("end", on_end.as_ref().unchecked_ref());
        let kept = SendWrapper::new((source, on_line, on_state, on_end));
        on_cleanup(move || kept.0.close());
    });
}
