//! The Logs tab: the stored lines of the project's services (those with "Collect logs"
//! on), filtered by service, deployment, time and text, and followed live through one
//! `EventSource` on `/logs/follow` with the same filters. No polling: the first lines
//! come from `/logs` when the filters change, the rest as the server stores them.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use nsm_core::logs::{LogEntry, LogStream};

use super::log_filters::{clock_time, full_time, logs_url, LogFilters, TimeWindow, FIRST_LINES, KEPT_LINES};
use super::log_stream::Lines;
use crate::api::deployments::{list_deployments, list_services};
use crate::components::{use_clock, ErrorBanner, Loading};
use crate::error::AppError;

const SELECT: &str = "mt-1 rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm";

#[component]
pub fn LogsTab() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let services = Resource::new(move || id.get(), list_services);
    let deployments = Resource::new(move || id.get(), list_deployments);

    let picked = RwSignal::new(Vec::<String>::new());
    let deployment = RwSignal::new(None::<i64>);
    let window = RwSignal::new(TimeWindow::All);
    let typed = RwSignal::new(String::new());
    let q = RwSignal::new(String::new());
    let follow = RwSignal::new(true);
    let filters = Memo::new(move |_| LogFilters {
        services: picked.get(),
        deployment: deployment.get(),
        window: window.get(),
        q: q.get(),
    });

    let lines = RwSignal::new(Vec::<LogEntry>::new());
    let state = RwSignal::new(Lines::Loading);
    let live = RwSignal::new(false);
    super::log_stream::load_and_follow(id, filters, follow, lines, state, live);

    let clock = use_clock();
    let download = move || {
        let query = filters.get().query(clock.get().0 * 1000);
        logs_url(&id.get(), "/download", &query, "")
    };
    // Services that collect logs, once known (`None` while loading).
    let collected = Memo::new(move |_| {
        services
            .get()
            .and_then(Result::ok)
            .map(|list| list.iter().filter(|s| s.collect_logs).map(|s| s.name.clone()).collect::<Vec<_>>())
    });

    view! {
        <div class="space-y-4" data-testid="logs-tab">
            <div class="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
                <div class="flex flex-wrap items-end gap-4">
                    <form class="flex items-end gap-2" data-testid="log-search"
                        on:submit=move |ev| { ev.prevent_default(); q.set(typed.get_untracked()); }>
                        <div>
                            <label for="log-q" class="block text-xs font-medium text-slate-600">"Search"</label>
                            <input id="log-q" type="search" placeholder="text in the line" data-testid="log-q"
                                class="mt-1 w-64 rounded-md border border-slate-300 px-3 py-1.5 text-sm"
                                prop:value=move || typed.get()
                                on:input=move |ev| typed.set(event_target_value(&ev)) />
                        </div>
                        <button type="submit" class="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-50">"Search"</button>
                    </form>
                    <div>
                        <label for="log-deployment" class="block text-xs font-medium text-slate-600">"Deployment"</label>
                        <Transition fallback=|| view! { <select id="log-deployment" class=SELECT disabled=true><option>"all deployments"</option></select> }>
                            {move || Suspend::new(async move {
                                let list = deployments.await.unwrap_or_default();
                                view! {
                                    <select id="log-deployment" data-testid="log-deployment" class=SELECT
                                        on:change=move |ev| deployment.set(event_target_value(&ev).parse().ok())>
                                        <option value="" selected=move || deployment.get().is_none()>"all deployments"</option>
                                        {list.into_iter().map(|d| {
                                            let n = d.id.0;
                                            view! { <option value=n.to_string() selected=move || deployment.get() == Some(n)>{format!("#{n} ({})", d.state.as_str().replace('_', " "))}</option> }
                                        }).collect_view()}
                                    </select>
                                }
                            })}
                        </Transition>
                    </div>
                    <div>
                        <label for="log-window" class="block text-xs font-medium text-slate-600">"Time"</label>
                        <select id="log-window" data-testid="log-window" class=SELECT
                            on:change=move |ev| window.set(TimeWindow::parse(&event_target_value(&ev)))>
                            {TimeWindow::ALL.into_iter().map(|w| view! {
                                <option value=w.value() selected=move || window.get() == w>{w.label()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <label class="flex items-center gap-2 pb-1.5 text-sm">
                        <input type="checkbox" class="h-4 w-4" data-testid="log-follow"
                            prop:checked=move || follow.get()
                            on:change=move |ev| follow.set(event_target_checked(&ev)) />
                        "Follow live"
                        {move || (follow.get() && live.get()).then(|| view! {
                            <span class="rounded-full bg-emerald-50 px-2 py-0.5 text-xs text-emerald-700" data-testid="log-live">"live"</span>
                        })}
                    </label>
                    <a href=download download="" data-testid="log-download" class="ml-auto pb-1.5 text-sm font-medium text-indigo-600 hover:underline">"Download"</a>
                </div>
                <ServicePicker id services picked />
            </div>
            <LogLines lines state filters collected id />
        </div>
    }
}

/// A checkbox per service (none ticked: every service), saying which are not collected.
#[component]
fn ServicePicker(
    id: Memo<String>,
    services: Resource<Result<Vec<crate::model::ServiceView>, AppError>>,
    picked: RwSignal<Vec<String>>,
) -> impl IntoView {
    let toggle = move |name: String, on: bool| {
        picked.update(|p| {
            p.retain(|n| *n != name);
            if on {
                p.push(name);
            }
        });
    };
    view! {
        <Transition fallback=|| view! { <Loading label="Loading services…" /> }>
            {move || Suspend::new(async move {
                match services.await {
                    Ok(list) if list.is_empty() => view! {
                        <p class="mt-3 text-sm text-slate-500">"No services yet: sync with the repository first."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <fieldset class="mt-3 flex flex-wrap items-center gap-x-4 gap-y-1 text-sm" data-testid="log-services">
                            <legend class="sr-only">"Services"</legend>
                            <span class="text-xs font-medium text-slate-600">"Services (none ticked: all)"</span>
                            {list.into_iter().map(|s| {
                                let name = s.name.clone();
                                let checked = name.clone();
                                view! {
                                    <label class="flex items-center gap-1.5" data-log-service=s.name.clone()>
                                        <input type="checkbox" class="h-4 w-4"
                                            prop:checked=move || picked.with(|p| p.contains(&checked))
                                            on:change=move |ev| toggle(name.clone(), event_target_checked(&ev)) />
                                        <span class="font-medium">{s.name.clone()}</span>
                                        {(!s.collect_logs).then(|| view! {
                                            <span class="rounded bg-amber-50 px-1.5 text-xs text-amber-700" data-testid="log-not-collected"
                                                title="Switch “Collect logs” on for this service in the Services tab">"not collected"</span>
                                        })}
                                    </label>
                                }
                            }).collect_view()}
                            <a href=move || format!("/projects/{}/services", id.get()) class="text-xs text-indigo-600 hover:underline">"Collect logs is switched on per service in Services"</a>
                        </fieldset>
                    }.into_any(),
                    Err(e) => view! { <div class="mt-3"><ErrorBanner error=e /></div> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The lines, oldest first, kept scrolled to the newest while the reader is at the bottom.
#[component]
fn LogLines(
    lines: RwSignal<Vec<LogEntry>>,
    state: RwSignal<Lines>,
    filters: Memo<LogFilters>,
    collected: Memo<Option<Vec<String>>>,
    id: Memo<String>,
) -> impl IntoView {
    let pane = NodeRef::<leptos::html::Div>::new();
    let at_bottom = RwSignal::new(true);
    Effect::new(move |_| {
        lines.with(Vec::len);
        if let (Some(pane), true) = (pane.get(), at_bottom.get_untracked()) {
            pane.set_scroll_top(pane.scroll_height());
        }
    });
    let on_scroll = move |_| {
        if let Some(pane) = pane.get_untracked() {
            at_bottom.set(pane.scroll_top() + pane.client_height() >= pane.scroll_height() - 40);
        }
    };
    let empty = move || {
        let services = filters.with(|f| f.services.clone());
        match collected.get() {
            Some(c) if c.is_empty() => view! {
                "No service collects logs. Switch “Collect logs” on for a service in the "
                <a href=format!("/projects/{}/services", id.get()) class="font-medium text-indigo-600 hover:underline">"Services tab"</a>"."
            }.into_any(),
            Some(c) if !services.is_empty() && services.iter().all(|s| !c.contains(s)) => {
                "The services picked do not collect logs (switch “Collect logs” on in the Services tab).".into_any()
            }
            _ if filters.with(LogFilters::narrows) => "No lines match these filters.".into_any(),
            _ => "No lines stored yet: they appear here as the collected services print them.".into_any(),
        }
    };
    view! {
        {move || match state.get() {
            Lines::Failed(e) => Some(view! { <ErrorBanner error=e /> }),
            _ => None,
        }}
        <div class="overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm">
            <div class="flex gap-3 border-b border-slate-200 bg-slate-50 px-3 py-2 text-xs font-semibold uppercase tracking-wide text-slate-500">
                <span class="w-24">"Time (UTC)"</span><span class="w-24">"Service"</span><span class="w-16">"Stream"</span><span>"Line"</span>
                <span class="ml-auto font-normal normal-case" data-testid="log-count">{move || lines.with(|l| match l.len() {
                    0 => String::new(),
                    n => format!("{n} line{} (the newest {FIRST_LINES} first, up to {KEPT_LINES} kept while following; Download has all)", if n == 1 { "" } else { "s" }),
                })}</span>
            </div>
            <div node_ref=pane on:scroll=on_scroll class="max-h-[36rem] overflow-y-auto py-1 font-mono text-xs" data-testid="log-lines">
                <For each=move || lines.get() key=|entry| entry.id let:entry>
                    <LogLine entry />
                </For>
                {move || match (state.get(), lines.with(Vec::is_empty)) {
                    (Lines::Loading, _) => Some(view! { <Loading label="Loading lines…" /> }.into_any()),
                    (Lines::Shown, true) => Some(view! {
                        <p class="p-6 font-sans text-sm text-slate-500" data-testid="log-empty">{empty}</p>
                    }.into_any()),
                    _ => None,
                }}
            </div>
        </div>
    }
}

#[component]
fn LogLine(entry: LogEntry) -> impl IntoView {
    let stderr = entry.stream == LogStream::Stderr;
    let row = if stderr { "bg-red-50 text-red-900" } else { "text-slate-800" };
    let deployment = entry.deployment.map(|d| format!("deployment #{d}, container {}", entry.container));
    view! {
        <div class=format!("flex gap-3 px-3 py-0.5 hover:bg-slate-50 {row}") data-testid="log-line" data-id=entry.id data-stream=entry.stream.as_str()>
            <time class="w-24 shrink-0 text-slate-400" title=full_time(entry.at_ms)>{clock_time(entry.at_ms)}</time>
            <span class="w-24 shrink-0 truncate text-indigo-700" title=deployment data-testid="log-service">{entry.service}</span>
            <span class=if stderr { "w-16 shrink-0 font-semibold text-red-600" } else { "w-16 shrink-0 text-slate-400" }>{entry.stream.as_str()}</span>
            <span class="min-w-0 whitespace-pre-wrap break-all" data-testid="log-text">{entry.text}</span>
        </div>
    }
}
