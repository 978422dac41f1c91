use std::time::Duration;

use leptos::prelude::*;

/// A counter that ticks every `every` in the browser (never on the server), for
/// resources that should refresh themselves while a page is open.
pub fn use_ticker(every: Duration) -> ReadSignal<u64> {
    let (tick, set_tick) = signal(0u64);
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(move || set_tick.update(|n| *n += 1), every) {
            on_cleanup(move || handle.clear());
        }
    });
    tick
}
