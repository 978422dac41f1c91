use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::workers::list_workers;
use crate::components::{ErrorBanner, Loading, PageHeader};

#[component]
pub fn WorkersPage() -> impl IntoView {
    let workers = Resource::new(|| (), |_| list_workers());
    view! {
        <Title text="Workers" />
        <PageHeader title="Workers".into() subtitle="Nodes that run your projects' containers".into()>
            {()}
        </PageHeader>
        <Suspense fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match workers.await {
                    Ok(list) => view! {
                        <div class="overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm">
                            <table class="min-w-full divide-y divide-slate-200 text-sm">
                                <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                                    <tr><th class="px-4 py-3">"Worker"</th><th class="px-4 py-3">"State"</th><th class="px-4 py-3">"Version"</th><th class="px-4 py-3">"Last seen"</th></tr>
                                </thead>
                                <tbody class="divide-y divide-slate-100">
                                    {list.into_iter().map(|w| view! {
                                        <tr>
                                            <td class="px-4 py-3 font-medium">{w.name}<span class="ml-2 text-xs text-slate-400">{w.id}</span></td>
                                            <td class="px-4 py-3">
                                                {if w.online {
                                                    view! { <span class="rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-700">"online"</span> }
                                                } else {
                                                    view! { <span class="rounded-full bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-600">"offline"</span> }
                                                }}
                                            </td>
                                            <td class="px-4 py-3 text-slate-600">{w.version.unwrap_or_else(|| "—".into())}</td>
                                            <td class="px-4 py-3 text-slate-600">{w.last_seen.unwrap_or_else(|| "never".into())}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <ErrorBanner error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
