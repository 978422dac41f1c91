//! The browser's one push channel: an `EventSource` on `/api/v1/events`, opened once
//! for the signed-in pages; pages refresh what they show when an event concerns it.
//! No page polls. The browser reconnects by itself after a drop, sending the last id
//! it saw, and the server replays what was missed (or says `reset`: reload all).

use leptos::prelude::*;
use nsm_core::events::LiveEvent;

/// The last event received, numbered so two equal events are still two.
#[derive(Clone, Copy)]
pub struct Live {
    last: RwSignal<Option<(u64, LiveEvent)>>,
}

/// Opens the stream (in the browser only) and provides it to the pages below.
pub fn provide_live() {
    let last = RwSignal::new(None);
    provide_context(Live { last });
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use send_wrapper::SendWrapper;
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        use web_sys::{EventSource, MessageEvent};

        let Ok(source) = EventSource::new("/api/v1/events") else { return };
        let on_event = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(data) = event.data().as_string() else { return };
            if let Ok(event) = serde_json::from_str::<LiveEvent>(&data) {
                last.update(|last| {
                    let n = last.as_ref().map_or(0, |(n, _)| n + 1);
                    *last = Some((n, event));
                });
            }
        });
        for kind in ["service", "worker", "deployment", "certificate", "reset"] {
            // Registration cannot fail for a named event on a live source.
            let _ = source.add_event_listener_with_callback(kind, on_event.as_ref().unchecked_ref());
        }
        // The first connection follows from now on: what changed between the server
        // rendering the page and the stream opening (a deployment ending) was never
        // sent. Once it is open, every page reads again what it shows, as on a reset.
        // Reconnections resume with `Last-Event-ID` and miss nothing.
        let mut opened = false;
        let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
            if !std::mem::replace(&mut opened, true) {
                last.update(|last| {
                    let n = last.as_ref().map_or(0, |(n, _)| n + 1);
                    *last = Some((n, LiveEvent::Reset));
                });
            }
        });
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        let kept = SendWrapper::new((source, on_event, on_open));
        on_cleanup(move || kept.0.close());
    });
}

/// A counter that moves whenever an event `concerns` says matters arrives (and on
/// every reset): a resource keyed on it refetches, in place.
pub fn use_live(concerns: impl Fn(&LiveEvent) -> bool + Send + Sync + 'static) -> ReadSignal<u64> {
    let (version, set_version) = signal(0u64);
    if let Some(live) = use_context::<Live>() {
        // The event already there when the page was made is older than what it loads.
        let before = live.last.with_untracked(|last| last.as_ref().map(|(n, _)| *n));
        Effect::new(move |_| {
            live.last.with(|last| {
                if let Some((n, event)) = last {
                    if Some(*n) == before {
                        return;
                    }
                    if matches!(event, LiveEvent::Reset) || concerns(event) {
                        set_version.update(|n| *n += 1);
                    }
                }
            });
        });
    }
    version
}

/// Whether `event` is about project `id`.
pub fn about_project(event: &LiveEvent, id: &str) -> bool {
    event.project().is_some_and(|p| p.as_str() == id)
}
