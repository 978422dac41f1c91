//! Browser helpers for the Environment and General tabs: saving text as a file,
//! reading a picked file, and guarding unsaved edits against leaving the page.

use leptos::prelude::*;

/// Offers `text` as a download named `file_name` (in the browser; nothing on the server).
pub fn download(file_name: &str, text: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let href = format!("data:text/plain;charset=utf-8,{}", percent_encode(text));
        let anchor = web_sys::window().and_then(|w| w.document()).and_then(|d| d.create_element("a").ok());
        if let Some(anchor) = anchor {
            let _ = anchor.set_attribute("href", &href);
            let _ = anchor.set_attribute("download", file_name);
            if let Ok(anchor) = anchor.dyn_into::<web_sys::HtmlElement>() {
                anchor.click();
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (file_name, text);
}

/// Every byte but unreserved ASCII as `%XX`, for a `data:` URL.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A file input that puts the picked file's text into `into`.
#[component]
pub fn FilePicker(
    into: RwSignal<String>,
    #[prop(into)] test_id: String,
    #[prop(into)] accept: String,
) -> impl IntoView {
    let on_change = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::closure::Closure;
            use wasm_bindgen::JsCast;
            let input = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
            let Some(file) = input.and_then(|i| i.files()).and_then(|files| files.get(0)) else { return };
            let Ok(reader) = web_sys::FileReader::new() else { return };
            let done = reader.clone();
            let onload = Closure::once(move || {
                if let Some(text) = done.result().ok().and_then(|r| r.as_string()) {
                    into.set(text);
                }
            });
            reader.set_onload(Some(onload.as_ref().unchecked_ref()));
            onload.forget();
            let _ = reader.read_as_text(&file);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, into);
    };
    view! { <input type="file" accept=accept class="text-sm" data-testid=test_id on:change=on_change /> }
}

/// Asks before leaving while `dirty`: closing or reloading the page (`beforeunload`) and
/// following a link to another page of the app (a click on an `<a>`, caught before the
/// router sees it).
pub fn guard_unsaved(dirty: Signal<bool>) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        let unload = window_event_listener(leptos::ev::beforeunload, move |ev| {
            if dirty.get_untracked() {
                ev.prevent_default();
                ev.set_return_value("unsaved");
            }
        });
        let click = Closure::<dyn Fn(web_sys::MouseEvent)>::new(move |ev: web_sys::MouseEvent| {
            if !dirty.get_untracked() {
                return;
            }
            let link = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|e| e.closest("a[href]").ok().flatten());
            let Some(link) = link else { return };
            if link.get_attribute("download").is_some() || link.get_attribute("target").is_some() {
                return;
            }
            let leave = web_sys::window()
                .and_then(|w| w.confirm_with_message("You have unsaved changes. Leave without saving?").ok())
                .unwrap_or(true);
            if !leave {
                ev.prevent_default();
                ev.stop_immediate_propagation();
            }
        });
        let document = web_sys::window().and_then(|w| w.document());
        if let Some(document) = &document {
            let _ = document.add_event_listener_with_callback_and_bool("click", click.as_ref().unchecked_ref(), true);
        }
        let click = send_wrapper::SendWrapper::new(click);
        on_cleanup(move || {
            unload.remove();
            if let Some(document) = web_sys::window().and_then(|w| w.document()) {
                let _ = document.remove_event_listener_with_callback_and_bool(
                    "click",
                    click.as_ref().as_ref().unchecked_ref(),
                    true,
                );
            }
            drop(click);
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = dirty;
}

#[cfg(test)]
mod tests {
    #[test]
    fn percent_encoding_keeps_only_unreserved_bytes() {
        assert_eq!(super::percent_encode("A=\"x y\"\n#ü"), "A%3D%22x%20y%22%0A%23%C3%BC");
    }
}
