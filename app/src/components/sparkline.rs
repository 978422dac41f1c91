//! A sparkline: a series' shape as a small SVG line, no axes. The points are nsm-core's
//! ([`sparkline_points`]), so they are tested without a browser.

use leptos::prelude::*;
use nsm_core::stats::sparkline_points;

const WIDTH: f64 = 120.0;
const HEIGHT: f64 = 24.0;

/// `values` oldest first, scaled so the largest (or `floor`, if larger) touches the top.
#[component]
pub fn Sparkline(
    #[prop(into)] values: Signal<Vec<f64>>,
    floor: f64,
    label: &'static str,
    #[prop(default = "service-sparkline")] testid: &'static str,
) -> impl IntoView {
    let line = Memo::new(move |_| values.with(|v| sparkline_points(v, WIDTH, HEIGHT, floor)));
    view! {
        <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") preserveAspectRatio="none"
            class="h-6 w-28 rounded-sm bg-slate-50" role="img" aria-label=label data-testid=testid>
            <polyline points=move || line.get().points fill="none" stroke="#0284c7" stroke-width="1.5"
                stroke-linejoin="round" vector-effect="non-scaling-stroke" />
        </svg>
    }
}
