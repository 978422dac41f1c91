use leptos::prelude::*;
use leptos_meta::Title;

use nsm_core::worker_policy::Allowance;

use crate::api::workers::{
    get_worker_policy, list_workers, AddWorker, RemoveWorker, RotateWorkerToken, SetWorkerAddress, SetWorkerFront,
    SetWorkerPolicy,
};
use crate::components::{use_live, ErrorBanner, Field, Loading, PageHeader};
use crate::error::AppError;
use crate::model::{IssuedToken, WorkerSummary};

#[component]
pub fn WorkersPage() -> impl IntoView {
    let add = ServerAction::<AddWorker>::new();
    let rotate = ServerAction::<RotateWorkerToken>::new();
    let remove = ServerAction::<RemoveWorker>::new();
    let address = ServerAction::<SetWorkerAddress>::new();
    let front = ServerAction::<SetWorkerFront>::new();
    let policy = ServerAction::<SetWorkerPolicy>::new();
    let tick = use_live(|event| matches!(event, nsm_core::events::LiveEvent::Worker { .. }));
    let workers = Resource::new(
        move || {
            let versions = (add.version().get(), rotate.version().get(), remove.version().get());
            (tick.get(), versions, address.version().get(), front.version().get())
        },
        |_| list_workers(),
    );
    // The most recent token issued, shown once.
    let issued = Memo::new(move |_| {
        rotate.value().get().and_then(Result::ok).or_else(|| add.value().get().and_then(Result::ok))
    });
    view! {
        <Title text="Workers" />
        <PageHeader title="Workers".into() subtitle="Nodes that run your projects' containers".into() />
        {move || issued.get().map(|t| view! { <TokenNotice token=t /> })}
        {move || remove.value().get().and_then(Result::err).map(|e| view! { <div class="mb-4"><ErrorBanner error=e /></div> })}
        {move || rotate.value().get().and_then(Result::err).map(|e| view! { <div class="mb-4"><ErrorBanner error=e /></div> })}
        {move || address.value().get().and_then(Result::err).map(|e| {
            // A refused address says why in the field's own words.
            let text = match &e {
                AppError::Invalid(errors) => errors.0.get("address").cloned().unwrap_or_else(|| e.to_string()),
                other => other.to_string(),
            };
            view! { <div class="mb-4 rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800" role="alert" data-testid="address-error">{text}</div> }
        })}
        {move || front.value().get().and_then(Result::err).map(|e| {
            let text = match &e {
                AppError::Invalid(errors) => errors.0.get("front").cloned().unwrap_or_else(|| e.to_string()),
                other => other.to_string(),
            };
            view! { <div class="mb-4 rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800" role="alert" data-testid="front-error">{text}</div> }
        })}
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match workers.await {
                    Ok(list) => {
                        let ids: Vec<(String, String)> = list.iter().map(|w| (w.id.clone(), w.name.clone())).collect();
                        view! { <WorkerTable list rotate remove address front /> <Policies ids policy /> }.into_any()
                    }
                    Err(e) => view! { <ErrorBanner error=e /> }.into_any(),
                }
            })}
        </Transition>
        <AddWorkerForm add />
    }
}

#[component]
fn WorkerTable(
    list: Vec<WorkerSummary>,
    rotate: ServerAction<RotateWorkerToken>,
    remove: ServerAction<RemoveWorker>,
    address: ServerAction<SetWorkerAddress>,
    front: ServerAction<SetWorkerFront>,
) -> impl IntoView {
    // Nodes that can front others: public, with an edge that passes TLS through.
    let fronts: Vec<String> =
        list.iter().filter(|w| w.can_front && w.fronted_by.is_none()).map(|w| w.id.clone()).collect();
    view! {
        <div class="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
            <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="worker-table">
                <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                    <tr>
                        <th class="px-4 py-3">"Worker"</th>
                        <th class="px-4 py-3">"State"</th>
                        <th class="px-4 py-3">"Version"</th>
                        <th class="px-4 py-3">"Edge"</th>
                        <th class="px-4 py-3">"Address"</th>
                        <th class="px-4 py-3">"Reached"</th>
                        <th class="px-4 py-3">"Last seen"</th>
                        <th class="px-4 py-3"></th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {list.into_iter().map(|w| {
                        let id = w.id.clone();
                        let id2 = w.id.clone();
                        let row_id = w.id.clone();
                        let id3 = w.id.clone();
                        let current = w.public_address.clone().unwrap_or_default();
                        let id4 = w.id.clone();
                        let reach = match &w.fronted_by {
                            Some(f) => format!("fronted by {f}"),
                            None => "public".to_owned(),
                        };
                        let chosen = w.fronted_by.clone().unwrap_or_default();
                        let mut options: Vec<String> = fronts.iter().filter(|f| **f != w.id).cloned().collect();
                        if !chosen.is_empty() && !options.contains(&chosen) {
                            options.push(chosen.clone());
                        }
                        view! {
                            <tr data-worker=row_id>
                                <td class="px-4 py-3 font-medium">{w.name}<span class="ml-2 text-xs text-slate-400">{w.id}</span></td>
                                <td class="px-4 py-3">
                                    {if w.online {
                                        view! { <span class="rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-700" data-state="online">"online"</span> }
                                    } else {
                                        view! { <span class="rounded-full bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-600" data-state="offline">"offline"</span> }
                                    }}
                                </td>
                                <td class="px-4 py-3 text-slate-600">{w.version.unwrap_or_else(|| "—".into())}</td>
                                <td class="px-4 py-3 text-slate-600" data-testid="worker-edge">{w.edge.unwrap_or_else(|| "unknown until it connects".into())}</td>
                                <td class="px-4 py-3">
                                    <ActionForm action=address attr:class="flex gap-2" attr:data-testid="worker-address">
                                        <input type="hidden" name="id" value=id3 />
                                        <input name="address" value=current placeholder="203.0.113.7 or edge-1.example.com" aria-label="Public address" class="w-44 rounded-md border border-slate-300 px-2 py-1 text-xs" />
                                        <button type="submit" class="rounded-md border border-slate-300 px-3 py-1 text-xs font-medium text-slate-700 hover:bg-slate-50">"Save"</button>
                                    </ActionForm>
                                </td>
                                <td class="px-4 py-3">
                                    <p class="mb-1 text-xs text-slate-600" data-testid="worker-reach">{reach}</p>
                                    <ActionForm action=front attr:class="flex gap-2" attr:data-testid="worker-front">
                                        <input type="hidden" name="id" value=id4 />
                                        <select name="front" aria-label="Fronted by" class="rounded-md border border-slate-300 px-2 py-1 text-xs">
                                            <option value="" selected=chosen.is_empty()>"public (own address)"</option>
                                            {options.into_iter().map(|f| {
                                                let selected = f == chosen;
                                                view! { <option value=f.clone() selected=selected>{format!("fronted by {f}")}</option> }
                                            }).collect_view()}
                                        </select>
                                        <button type="submit" class="rounded-md border border-slate-300 px-3 py-1 text-xs font-medium text-slate-700 hover:bg-slate-50">"Save"</button>
                                    </ActionForm>
                                </td>
                                <td class="px-4 py-3 text-slate-600">{w.last_seen.unwrap_or_else(|| "never".into())}</td>
                                <td class="px-4 py-3 text-right">
                                    <div class="flex justify-end gap-2">
                                        <ActionForm action=rotate>
                                            <input type="hidden" name="id" value=id />
                                            <button type="submit" class="rounded-md border border-slate-300 px-3 py-1 text-xs font-medium text-slate-700 hover:bg-slate-50">"Rotate token"</button>
                                        </ActionForm>
                                        <ActionForm action=remove>
                                            <input type="hidden" name="id" value=id2 />
                                            <button type="submit" class="rounded-md border border-red-200 px-3 py-1 text-xs font-medium text-red-700 hover:bg-red-50">"Remove"</button>
                                        </ActionForm>
                                    </div>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// One policy editor per worker: a checkbox per allowance (none by default).
#[component]
fn Policies(ids: Vec<(String, String)>, policy: ServerAction<SetWorkerPolicy>) -> impl IntoView {
    view! {
        <section class="mt-8 rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
            <h2 class="text-base font-semibold">"Worker policies"</h2>
            <p class="mt-1 text-sm text-slate-500">
                "Whoever can deploy a project can run containers on its worker. By default a worker refuses "
                "compose files that would hand a container the node itself; an administrator can allow each "
                "for a worker. Checked when a deployment is prepared, before anything running is touched."
            </p>
            {move || policy.value().get().and_then(Result::err).map(|e| view! { <div class="mt-4" data-testid="policy-error"><ErrorBanner error=e /></div> })}
            <div class="mt-4 grid gap-4 lg:grid-cols-2">
                {ids.into_iter().map(|(id, name)| view! { <PolicyEditor id name policy /> }).collect_view()}
            </div>
        </section>
    }
}

#[component]
fn PolicyEditor(id: String, name: String, policy: ServerAction<SetWorkerPolicy>) -> impl IntoView {
    let fetch_id = id.clone();
    let current = Resource::new(move || policy.version().get(), move |_| get_worker_policy(fetch_id.clone()));
    let form_id = id.clone();
    let box_id = id.clone();
    view! {
        <div class="rounded-lg border border-slate-200 p-4" data-testid="worker-policy" data-policy-of=box_id>
            <h3 class="text-sm font-semibold">{name}<span class="ml-2 text-xs text-slate-400">{id}</span></h3>
            <Transition fallback=|| view! { <Loading /> }>
                {move || {
                    let form_id = form_id.clone();
                    Suspend::new(async move {
                        match current.await {
                            Ok(granted) => view! {
                                <ActionForm action=policy attr:class="mt-3 space-y-2">
                                    <input type="hidden" name="id" value=form_id />
                                    {Allowance::ALL.iter().map(|allowance| view! {
                                        <label class="flex items-start gap-2 text-sm">
                                            <input type="checkbox" name=allowance.as_str() value="on" checked=granted.allows(*allowance) data-allowance=allowance.as_str() class="mt-0.5 h-4 w-4" />
                                            <span>"Allow "{allowance.label()}<span class="block text-xs text-slate-500">{allowance.settings()}</span></span>
                                        </label>
                                    }).collect_view()}
                                    <button type="submit" class="rounded-md border border-slate-300 px-3 py-1 text-xs font-medium text-slate-700 hover:bg-slate-50">"Save policy"</button>
                                </ActionForm>
                            }.into_any(),
                            Err(e) => view! { <ErrorBanner error=e /> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </div>
    }
}

#[component]
fn TokenNotice(token: IssuedToken) -> impl IntoView {
    let command = format!(
        "nsm-worker --server ws://<this-server>:3000 --id {} --token-file /etc/nsm/worker.token --data-dir /var/lib/nsm-worker",
        token.worker
    );
    view! {
        <div class="mb-6 rounded-xl border border-amber-200 bg-amber-50 p-5 text-sm" role="status">
            <p class="font-semibold text-amber-900">"Token for worker "{token.worker.clone()}" — shown once"</p>
            <p class="mt-1 text-amber-800">"Store it in the worker's token file now; NSM keeps only its hash."</p>
            <code class="mt-3 block break-all rounded bg-white px-3 py-2 font-mono text-xs text-slate-900" data-testid="issued-token">{token.token}</code>
            <p class="mt-3 text-amber-800">"Then start the worker on its machine:"</p>
            <code class="mt-1 block break-all rounded bg-white px-3 py-2 font-mono text-xs text-slate-700">{command}</code>
        </div>
    }
}

#[component]
fn AddWorkerForm(add: ServerAction<AddWorker>) -> impl IntoView {
    let id = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let id_error = Signal::derive(move || {
        let value = id.get();
        if value.is_empty() {
            add.value().get().and_then(Result::err).and_then(|e| e.field("id"))
        } else {
            nsm_core::WorkerId::parse(&value)
                .err()
                .map(|e| e.0)
                .or_else(|| add.value().get().and_then(Result::err).and_then(|e| e.field("id")))
        }
    });
    view! {
        <section class="mt-8 rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
            <h2 class="text-base font-semibold">"Add a worker"</h2>
            <p class="mt-1 text-sm text-slate-500">"A worker is one machine with Docker; it dials this server, so it needs no inbound route."</p>
            <ActionForm action=add attr:class="mt-4 grid gap-4 sm:grid-cols-3 sm:items-end">
                <Field name="id" label="Worker id" value=id error=id_error placeholder="edge-1" />
                <Field name="name" label="Name" value=name error=Signal::derive(|| None::<String>) placeholder="Edge server 1" />
                <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500">"Add worker"</button>
            </ActionForm>
        </section>
    }
}
