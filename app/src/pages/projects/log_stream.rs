//! The Logs tab's data in the browser: when the filters change, the newest matching
//! lines from `/logs`, then (with "Follow live") an `EventSource` on `/logs/follow`
//! from the last of them, appending each stored line. On the server nothing loads:
//! the page renders its controls and a loading line.

use leptos::prelude::*;
use nsm_core::logs::LogEntry;

use super::log_filters::LogFilters;

/// Keeps `lines` in step with `filters` while the calling component lives; `live`
/// says whether the follow stream is open.
pub(super) fn load_and_follow(
    id: Memo<String>,
    filters: Memo<LogFilters>,
    follow: RwSignal<bool>,
    lines: RwSignal<Vec<LogEntry>>,
    state: RwSignal<Lines>,
    live: RwSignal<bool>,
) {
    #[cfg(feature = "hydrate")]
    browser::start(id, filters, follow, lines, state, live);
    #[cfg(not(feature = "hydrate"))]
    let _ = (id, filters, follow, lines, state, live);
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;
    use std::rc::Rc;

    use leptos::prelude::*;
    use leptos::server_fn::request::browser::Request;
    use nsm_core::logs::LogEntry;
    use send_wrapper::SendWrapper;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::{EventSource, MessageEvent};

    use super::super::log_filters::logs_url;
    use super::super::log_filters::{LogFilters, FIRST_LINES, KEPT_LINES};
    use super::Lines;
    use crate::error::AppError;

    type Listener = Closure<dyn FnMut(MessageEvent)>;

    /// One run of the effect: superseded when the filters change.
    #[derive(Default)]
    struct Run {
        over: bool,
        source: Option<(EventSource, Listener, Listener, Listener)>,
    }

    impl Run {
        fn end(&mut self) {
            self.over = true;
            if let Some((source, ..)) = self.source.take() {
                source.close();
            }
        }
    }

    pub(super) fn start(
        id: Memo<String>,
        filters: Memo<LogFilters>,
        follow: RwSignal<bool>,
        lines: RwSignal<Vec<LogEntry>>,
        state: RwSignal<Lines>,
        live: RwSignal<bool>,
    ) {
        Effect::new(move |_| {
            let (id, follow) = (id.get(), follow.get());
            let query = filters.with(|f| f.query(web_sys::js_sys::Date::now() as i64));
            state.set(Lines::Loading);
            live.set(false);
            let run = Rc::new(RefCell::new(Run::default()));
            let task = run.clone();
            leptos::task::spawn_local(async move {
                let first = fetch(&logs_url(&id, "", &query, &format!("limit={FIRST_LINES}"))).await;
                if task.borrow().over {
                    return;
                }
                let after = match first {
                    Ok(entries) => {
                        // Nothing matched yet: every matching line from now on is new.
                        let after = entries.last().map_or(0, |e| e.id);
                        lines.set(entries);
                        state.set(Lines::Shown);
                        after
                    }
                    Err(error) => {
                        lines.set(Vec::new());
                        state.set(Lines::Failed(error));
                        return;
                    }
                };
                if follow {
                    let url = logs_url(&id, "/follow", &query, &format!("after={after}"));
                    task.borrow_mut().source = open(&url, lines, live);
                }
            });
            let run = SendWrapper::new(run);
            on_cleanup(move || run.borrow_mut().end());
        });
    }

    async fn fetch(url: &str) -> Result<Vec<LogEntry>, AppError> {
        let response = Request::get(url).send().await.map_err(|e| AppError::Transport(e.to_string()))?;
        match response.status() {
            200 => response.json().await.map_err(|e| AppError::Transport(e.to_string())),
            401 => Err(AppError::Unauthorized),
            404 => Err(AppError::NotFound("The project".into())),
            status => Err(AppError::Transport(format!("the logs answered HTTP {status}"))),
        }
    }

    /// The follow stream, appending each line (the browser reconnects by itself,
    /// resuming after the last id it got).
    fn open(
        url: &str,
        lines: RwSignal<Vec<LogEntry>>,
        live: RwSignal<bool>,
    ) -> Option<(EventSource, Listener, Listener, Listener)> {
        let source = EventSource::new(url).ok()?;
        let on_line = Listener::new(move |event: MessageEvent| {
            let Some(entry) = event.data().as_string().and_then(|d| serde_json::from_str::<LogEntry>(&d).ok()) else {
                return;
            };
            lines.update(|all| {
                if all.last().is_some_and(|last| last.id >= entry.id) {
                    return;
                }
                all.push(entry);
                if all.len() > KEPT_LINES {
                    all.drain(..all.len() - KEPT_LINES);
                }
            });
        });
        let on_open = Listener::new(move |_: MessageEvent| live.set(true));
        let on_error = Listener::new(move |_: MessageEvent| live.set(false));
        // Registration cannot fail for a named event on a live source.
        let _ = source.add_event_listener_with_callback("line", on_line.as_ref().unchecked_ref());
        let _ = source.add_event_listener_with_callback("open", on_open.as_ref().unchecked_ref());
        let _ = source.add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref());
        Some((source, on_line, on_open, on_error))
    }
}

/// Where the shown lines stand (only the browser loads them).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Lines {
    Loading,
    Shown,
    Failed(crate::error::AppError),
}
