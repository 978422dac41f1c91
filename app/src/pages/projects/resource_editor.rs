//! Adding or editing one resource: the four types and their options, validated as
//! the user types by the same code the server runs.

use leptos::prelude::*;
use nsm_core::domain::{ResourceForm, ResourceType};
use nsm_core::FieldErrors;

use crate::api::domains::SaveResource;

const INPUT: &str = "block w-full rounded-md border border-slate-300 px-3 py-2 text-sm";

#[component]
pub fn ResourceEditor(
    project: Memo<String>,
    domain: i64,
    resource: Option<i64>,
    initial: ResourceForm,
    can_custom: bool,
    save: ServerAction<SaveResource>,
    on_cancel: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let path = RwSignal::new(initial.path.clone());
    let kind = RwSignal::new(initial.kind.clone());
    let spa = RwSignal::new(initial.spa.is_some());
    let cors_origins = RwSignal::new(initial.cors_origins.clone());
    let websocket = RwSignal::new(initial.websocket.is_some());
    let timeout_secs = RwSignal::new(initial.timeout_secs.clone());
    let max_body = RwSignal::new(initial.max_body.clone());
    let target = RwSignal::new(initial.target.clone());
    let body = RwSignal::new(initial.body.clone());
    let current = move || ResourceForm {
        path: path.get(),
        kind: kind.get(),
        spa: spa.get().then(|| "on".to_owned()),
        cors_origins: cors_origins.get(),
        websocket: websocket.get().then(|| "on".to_owned()),
        timeout_secs: timeout_secs.get(),
        max_body: max_body.get(),
        target: target.get(),
        body: body.get(),
    };
    let client = Memo::new(move |_| current().validate().err().unwrap_or_else(FieldErrors::new));
    // The server's verdict holds while the form still holds what was submitted.
    let submitted = RwSignal::new(None::<ResourceForm>);
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Err(_))) {
            submitted.set(Some(untrack(current)));
        }
    });
    let initial = StoredValue::new(initial);
    let error = move |field: &'static str| {
        move || {
            let now = current();
            let changed = initial.with_value(|i| i != &now);
            if changed {
                if let Some(message) = client.with(|e| e.get(field).map(str::to_owned)) {
                    return Some(message);
                }
            }
            let same = submitted.with(|s| s.as_ref() == Some(&now));
            same.then(|| save.value().get().and_then(Result::err)).flatten().and_then(|e| {
                // `Forbidden` and other refusals belong to the whole form, under `kind`.
                e.field(field).or_else(|| (field == "kind" && e.field_errors().is_none()).then(|| e.to_string()))
            })
        }
    };
    let show = move |field: &'static str| {
        let message = error(field);
        move || message().map(|m| view! { <p class="text-sm text-red-600" data-error=field>{m}</p> })
    };
    let types: Vec<ResourceType> = ResourceType::ALL
        .into_iter()
        .filter(|t| *t != ResourceType::Custom || can_custom || kind.get_untracked() == "custom")
        .collect();
    let is = move |t: ResourceType| move || kind.get() == t.as_str();
    let cancel = on_cancel.clone();
    view! {
        <ActionForm action=save attr:class="mt-3 grid gap-4 rounded-lg border border-slate-200 bg-slate-50 p-4 sm:grid-cols-2" attr:data-testid="resource-editor">
            <input type="hidden" name="id" value=project />
            <input type="hidden" name="domain" value=domain.to_string() />
            <input type="hidden" name="resource" value=resource.map(|r| r.to_string()).unwrap_or_default() />
            <div class="space-y-1">
                <label for=format!("path-{domain}") class="block text-sm font-medium">"Path"</label>
                <input id=format!("path-{domain}") name="path" class=format!("{INPUT} font-mono") placeholder="/ or /api"
                    prop:value=path on:input=move |ev| path.set(event_target_value(&ev)) />
                {show("path")}
            </div>
            <div class="space-y-1">
                <label for=format!("kind-{domain}") class="block text-sm font-medium">"Type"</label>
                <select id=format!("kind-{domain}") name="kind" class=format!("{INPUT} bg-white") on:change=move |ev| kind.set(event_target_value(&ev))>
                    {types.into_iter().map(|t| view! { <option value=t.as_str() selected=move || kind.get() == t.as_str()>{t.label()}</option> }).collect_view()}
                </select>
                {show("kind")}
            </div>
            <Show when=is(ResourceType::Static)>
                <label class="flex items-center gap-2 text-sm sm:col-span-2">
                    <input type="checkbox" name="spa" value="on" prop:checked=spa on:change=move |ev| spa.set(event_target_checked(&ev)) />
                    "Single-page app: unknown paths serve this resource's index.html"
                </label>
                <div class="space-y-1 sm:col-span-2">
                    <label for=format!("cors-{domain}") class="block text-sm font-medium">"CORS origins"</label>
                    <textarea id=format!("cors-{domain}") name="cors_origins" rows="2" class=format!("{INPUT} font-mono")
                        placeholder="https://app.example.com (one per line), or *" prop:value=cors_origins
                        on:input=move |ev| cors_origins.set(event_target_value(&ev))></textarea>
                    <p class="text-xs text-slate-500">"Empty: no CORS headers. Files come from the resource's Directory (a Directory variable points the app at it)."</p>
                    {show("cors_origins")}
                </div>
            </Show>
            <Show when=is(ResourceType::Api)>
                <label class="flex items-center gap-2 text-sm sm:col-span-2">
                    <input type="checkbox" name="websocket" value="on" prop:checked=websocket on:change=move |ev| websocket.set(event_target_checked(&ev)) />
                    "WebSocket upgrade"
                </label>
                <div class="space-y-1">
                    <label for=format!("timeout-{domain}") class="block text-sm font-medium">"Timeout (seconds)"</label>
                    <input id=format!("timeout-{domain}") name="timeout_secs" class=INPUT placeholder="60" inputmode="numeric"
                        prop:value=timeout_secs on:input=move |ev| timeout_secs.set(event_target_value(&ev)) />
                    {show("timeout_secs")}
                </div>
                <div class="space-y-1">
                    <label for=format!("max-body-{domain}") class="block text-sm font-medium">"Max body size"</label>
                    <input id=format!("max-body-{domain}") name="max_body" class=INPUT placeholder="10m"
                        prop:value=max_body on:input=move |ev| max_body.set(event_target_value(&ev)) />
                    {show("max_body")}
                </div>
                <p class="text-xs text-slate-500 sm:col-span-2">"Proxied to the resource's Port on the project's worker: give a Port variable to the service that listens."</p>
            </Show>
            <Show when=is(ResourceType::Redirect)>
                <div class="space-y-1 sm:col-span-2">
                    <label for=format!("target-{domain}") class="block text-sm font-medium">"Target URL (302)"</label>
                    <input id=format!("target-{domain}") name="target" class=format!("{INPUT} font-mono") placeholder="https://example.com/page"
                        prop:value=target on:input=move |ev| target.set(event_target_value(&ev)) />
                    {show("target")}
                </div>
            </Show>
            <Show when=is(ResourceType::Custom)>
                <div class="space-y-1 sm:col-span-2">
                    <label for=format!("body-{domain}") class="block text-sm font-medium">"location body (nginx)"</label>
                    <textarea id=format!("body-{domain}") name="body" rows="5" class=format!("{INPUT} font-mono")
                        placeholder="return 200 \"hello\";" prop:value=body on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                    <p class="text-xs text-slate-500">"Admins only. Placed in location <path> { … }: directives that act within the location (proxy_pass to a network address, headers, return, rewrite, access rules, caching, limits); files, logs, includes, TLS and sockets of the node are refused. nginx -t judges the rest before every deployment."</p>
                    {show("body")}
                </div>
            </Show>
            <div class="flex justify-end gap-2 sm:col-span-2">
                <button type="button" class="rounded-md border border-slate-300 px-4 py-2 text-sm" on:click=move |_| cancel()>"Cancel"</button>
                <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500"
                    data-testid="save-resource">"Save resource"</button>
            </div>
        </ActionForm>
    }
}
