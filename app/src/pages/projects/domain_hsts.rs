//! A domain's HSTS switch on the Domains tab, with what it does.

use leptos::prelude::*;
use nsm_core::certificate::CertificateStatus;

use crate::api::domains::SetDomainHsts;

const SWITCH: &str = "rounded-md border border-slate-300 px-2.5 py-1 text-xs font-medium hover:bg-slate-50";

/// On by default. `certificate`: where the domain's certificate stands (HSTS waits
/// for a CA-issued one).
#[component]
pub fn HstsSwitch(
    project: Memo<String>,
    domain: i64,
    on: bool,
    certificate: CertificateStatus,
    can_edit: bool,
    action: ServerAction<SetDomainHsts>,
) -> impl IntoView {
    let issued = !matches!(certificate, CertificateStatus::SelfSigned | CertificateStatus::None);
    let state = match (on, issued) {
        (true, true) => "HSTS on: browsers are told to use only HTTPS for this name, for a year.",
        (true, false) => {
            "HSTS on: sent once a CA-issued certificate is served (never over the self-signed placeholder)."
        }
        (false, _) => "HSTS off: browsers may still try plain HTTP first (it redirects to HTTPS).",
    };
    let help = "Strict-Transport-Security makes browsers refuse plain HTTP and certificate errors for this hostname \
                (not its subdomains) for a year after their last visit, even if it is turned off later. \
                A change applies at the next deployment.";
    view! {
        <div class="mt-1 flex flex-wrap items-center gap-2 text-xs" data-testid="hsts" data-on=on.to_string()>
            <span class="text-slate-600" data-testid="hsts-state" title=help>{state}</span>
            {can_edit.then(|| view! {
                <ActionForm action=action>
                    <input type="hidden" name="id" value=project />
                    <input type="hidden" name="domain" value=domain.to_string() />
                    <input type="hidden" name="hsts" value=if on { "off" } else { "on" } />
                    <button type="submit" class=SWITCH role="switch" aria-checked=on.to_string() title=help
                        data-testid="toggle-hsts">{if on { "Turn HSTS off" } else { "Turn HSTS on" }}</button>
                </ActionForm>
            })}
        </div>
        <p class="mt-0.5 max-w-xl text-xs text-slate-500">{help}</p>
    }
}
