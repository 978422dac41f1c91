//! The time "12 s ago" is measured from: the server's clock while rendering, then the
//! browser's, moved every few seconds so relative times stay true without a fetch.

use leptos::prelude::*;
use nsm_core::time::UnixTime;

#[derive(Clone, Copy)]
struct Clock(RwSignal<UnixTime>);

fn now() -> UnixTime {
    #[cfg(feature = "hydrate")]
    {
        UnixTime((web_sys::js_sys::Date::now() / 1000.0) as i64)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        UnixTime(i64::try_from(secs).unwrap_or(i64::MAX))
    }
}

/// Provides the clock to the pages below (once, in the layout).
pub fn provide_clock() {
    let clock = RwSignal::new(now());
    provide_context(Clock(clock));
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        clock.set(now());
        let handle = set_interval_with_handle(move || clock.set(now()), std::time::Duration::from_secs(5));
        if let Ok(handle) = handle {
            on_cleanup(move || handle.clear());
        }
    });
}

/// The current time, as the layout's clock says (or read once, outside a layout).
pub fn use_clock() -> Signal<UnixTime> {
    match use_context::<Clock>() {
        Some(Clock(clock)) => clock.into(),
        None => Signal::derive(now),
    }
}
