//! The Domains tab: a project's domains, each with its ordered resources and its
//! certificate, and a preview of the nginx file rendered by the same code the server
//! installs.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use nsm_core::access::Permission;
use nsm_core::certificate::CertificateStatus;
use nsm_core::domain::{DomainForm, ResourceForm, ResourceType};
use nsm_core::edge::EdgeMode;

use super::domain_hsts::HstsSwitch;
use super::resource_editor::ResourceEditor;
use crate::api::domains::{
    list_domains, AddDomain, DeleteResource, MoveResource, RemoveDomain, RequestCertificate, SaveResource,
    SetDomainHsts,
};
use crate::components::{Allowed, ErrorBanner, Loading};
use crate::model::{CertificateView, DomainView, DomainsView, ResourceView};

const BUTTON: &str = "rounded-md border border-slate-300 px-2.5 py-1 text-xs font-medium hover:bg-slate-50";
const DANGER: &str = "rounded-md border border-red-200 px-2.5 py-1 text-xs font-medium text-red-700 hover:bg-red-50";

/// What the tab's buttons and forms post through; every one refreshes the list.
#[derive(Clone, Copy)]
struct Actions {
    project: Memo<String>,
    remove_domain: ServerAction<RemoveDomain>,
    save: ServerAction<SaveResource>,
    delete: ServerAction<DeleteResource>,
    shift: ServerAction<MoveResource>,
    certificate: ServerAction<RequestCertificate>,
    hsts: ServerAction<SetDomainHsts>,
    /// The open editor: (domain, resource being edited or `None` for a new one).
    editing: RwSignal<Option<(i64, Option<i64>)>>,
}

#[component]
pub fn DomainsTab() -> impl IntoView {
    let params = use_params_map();
    let project = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let add = ServerAction::<AddDomain>::new();
    let actions = Actions {
        project,
        remove_domain: ServerAction::new(),
        save: ServerAction::new(),
        delete: ServerAction::new(),
        shift: ServerAction::new(),
        certificate: ServerAction::new(),
        hsts: ServerAction::new(),
        editing: RwSignal::new(None),
    };
    // A refused save changed nothing saved: refetching would re-render the list and
    // recreate the open editor empty, losing what was typed and the server's reasons.
    let saved = RwSignal::new(0_u64);
    let versions = move || {
        (
            add.version().get(),
            actions.remove_domain.version().get(),
            saved.get(),
            actions.delete.version().get(),
            actions.shift.version().get(),
            actions.certificate.version().get(),
            actions.hsts.version().get(),
        )
    };
    let domains = Resource::new(move || (project.get(), versions()), |(id, _)| list_domains(id));
    // A saved resource closes its editor and refreshes the list.
    Effect::new(move |_| {
        if matches!(actions.save.value().get(), Some(Ok(()))) {
            actions.editing.set(None);
            saved.update(|n| *n += 1);
        }
    });
    let failures = move || {
        [
            actions.remove_domain.value().get().and_then(Result::err),
            actions.delete.value().get().and_then(Result::err),
            actions.shift.value().get().and_then(Result::err),
            actions.certificate.value().get().and_then(Result::err),
            actions.hsts.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .next()
    };
    view! {
        {move || failures().map(|e| view! { <div class="mb-4" data-testid="domains-error"><ErrorBanner error=e /></div> })}
        {move || actions.certificate.value().get().and_then(Result::ok).map(|m| view! {
            <p class="mb-4 rounded-md bg-green-50 px-4 py-2 text-sm text-green-800" data-testid="certificate-result">{format!("Certificate {m}")}</p>
        })}
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match domains.await {
                    Ok(view) => view! { <DomainList view actions /> }.into_any(),
                    Err(e) => view! { <ErrorBanner error=e /> }.into_any(),
                }
            })}
        </Transition>
        <Allowed permission=Permission::Edit>
            <AddDomainForm project add />
        </Allowed>
    }
}

#[component]
fn DomainList(view: DomainsView, actions: Actions) -> impl IntoView {
    let node = view.node.clone();
    let dns = match (&view.node_address, &view.fronted_by) {
        (Some(address), _) => format!("Point each domain's DNS at {address}."),
        (None, Some(front)) => {
            format!("Set worker {front}'s public address on the Workers page to see where to point DNS.")
        }
        (None, None) => "Set its public address on the Workers page to see where to point DNS.".to_owned(),
    };
    // A fronted node's address is private: what users see is its front's.
    let front = view.fronted_by.clone();
    let address = if front.is_some() { None } else { view.node_address.clone() };
    let note = match (view.edge, view.published) {
        (EdgeMode::Off, _) => {
            format!("The edge of worker {node} is off (or it never connected): domains are kept but not served.")
        }
        (_, true) => {
            "Published. Resource and HSTS changes apply at the next deployment; removing a domain applies at once."
                .to_owned()
        }
        (_, false) => {
            "Not published yet: the next successful deployment checks the configuration with nginx -t and publishes it."
                .to_owned()
        }
    };
    let preview = view.preview.clone();
    let (can_custom, can_edit, https_port, published) =
        (view.can_custom, view.can_edit, view.https_port, view.published);
    view! {
        <p class="mb-1 text-sm text-slate-700" data-testid="serving-node">
            "Served by worker " <span class="font-mono font-medium">{view.node.clone()}</span>
            {address.map(|a| view! { " at " <span class="font-mono font-medium">{a}</span> })}
            {front.map(|f| view! {
                ", fronted by worker " <span class="font-mono font-medium">{f}</span>
                {view.node_address.clone().map(|a| view! { " at " <span class="font-mono font-medium">{a}</span> })}
                " (TLS passed through; the key stays on " {node.clone()} ")"
            })}
            ". " {dns}
        </p>
        <p class="mb-4 text-sm text-slate-500" data-testid="edge-status">{note}</p>
        {if view.domains.is_empty() {
            view! {
                <div class="rounded-xl border border-dashed border-slate-300 bg-white p-8 text-sm text-slate-500" data-testid="no-domains">
                    "No domains yet. Add the hostname this project answers to below, then its resources."
                </div>
            }.into_any()
        } else {
            view! {
                <div class="space-y-6">
                    {view.domains.into_iter().map(|domain| view! { <DomainCard domain actions can_custom can_edit https_port published /> }).collect_view()}
                </div>
            }.into_any()
        }}
        {preview.map(|input| {
            let text = nsm_core::edge::render_nginx(&input).unwrap_or_else(|e| format!("# Cannot render: {e}"));
            view! {
                <details class="mt-6 rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
                    <summary class="cursor-pointer text-sm font-medium">"nginx configuration preview"</summary>
                    <pre class="mt-3 overflow-x-auto rounded bg-slate-900 p-3 text-xs text-slate-100" data-testid="nginx-preview">{text}</pre>
                </details>
            }
        })}
    }
}

#[component]
fn DomainCard(
    domain: DomainView,
    actions: Actions,
    can_custom: bool,
    can_edit: bool,
    https_port: u16,
    published: bool,
) -> impl IntoView {
    let domain_id = domain.id.get();
    let hostname = domain.hostname.clone();
    let port = if https_port == 443 { String::new() } else { format!(":{https_port}") };
    let url = (published && !hostname.starts_with('*')).then(|| format!("https://{hostname}{port}/"));
    let count = domain.resources.len();
    let editing_new = move || actions.editing.get() == Some((domain_id, None));
    view! {
        <section class="rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="domain" data-hostname=hostname.clone()>
            <header class="flex flex-wrap items-start justify-between gap-3 border-b border-slate-100 px-4 py-3">
                <div class="min-w-0">
                    <h2 class="font-mono text-base font-semibold">{hostname.clone()}</h2>
                    {url.map(|u| view! { <a class="text-xs text-indigo-600 hover:underline" href=u.clone() target="_blank" rel="noopener">{u.clone()}</a> })}
                    <CertificateBadge certificate=domain.certificate.clone() />
                    <HstsSwitch project=actions.project domain=domain_id on=domain.hsts certificate=domain.certificate.status
                        can_edit action=actions.hsts />
                </div>
                {can_edit.then(|| view! {
                <div class="flex gap-2">
                    <ActionForm action=actions.certificate>
                        <input type="hidden" name="id" value=actions.project />
                        <input type="hidden" name="domain" value=domain_id.to_string() />
                        <button type="submit" class=BUTTON data-testid="request-certificate">"Request certificate"</button>
                    </ActionForm>
                    <ActionForm action=actions.remove_domain>
                        <input type="hidden" name="id" value=actions.project />
                        <input type="hidden" name="domain" value=domain_id.to_string() />
                        <button type="submit" class=DANGER data-testid="remove-domain">"Remove domain"</button>
                    </ActionForm>
                </div>
                })}
            </header>
            <ol class="divide-y divide-slate-100" data-testid="resources">
                {domain.resources.into_iter().enumerate().map(|(i, r)| view! {
                    <ResourceRow resource=r domain=domain_id actions can_custom can_edit first={i == 0} last={i + 1 == count} />
                }).collect_view()}
            </ol>
            <div class="px-4 py-3" class:hidden=!can_edit>
                <Show when=editing_new fallback=move || view! {
                    <button type="button" class=BUTTON data-testid="add-resource" on:click=move |_| actions.editing.set(Some((domain_id, None)))>"Add resource"</button>
                }>
                    <ResourceEditor project=actions.project domain=domain_id resource=None initial=ResourceForm { kind: "static".into(), ..ResourceForm::default() }
                        can_custom save=actions.save on_cancel=move || actions.editing.set(None) />
                </Show>
            </div>
        </section>
    }
}

#[component]
fn ResourceRow(
    resource: ResourceView,
    domain: i64,
    actions: Actions,
    can_custom: bool,
    can_edit: bool,
    first: bool,
    last: bool,
) -> impl IntoView {
    let id = resource.id.get();
    let label = resource.kind.label();
    let editable = can_edit && (can_custom || resource.kind != ResourceType::Custom);
    let editing = move || actions.editing.get() == Some((domain, Some(id)));
    let form = StoredValue::new(resource.form.clone());
    let shift = move |direction: &'static str, disabled: bool| {
        view! {
            <ActionForm action=actions.shift>
                <input type="hidden" name="id" value=actions.project />
                <input type="hidden" name="resource" value=id.to_string() />
                <input type="hidden" name="direction" value=direction />
                <button type="submit" class=BUTTON disabled=disabled || !editable title=format!("Move {direction}")
                    data-testid=format!("move-{direction}")>{if direction == "up" { "↑" } else { "↓" }}</button>
            </ActionForm>
        }
    };
    view! {
        <li class="px-4 py-3" data-testid="resource" data-path=resource.path.clone() data-kind=resource.kind.as_str()>
            <div class="flex flex-wrap items-center justify-between gap-3">
                <div class="min-w-0">
                    <p class="font-mono text-sm font-medium">{resource.path.clone()}
                        <span class="ml-2 rounded bg-slate-100 px-1.5 font-sans text-xs text-slate-600">{label}</span>
                    </p>
                    <p class="truncate text-sm text-slate-500">{resource.summary.clone()}</p>
                </div>
                <div class="flex gap-2">
                    {shift("up", first)}
                    {shift("down", last)}
                    <button type="button" class=BUTTON disabled=!editable data-testid="edit-resource"
                        on:click=move |_| actions.editing.set(Some((domain, Some(id))))>"Edit"</button>
                    <ActionForm action=actions.delete>
                        <input type="hidden" name="id" value=actions.project />
                        <input type="hidden" name="resource" value=id.to_string() />
                        <button type="submit" class=DANGER disabled=!editable data-testid="delete-resource">"Remove"</button>
                    </ActionForm>
                </div>
            </div>
            <Show when=editing>
                <ResourceEditor project=actions.project domain resource=Some(id) initial=form.get_value()
                    can_custom save=actions.save on_cancel=move || actions.editing.set(None) />
            </Show>
        </li>
    }
}

#[component]
fn CertificateBadge(certificate: CertificateView) -> impl IntoView {
    let (label, class) = match certificate.status {
        CertificateStatus::Valid => ("Certificate valid", "bg-green-100 text-green-800"),
        CertificateStatus::Expiring => ("Renewal due", "bg-amber-100 text-amber-800"),
        CertificateStatus::Expired => ("Certificate expired", "bg-red-100 text-red-800"),
        CertificateStatus::SelfSigned => ("Self-signed placeholder", "bg-slate-100 text-slate-700"),
        CertificateStatus::None => ("No certificate yet", "bg-slate-100 text-slate-500"),
    };
    let expiry = certificate.not_after.clone().map(|t| t.chars().take(10).collect::<String>());
    let details = match (&certificate.issuer, expiry) {
        (Some(issuer), Some(until)) if certificate.status != CertificateStatus::SelfSigned => {
            format!("{issuer}, until {until}")
        }
        _ => String::new(),
    };
    view! {
        <div class="mt-1 flex flex-wrap items-center gap-2 text-xs" data-testid="certificate" data-status=certificate.status.as_str()>
            <span class=format!("rounded px-1.5 py-0.5 font-medium {class}") data-testid="certificate-status">{label}</span>
            <span class="text-slate-500" data-testid="certificate-issuer">{details}</span>
            {certificate.last_error.clone().map(|e| view! {
                <span class="text-red-600" role="alert" data-testid="certificate-error">{format!("Last attempt failed: {e}")}</span>
            })}
        </div>
    }
}

#[component]
fn AddDomainForm(project: Memo<String>, add: ServerAction<AddDomain>) -> impl IntoView {
    let hostname = RwSignal::new(String::new());
    let client = Memo::new(move |_| DomainForm { hostname: hostname.get() }.validate().err());
    let submitted = RwSignal::new(String::new());
    Effect::new(move |_| match add.value().get() {
        Some(Ok(())) => hostname.set(String::new()),
        Some(Err(_)) => submitted.set(hostname.get_untracked()),
        None => {}
    });
    let error = move || {
        let current = hostname.get();
        if !current.is_empty() {
            if let Some(message) = client.get().and_then(|e| e.get("hostname").map(str::to_owned)) {
                return Some(message);
            }
        }
        (submitted.get() == current)
            .then(|| add.value().get().and_then(Result::err).and_then(|e| e.field("hostname")))
            .flatten()
    };
    let input = "block w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-sm";
    view! {
        <section class="mt-8 rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
            <h2 class="text-base font-semibold">"Add a domain"</h2>
            <ActionForm action=add attr:class="mt-4 flex flex-wrap items-start gap-3" attr:data-testid="add-domain">
                <input type="hidden" name="id" value=project />
                <div class="min-w-64 flex-1 space-y-1">
                    <label for="domain-hostname" class="sr-only">"Hostname"</label>
                    <input id="domain-hostname" name="hostname" class=input placeholder="shop.example.com or *.example.com"
                        prop:value=hostname on:input=move |ev| hostname.set(event_target_value(&ev)) />
                    {move || error().map(|m| view! { <p class="text-sm text-red-600" data-error="hostname">{m}</p> })}
                    <p class="text-xs text-slate-500">"Point its DNS at this server; a hostname belongs to one project only."</p>
                </div>
                <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500">"Add domain"</button>
            </ActionForm>
            {move || add.value().get().and_then(Result::err).filter(|e| e.field_errors().is_none()).map(|e| view! { <div class="mt-3"><ErrorBanner error=e /></div> })}
        </section>
    }
}
