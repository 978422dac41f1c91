//! The Services tab's resource use: one `EventSource` on the project's stats stream,
//! open while the tab is shown (the server samples the project only while some
//! stream is open), and per service its current CPU and memory with the last hour.

use std::collections::HashMap;

use leptos::prelude::*;
use nsm_core::stats::{human_bytes, ServicePoint, ServiceSeries};

use crate::components::Sparkline;

/// Each service's last hour, as the stream tells it.
pub type ResourceUse = RwSignal<HashMap<String, ServiceSeries>>;

/// Follows project `id`'s stats stream while the calling component lives (in the
/// browser only; on the server the map stays empty).
pub fn follow_resource_use(id: Memo<String>) -> ResourceUse {
    let series: ResourceUse = RwSignal::new(HashMap::new());
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use send_wrapper::SendWrapper;
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        use web_sys::{EventSource, MessageEvent};

        let id = id.get();
        let Ok(source) = EventSource::new(&format!("/api/v1/projects/{id}/stats")) else { return };
        let read = |event: &MessageEvent| event.data().as_string().and_then(|d| serde_json::from_str(&d).ok());
        // The stream starts (and, after a reconnect, starts again) with the whole hour.
        let on_history = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(update) = read(&event) else { return };
            series.set(HashMap::new());
            series.update(|all| add(all, update));
        });
        let on_sample = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(update) = read(&event) {
                series.update(|all| add(all, update));
            }
        });
        let _ = source.add_event_listener_with_callback("history", on_history.as_ref().unchecked_ref());
        let _ = source.add_event_listener_with_callback("sample", on_sample.as_ref().unchecked_ref());
        let kept = SendWrapper::new((source, on_history, on_sample));
        on_cleanup(move || kept.0.close());
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
    series
}

#[cfg(feature = "hydrate")]
fn add(all: &mut HashMap<String, ServiceSeries>, update: nsm_core::stats::StatsUpdate) {
    for service in update.services {
        let series = all.entry(service.service).or_default();
        for point in service.points {
            series.push(point);
        }
    }
}

/// A service's current CPU and memory, and its CPU over the last hour.
#[component]
pub fn ResourceCell(series: ResourceUse, service: String) -> impl IntoView {
    let name = service.clone();
    let latest = Memo::new(move |_| series.with(|all| all.get(&name).and_then(|s| s.latest().copied())));
    let cpu_values = Signal::derive(move || {
        series.with(|all| all.get(&service).map(|s| s.points().map(|p| p.cpu_percent).collect()).unwrap_or_default())
    });
    let cpu = move || latest.get().map_or_else(|| "–".to_owned(), |p| format!("{:.1} % CPU", p.cpu_percent));
    let memory = move || latest.get().map_or_else(|| "–".to_owned(), |p| memory_text(&p));
    view! {
        <div class="flex items-center gap-3">
            <Sparkline values=cpu_values floor=5.0 label="CPU over the last hour" />
            <div class="text-xs tabular-nums text-slate-600">
                <div data-testid="service-cpu">{cpu}</div>
                <div data-testid="service-memory">{memory}</div>
            </div>
        </div>
    }
}

fn memory_text(point: &ServicePoint) -> String {
    match point.memory_percent() {
        Some(share) => {
            format!("{} of {} ({share:.0} %)", human_bytes(point.memory_bytes), human_bytes(point.memory_limit))
        }
        None => human_bytes(point.memory_bytes),
    }
}
