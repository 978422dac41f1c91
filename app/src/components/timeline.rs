//! History drawn: a service's verdict over a window as a strip of colour, and the
//! fleet's last 90 days as a heatmap of days (weeks as columns, like a contribution
//! graph). SVG, so it scales and needs no script.

use leptos::prelude::*;
use nsm_core::service::{DayCell, Segment, Verdict};
use nsm_core::time::{short_duration, UnixTime};

const STRIP_WIDTH: f64 = 240.0;

fn verdict_fill(state: Option<Verdict>) -> &'static str {
    match state {
        Some(Verdict::Matching) => "#10b981",
        Some(Verdict::Mismatch) => "#ef4444",
        Some(Verdict::Unknown) => "#94a3b8",
        Some(Verdict::Unchecked) => "#cbd5e1",
        None => "#f1f5f9",
    }
}

/// One service's verdict over `[from, to)` (Unix milliseconds).
#[component]
pub fn VerdictTimeline(from: i64, to: i64, segments: Vec<Segment<Verdict>>) -> impl IntoView {
    let span = (to - from).max(1) as f64;
    let rects = segments
        .into_iter()
        .map(|s| {
            let x = (s.from - from) as f64 / span * STRIP_WIDTH;
            let width = ((s.to - s.from) as f64 / span * STRIP_WIDTH).max(0.5);
            let what = s.state.map_or("no data", Verdict::as_str);
            let title = format!(
                "{what} from {} UTC for {}",
                &UnixTime(s.from / 1_000).to_rfc3339()[11..16],
                short_duration((s.to - s.from) / 1_000)
            );
            view! {
                <rect x=format!("{x:.2}") y="0" width=format!("{width:.2}") height="12" fill=verdict_fill(s.state)
                    data-verdict=what>
                    <title>{title}</title>
                </rect>
            }
        })
        .collect_view();
    view! {
        <svg viewBox=format!("0 0 {STRIP_WIDTH} 12") preserveAspectRatio="none" class="h-3 w-40 rounded-sm"
            role="img" aria-label="Verdict over the last 24 hours" data-testid="service-timeline">
            {rects}
        </svg>
    }
}

fn day_fill(level: u8) -> &'static str {
    match level {
        4 => "#10b981",
        3 => "#6ee7b7",
        2 => "#fbbf24",
        1 => "#ef4444",
        _ => "#e2e8f0",
    }
}

const CELL: i64 = 12;
const GAP: i64 = 3;

/// The last days, one square each; a column per week, Sunday on top.
#[component]
pub fn DayHeatmap(days: Vec<DayCell>) -> impl IntoView {
    // Where in its week the first day falls (1970-01-01 was a Thursday).
    let first_weekday = days
        .first()
        .and_then(|d| UnixTime::parse(&format!("{}T00:00:00Z", d.date)))
        .map_or(0, |t| (t.day() + 4).rem_euclid(7));
    let columns = (first_weekday + days.len() as i64 + 6) / 7;
    let (width, height) = (columns * (CELL + GAP), 7 * (CELL + GAP));
    let cells = days
        .into_iter()
        .enumerate()
        .map(|(i, day)| {
            let slot = first_weekday + i as i64;
            let (x, y) = (slot / 7 * (CELL + GAP), slot % 7 * (CELL + GAP));
            let level = day.level();
            view! {
                <rect x=x y=y width=CELL height=CELL rx="2" fill=day_fill(level) data-level=level data-date=day.date.clone()>
                    <title>{day.describe()}</title>
                </rect>
            }
        })
        .collect_view();
    view! {
        <svg viewBox=format!("0 0 {width} {height}") width=width height=height role="img"
            aria-label="The last 90 days" data-testid="fleet-heatmap">
            {cells}
        </svg>
    }
}
