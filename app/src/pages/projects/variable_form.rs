//! The quick "Add or replace a variable" form under the Environment editor (one
//! variable, saved at once), as the tab had it before the editor.

use leptos::prelude::*;
use nsm_core::variables::{VariableForm, REFERENCE_KINDS};

use crate::api::variables::SaveVariable;
use crate::model::{ReferenceTarget, TargetKind};

/// Which targets a reference kind may point at.
/// `kind` is the reference kind as the form names it (`REFERENCE_KINDS`).
fn accepts(kind: &str, target: &ReferenceTarget) -> bool {
    match kind {
        "domain" => target.kind == TargetKind::Domain,
        "url" | "path" => target.kind != TargetKind::Domain,
        "directory" => target.kind == TargetKind::Static,
        "port" => target.kind == TargetKind::Api,
        "target" => target.kind == TargetKind::Redirect,
        _ => false,
    }
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "plain" => "Value (secret)",
        "worker_node_id" => "Worker node id",
        "volume" => "Volume path",
        "domain" => "Domain of…",
        "url" => "URL of…",
        "path" => "Path of…",
        "directory" => "Directory of static page…",
        "port" => "Port of API service…",
        "target" => "Target of redirect…",
        _ => "Unknown",
    }
}

#[component]
pub fn VariableEditor(
    project: Memo<String>,
    save: ServerAction<SaveVariable>,
    targets: Resource<Result<Vec<ReferenceTarget>, crate::error::AppError>>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new("plain".to_owned());
    let value = RwSignal::new(String::new());
    let target_id = RwSignal::new(String::new());
    let client = Memo::new(move |_| {
        VariableForm { name: name.get(), kind: kind.get(), value: value.get(), target_id: target_id.get() }
            .validate()
            .err()
    });
    let error_for = move |field: &'static str| {
        move || {
            let typed = !name.get().is_empty();
            typed
                .then(|| client.get().and_then(|e| e.get(field).map(str::to_owned)))
                .flatten()
                .or_else(|| save.value().get().and_then(Result::err).and_then(|e| e.field(field)))
        }
    };
    let needs_target = move || !matches!(kind.get().as_str(), "plain" | "worker_node_id" | "volume");
    let input = "block w-full rounded-md border border-slate-300 px-3 py-2 text-sm";
    view! {
        <section class="mt-8 rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
            <h2 class="text-base font-semibold">"Add or replace a variable"</h2>
            <ActionForm action=save attr:class="mt-4 grid gap-4 sm:grid-cols-2">
                <input type="hidden" name="id" value=project />
                <input type="hidden" name="original" value="" />
                <div class="space-y-1">
                    <label for="var-name" class="block text-sm font-medium">"Name"</label>
                    <input id="var-name" name="name" class=input prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) placeholder="DATABASE_URL" />
                    {move || error_for("name")().map(|m| view! { <p class="text-sm text-red-600" data-error="name">{m}</p> })}
                </div>
                <div class="space-y-1">
                    <label for="var-kind" class="block text-sm font-medium">"Type"</label>
                    <select id="var-kind" name="kind" class=format!("{input} bg-white") on:change=move |ev| { kind.set(event_target_value(&ev)); target_id.set(String::new()); }>
                        {std::iter::once("plain").chain(REFERENCE_KINDS).map(|k| view! { <option value=k selected=move || kind.get() == k>{kind_label(k)}</option> }).collect_view()}
                    </select>
                </div>
                <Show when=move || kind.get() == "plain">
                    <div class="space-y-1 sm:col-span-2">
                        <label for="var-value" class="block text-sm font-medium">"Value"</label>
                        <textarea id="var-value" name="value" rows="2" class=format!("{input} font-mono") prop:value=value on:input=move |ev| value.set(event_target_value(&ev))></textarea>
                        <p class="text-xs text-slate-500">"Stored encrypted; written to .env exactly as typed (quotes, $, # and newlines included)."</p>
                        {move || error_for("value")().map(|m| view! { <p class="text-sm text-red-600" data-error="value">{m}</p> })}
                    </div>
                </Show>
                <Show when=needs_target>
                    <div class="space-y-1 sm:col-span-2">
                        <label for="var-target" class="block text-sm font-medium">"Points at"</label>
                        <select id="var-target" name="target_id" class=format!("{input} bg-white") on:change=move |ev| target_id.set(event_target_value(&ev))>
                            <option value="">"Choose…"</option>
                            <Transition fallback=|| ()>
                                {move || Suspend::new(async move {
                                    let all = targets.await.unwrap_or_default();
                                    let k = kind.get();
                                    all.into_iter().filter(|t| accepts(&k, t)).map(|t| view! { <option value=t.id.to_string()>{t.label}</option> }).collect_view()
                                })}
                            </Transition>
                        </select>
                        <p class="text-xs text-slate-500">"Domains and resources are managed on the Domains tab."</p>
                        {move || error_for("target_id")().map(|m| view! { <p class="text-sm text-red-600" data-error="target_id">{m}</p> })}
                    </div>
                </Show>
                <div class="sm:col-span-2 flex justify-end">
                    <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500">"Save variable"</button>
                </div>
            </ActionForm>
        </section>
    }
}
