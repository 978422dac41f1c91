use leptos::prelude::*;

const INPUT: &str = "block w-full rounded-md border px-3 py-2 text-sm shadow-sm outline-none focus:ring-2";
const INPUT_OK: &str = "border-slate-300 focus:border-indigo-500 focus:ring-indigo-200";
const INPUT_BAD: &str = "border-red-400 focus:border-red-500 focus:ring-red-200";

/// A labelled text input bound to `value`, with an inline error under it.
#[component]
pub fn Field(
    name: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] placeholder: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    view! {
        <div class="space-y-1">
            <label for=id.clone() class="block text-sm font-medium text-slate-700">{label}</label>
            <input
                id=id
                name=name
                type=kind
                placeholder=placeholder
                autocomplete=autocomplete
                class=move || format!("{INPUT} {}", if error.get().is_some() { INPUT_BAD } else { INPUT_OK })
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=error_id.clone()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            {move || match error.get() {
                Some(message) => view! { <p id=error_id.clone() class="text-sm text-red-600" data-error=name>{message}</p> }.into_any(),
                None => hint.map(|h| view! { <p class="text-xs text-slate-500">{h}</p> }).into_any(),
            }}
        </div>
    }
}

/// A labelled select; `options` are (value, label) pairs.
#[component]
pub fn SelectField(
    name: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(into)] options: Signal<Vec<(String, String)>>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    view! {
        <div class="space-y-1">
            <label for=id.clone() class="block text-sm font-medium text-slate-700">{label}</label>
            <select
                id=id
                name=name
                class=format!("{INPUT} {INPUT_OK} bg-white")
                on:change=move |ev| value.set(event_target_value(&ev))
            >
                {move || {
                    options
                        .get()
                        .into_iter()
                        .map(|(v, l)| {
                            let selected = value.get() == v;
                            view! { <option value=v selected=selected>{l}</option> }
                        })
                        .collect_view()
                }}
            </select>
            {move || error.get().map(|m| view! { <p class="text-sm text-red-600" data-error=name>{m}</p> })}
        </div>
    }
}
