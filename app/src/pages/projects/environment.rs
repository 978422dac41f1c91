//! The Environment tab: an editor of the project's variables (plain values masked,
//! references picked from a menu grouped by what they point at), flags for names the
//! repository uses without a value, names it no longer uses and references whose target
//! was deleted, and beside it the `.env` the next deployment writes — rendered here, in
//! the browser, by the shared crate's code — plus `.env` import and export.
//!
//! Keyboard: Ctrl/Cmd+Enter adds a row, Ctrl/Cmd+S saves. Leaving with unsaved edits
//! asks first.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use nsm_core::env::EnvName;
use nsm_core::variables::{
    menu_value, parse_menu_value, reference_menu, row_flags, EnvironmentChanges, EnvironmentView, NewValue, PreviewRow,
    PreviewValue, SavedValue, SetVariable,
};

use super::env_panels::{DotenvTransfer, EnvPreview};
use super::file_transfer::guard_unsaved;
use super::variable_form::VariableEditor;
use crate::api::environment::{get_environment, SaveEnvironment};
use crate::api::variables::{list_reference_targets, reveal_variable, SaveVariable};
use crate::components::{ErrorBanner, Loading};

const INPUT: &str = "block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm";

/// One row as edited. `choice` is `plain` or a reference menu value (`port:7`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Row {
    pub key: u64,
    /// The saved name, when the row was loaded.
    pub original: Option<String>,
    pub name: String,
    pub choice: String,
    /// A plain value typed; `None` keeps the stored one.
    pub value: Option<String>,
    pub saved_empty: bool,
    pub unused: bool,
    pub deleted: bool,
}

fn rows_of(view: &EnvironmentView) -> Vec<Row> {
    view.rows
        .iter()
        .enumerate()
        .map(|(i, saved)| {
            let (choice, saved_empty) = match &saved.value {
                SavedValue::Secret { empty } => ("plain".to_owned(), *empty),
                SavedValue::Reference { reference } => (menu_value(reference), false),
            };
            Row {
                key: i as u64,
                original: Some(saved.name.to_string()),
                name: saved.name.to_string(),
                choice,
                value: None,
                saved_empty,
                unused: saved.unused,
                deleted: false,
            }
        })
        .collect()
}

impl Row {
    fn is_empty_plain(&self) -> bool {
        self.choice == "plain" && self.value.as_ref().map_or(self.saved_empty, String::is_empty)
    }

    /// The row as the preview reads it; `revealed` holds stored plain values when shown.
    pub(super) fn preview(&self, revealed: Option<&HashMap<String, String>>) -> PreviewRow {
        let value = if self.choice == "plain" {
            match (&self.value, revealed, &self.original) {
                (Some(v), _, _) if v.is_empty() => PreviewValue::Empty,
                (Some(v), Some(_), _) => PreviewValue::Plain(Some(v.clone())),
                (Some(_), None, _) => PreviewValue::Plain(None),
                (None, _, _) if self.saved_empty => PreviewValue::Empty,
                (None, Some(values), Some(original)) => PreviewValue::Plain(values.get(original).cloned()),
                (None, _, _) => PreviewValue::Plain(None),
            }
        } else {
            match parse_menu_value(&self.choice) {
                Some(reference) => PreviewValue::Reference(reference),
                None => PreviewValue::Invalid("Choose what the reference points at".to_owned()),
            }
        };
        PreviewRow { name: self.name.clone(), value }
    }
}

/// The save a set of edited rows makes, or the first reason it cannot be made.
fn changes(rows: &[Row], initial: &[Row]) -> Result<EnvironmentChanges, String> {
    let mut out = EnvironmentChanges::default();
    let parse = |name: &str| EnvName::parse(name.trim()).map_err(|e| format!("{name:?}: {e}"));
    for row in rows {
        let before = initial.iter().find(|i| i.key == row.key);
        if row.deleted {
            if let Some(original) = &row.original {
                out.delete.push(parse(original)?);
            }
            continue;
        }
        if before == Some(row) {
            continue;
        }
        let value = if row.choice == "plain" {
            match &row.value {
                Some(v) => NewValue::Plain(v.clone()),
                None if row.original.is_some() => NewValue::Keep,
                None => NewValue::Plain(String::new()),
            }
        } else {
            match parse_menu_value(&row.choice) {
                Some(reference) => NewValue::Reference(reference),
                None => return Err(format!("{}: choose what the reference points at", row.name)),
            }
        };
        let original = row.original.as_deref().map(parse).transpose()?;
        out.set.push(SetVariable { original, name: parse(&row.name)?, value });
    }
    Ok(out)
}

#[component]
pub fn EnvironmentTab() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    // Shared with the project header: a save or an import reloads both.
    let version = use_context::<super::detail::ProjectContext>().map_or_else(|| RwSignal::new(0_u64), |c| c.configured);
    let environment = Resource::new(move || (id.get(), version.get()), |(id, _)| get_environment(id));
    view! {
        <Transition fallback=|| view! { <Loading /> }>
            {move || Suspend::new(async move {
                match environment.await {
                    Ok(view) => view! { <Editor project=id.get_untracked() view reload=version /> }.into_any(),
                    Err(e) => view! { <ErrorBanner error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Editor(project: String, view: EnvironmentView, reload: RwSignal<u64>) -> impl IntoView {
    let initial = StoredValue::new(rows_of(&view));
    let rows = RwSignal::new(initial.get_value());
    let next_key = StoredValue::new(view.rows.len() as u64);
    let view = StoredValue::new(view);
    let revealed = RwSignal::new(None::<HashMap<String, String>>);
    let dirty = Memo::new(move |_| rows.with(|r| initial.with_value(|i| r != i)));
    guard_unsaved(dirty.into());
    let save = ServerAction::<SaveEnvironment>::new();
    let local_error = RwSignal::new(None::<String>);
    let project = StoredValue::new(project);
    let add_row = move || {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        let row = Row {
            key,
            original: None,
            name: String::new(),
            choice: "plain".into(),
            value: Some(String::new()),
            saved_empty: true,
            unused: false,
            deleted: false,
        };
        rows.update(|r| r.push(row));
    };
    let do_save = move || {
        if !dirty.get_untracked() || !view.with_value(|v| v.can_edit) {
            return;
        }
        match rows.with_untracked(|r| initial.with_value(|i| changes(r, i))) {
            Ok(changes) => {
                local_error.set(None);
                save.dispatch(SaveEnvironment { id: project.get_value(), changes });
            }
            Err(message) => local_error.set(Some(message)),
        }
    };
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(()))) {
            reload.update(|n| *n += 1);
        }
    });
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        let command = ev.ctrl_key() || ev.meta_key();
        if command && (ev.key() == "s" || ev.key() == "S") {
            ev.prevent_default();
            do_save();
        } else if command && ev.key() == "Enter" && view.with_value(|v| v.can_edit) {
            ev.prevent_default();
            add_row();
        }
    });
    on_cleanup(move || keys.remove());
    let can_edit = view.with_value(|v| v.can_edit);
    let visible = move || rows.with(|rs| rs.iter().filter(|r| !r.deleted).map(|r| r.key).collect::<Vec<_>>());
    let server_errors = move || save.value().get().and_then(Result::err);
    view! {
        <div class="grid gap-6 xl:grid-cols-2">
            <section class="min-w-0">
                {move || local_error.get().map(|m| view! { <p class="mb-3 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700" role="alert" data-testid="env-save-error">{m}</p> })}
                {move || server_errors().filter(|e| e.field_errors().is_none()).map(|e| view! { <div class="mb-3"><ErrorBanner error=e /></div> })}
                <div class="rounded-xl border border-slate-200 bg-white shadow-sm">
                    <div class="hidden grid-cols-12 gap-2 border-b border-slate-100 px-3 py-2 text-xs font-medium text-slate-500 sm:grid">
                        <span class="col-span-4">"Name"</span><span class="col-span-3">"Type"</span><span class="col-span-5">"Value"</span>
                    </div>
                    <ul class="divide-y divide-slate-100" data-testid="variables">
                        <For each=visible key=|k| *k let:row_key>
                            <RowEditor row_key rows view revealed can_edit save project />
                        </For>
                    </ul>
                    {move || rows.with(|r| r.iter().all(|r| r.deleted)).then(|| view! {
                        <p class="px-4 py-6 text-sm text-slate-500">"No variables yet. Sync with the repository to discover the names it uses, or add one."</p>
                    })}
                </div>
                {can_edit.then(|| view! {
                    <div class="mt-3 flex flex-wrap items-center gap-3">
                        <button type="button" class="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-50" data-testid="add-variable"
                            on:click=move |_| add_row()>"Add variable"</button>
                        <button type="button" class="rounded-md bg-indigo-600 px-4 py-1.5 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 disabled:opacity-50" data-testid="save-variables"
                            disabled=move || !dirty.get() || save.pending().get() on:click=move |_| do_save()>
                            {move || if save.pending().get() { "Saving…" } else { "Save changes" }}
                        </button>
                        <button type="button" class="text-sm text-slate-600 hover:underline disabled:opacity-50" disabled=move || !dirty.get()
                            on:click=move |_| rows.set(initial.get_value())>"Discard"</button>
                        <span class="text-xs text-slate-500">"Ctrl/⌘+Enter adds a row · Ctrl/⌘+S saves"</span>
                        {move || dirty.get().then(|| view! { <span class="text-xs font-medium text-amber-700" data-testid="unsaved">"Unsaved changes"</span> })}
                    </div>
                })}
                {can_edit.then(|| view! { <QuickAdd project=project.get_value() reload dirty=dirty.into() /> })}
                <DotenvTransfer project=project.get_value() can_edit can_reveal=view.with_value(|v| v.can_reveal) dirty=dirty.into() reload />
            </section>
            <EnvPreview rows view revealed project=project.get_value() />
        </div>
    }
}

#[component]
fn RowEditor(
    row_key: u64,
    rows: RwSignal<Vec<Row>>,
    view: StoredValue<EnvironmentView>,
    revealed: RwSignal<Option<HashMap<String, String>>>,
    can_edit: bool,
    save: ServerAction<SaveEnvironment>,
    project: StoredValue<String>,
) -> impl IntoView {
    let key = row_key;
    let get = move |f: fn(&Row) -> String| rows.with(|rs| rs.iter().find(|r| r.key == key).map(f).unwrap_or_default());
    let update = move |f: Box<dyn FnOnce(&mut Row)>| {
        rows.update(|rs| {
            if let Some(row) = rs.iter_mut().find(|r| r.key == key) {
                f(row);
            }
        })
    };
    let menu = view.with_value(|v| reference_menu(&v.topology));
    let flags = move || {
        rows.with(|rs| {
            let row = rs.iter().find(|r| r.key == key)?;
            let reference = parse_menu_value(&row.choice);
            Some(view.with_value(|v| row_flags(row.is_empty_plain(), reference.as_ref(), row.unused, &v.topology)))
        })
        .unwrap_or_default()
    };
    // A saved reference whose target is gone is not in the menu: keep it selectable.
    let saved_choice = get(|r| r.choice.clone());
    let dangling = (saved_choice != "plain"
        && !menu.iter().any(|g| g.items.iter().any(|(r, _)| menu_value(r) == saved_choice)))
    .then(|| saved_choice.clone());
    let is_plain = move || get(|r| r.choice.clone()) == "plain";
    let masked = move || get(|r| r.original.clone().unwrap_or_default());
    let server_error = move || {
        let name = get(|r| r.name.trim().to_owned());
        save.value().get().and_then(Result::err).and_then(|e| e.field(&name))
    };
    let saved_name = get(|r| r.original.clone().unwrap_or_default());
    let saved_plain = !saved_name.is_empty() && saved_choice == "plain";
    let saved_empty = get(|r| if r.saved_empty { "e".into() } else { String::new() }) == "e";
    let can_reveal = view.with_value(|v| v.can_reveal);
    let reveal = Action::new(move |_: &()| {
        let (id, name) = (project.get_value(), saved_name.clone());
        async move { reveal_variable(id, name).await }
    });
    let name_id = format!("var-name-{key}");
    let is_new = get(|r| if r.original.is_none() { "new".into() } else { String::new() }) == "new";
    let name_ref = NodeRef::<leptos::html::Input>::new();
    if is_new {
        Effect::new(move |_| {
            if let Some(input) = name_ref.get() {
                let _ = input.focus();
            }
        });
    }
    view! {
        <li class="grid gap-2 px-3 py-2 sm:grid-cols-12" data-variable=move || get(|r| r.name.clone()) data-testid="variable-row">
            <div class="sm:col-span-4">
                <label for=name_id.clone() class="sr-only">"Name"</label>
                <input id=name_id node_ref=name_ref class=format!("{INPUT} font-mono") placeholder="NAME" disabled=!can_edit data-testid="variable-name"
                    prop:value=move || get(|r| r.name.clone())
                    on:input=move |ev| { let v = event_target_value(&ev); update(Box::new(move |r| r.name = v)); } />
                <div class="mt-1 flex flex-wrap gap-1">
                    {move || flags().into_iter().map(|f| view! {
                        <span class="rounded bg-amber-50 px-1.5 text-xs text-amber-800" data-flag=format!("{f:?}").to_lowercase()>{f.label()}</span>
                    }).collect_view()}
                </div>
            </div>
            <div class="sm:col-span-3">
                <label class="sr-only">"Type"</label>
                <select class=format!("{INPUT} bg-white") disabled=!can_edit data-testid="variable-kind"
                    on:change=move |ev| { let v = event_target_value(&ev); update(Box::new(move |r| { if v == "plain" && r.choice != "plain" { r.value = Some(String::new()); } r.choice = v; })); }>
                    <option value="plain" selected=is_plain>"Value (secret)"</option>
                    {dangling.map(|c| view! { <option value=c.clone() selected=true>"(target deleted)"</option> })}
                    {menu.into_iter().map(|group| view! {
                        <optgroup label=group.label.clone()>
                            {group.items.into_iter().map(|(reference, label)| {
                                let value = menu_value(&reference);
                                let v2 = value.clone();
                                view! { <option value=value selected=move || get(|r| r.choice.clone()) == v2>{label}</option> }
                            }).collect_view()}
                        </optgroup>
                    }).collect_view()}
                </select>
            </div>
            <div class="flex items-start gap-2 sm:col-span-5">
                <div class="min-w-0 flex-1">
                    {saved_plain.then(|| view! {
                        <p class="flex items-center gap-2 text-xs text-slate-500">
                            <span class="font-mono" data-testid="variable-value">{move || match reveal.value().get().and_then(Result::ok) {
                                Some(value) => value,
                                None if saved_empty => "(empty)".to_owned(),
                                None => "••••••••".to_owned(),
                            }}</span>
                            {can_reveal.then(|| view! {
                                <button type="button" class="rounded border border-slate-300 px-1.5 text-xs hover:bg-slate-50"
                                    on:click=move |_| { reveal.dispatch(()); }>"Reveal"</button>
                            })}
                        </p>
                    })}
                    <Show when=is_plain fallback=move || view! {
                        <p class="py-1.5 text-xs text-slate-500">"Resolved by NSM (see the preview)"</p>
                    }>
                        <textarea rows="1" class=format!("{INPUT} font-mono") disabled=!can_edit data-testid="variable-input" aria-label="New value"
                            placeholder=move || {
                                let shown = revealed.with(|r| r.as_ref().and_then(|m| m.get(&masked()).cloned()));
                                match shown {
                                    Some(v) => v,
                                    None if get(|r| if r.saved_empty { "e".into() } else { String::new() }) == "e" => "(empty)".to_owned(),
                                    None => "•••••••• (unchanged)".to_owned(),
                                }
                            }
                            prop:value=move || get(|r| r.value.clone().unwrap_or_default())
                            on:input=move |ev| { let v = event_target_value(&ev); update(Box::new(move |r| r.value = Some(v))); }></textarea>
                    </Show>
                    {move || server_error().map(|m| view! { <p class="text-xs text-red-600" role="alert">{m}</p> })}
                </div>
                {can_edit.then(|| view! {
                    <button type="button" class="rounded-md border border-red-200 px-2 py-1 text-xs text-red-700 hover:bg-red-50" data-testid="delete-variable"
                        on:click=move |_| rows.update(|rs| { rs.retain(|r| r.key != key || r.original.is_some()); if let Some(r) = rs.iter_mut().find(|r| r.key == key) { r.deleted = true; } })>"Delete"</button>
                })}
            </div>
        </li>
    }
}

/// The one-variable form, saved at once; the editor reloads after it (asking first when
/// the editor has unsaved edits, which the reload would drop).
#[component]
fn QuickAdd(project: String, reload: RwSignal<u64>, dirty: Signal<bool>) -> impl IntoView {
    let project = Memo::new(move |_| project.clone());
    let save = ServerAction::<SaveVariable>::new();
    let targets = Resource::new(move || project.get(), list_reference_targets);
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(()))) {
            reload.update(|n| *n += 1);
        }
    });
    view! {
        {move || dirty.get().then(|| view! { <p class="mt-6 text-xs text-amber-700">"Saving this form reloads the editor: save your edits above first."</p> })}
        <VariableEditor project save targets />
    }
}
