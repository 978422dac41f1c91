//! The sparkline of a series: the `points` of an SVG polyline in a `width` × `height`
//! box, evenly spaced left to right, scaled so the largest value (or `floor`, if
//! larger) touches the top. Zero sits on the bottom edge.

/// A drawn sparkline: the polyline's points, and the value the top edge stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct Sparkline {
    pub points: String,
    pub top: f64,
}

/// `values` as polyline points. Empty for no values; a single value is drawn as a flat
/// line across the box, so there is something to see.
pub fn sparkline_points(values: &[f64], width: f64, height: f64, floor: f64) -> Sparkline {
    let top = values.iter().copied().filter(|v| v.is_finite()).fold(floor, f64::max);
    let y = |value: f64| {
        let value = if value.is_finite() { value.max(0.0) } else { 0.0 };
        let share = if top > 0.0 { value / top } else { 0.0 };
        height - share * height
    };
    let points = match values {
        [] => String::new(),
        [only] => format!("0,{y} {width},{y}", y = round(y(*only))),
        _ => {
            let step = width / (values.len() - 1) as f64;
            values
                .iter()
                .enumerate()
                .map(|(i, v)| format!("{},{}", round(i as f64 * step), round(y(*v))))
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    Sparkline { points, top }
}

/// Two decimals are plenty for a drawing and keep the attribute short.
fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_draws_nothing() {
        assert_eq!(sparkline_points(&[], 100.0, 20.0, 1.0).points, "");
    }

    #[test]
    fn one_value_is_a_flat_line_across() {
        assert_eq!(sparkline_points(&[5.0], 100.0, 20.0, 10.0).points, "0,10 100,10");
    }

    #[test]
    fn a_flat_series_of_zeroes_lies_on_the_bottom() {
        assert_eq!(sparkline_points(&[0.0, 0.0, 0.0], 100.0, 20.0, 0.0).points, "0,20 50,20 100,20");
    }

    #[test]
    fn the_largest_value_touches_the_top() {
        let line = sparkline_points(&[1.0, 4.0, 2.0], 10.0, 20.0, 1.0);
        assert_eq!(line.points, "0,15 5,0 10,10");
        assert_eq!(line.top, 4.0);
    }

    #[test]
    fn the_floor_keeps_small_values_small() {
        let line = sparkline_points(&[0.5, 1.0], 10.0, 10.0, 10.0);
        assert_eq!(line.points, "0,9.5 10,9");
        assert_eq!(line.top, 10.0);
    }
}
