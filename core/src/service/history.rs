//! History drawn from recorded changes: a service's verdict over a window (the Services
//! tab's 24-hour timeline) and the fleet's days (the Dashboard's 90-day heatmap).
//! Times are Unix milliseconds: changes a moment apart stay apart.

use serde::{Deserialize, Serialize};

use super::Verdict;

pub const DAY_MS: i64 = 86_400_000;
const MINUTE_MS: i64 = 60_000;

/// A recorded change: from `at` (Unix milliseconds) on, the subject was in `state`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateChange<T> {
    pub at: i64,
    pub state: T,
}

/// A stretch of `[from, to)` in one state; `None`: nothing was recorded yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment<T> {
    pub from: i64,
    pub to: i64,
    pub state: Option<T>,
}

/// The states over `[start, end)` from changes sorted by time. The last change before
/// `start` gives the state the window opens in; equal neighbours are merged.
pub fn timeline<T: Clone + PartialEq>(changes: &[StateChange<T>], start: i64, end: i64) -> Vec<Segment<T>> {
    let mut segments: Vec<Segment<T>> = Vec::new();
    if end <= start {
        return segments;
    }
    let opening = changes.iter().take_while(|c| c.at <= start).last().map(|c| c.state.clone());
    let mut push = |from: i64, to: i64, state: Option<T>| {
        if to <= from {
            return;
        }
        match segments.last_mut() {
            Some(last) if last.state == state && last.to == from => last.to = to,
            _ => segments.push(Segment { from, to, state }),
        }
    };
    let mut at = start;
    let mut state = opening;
    for change in changes.iter().filter(|c| c.at > start && c.at < end) {
        push(at, change.at, state);
        at = change.at;
        state = Some(change.state.clone());
    }
    push(at, end, state);
    segments
}

/// One day of the heatmap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayCell {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    /// Share of the day's observed minutes the control plane was up (`None`: it was
    /// not installed yet, or the day is in the future).
    pub uptime: Option<f64>,
    /// Seconds during which some service mismatched or some worker was offline.
    pub trouble_secs: i64,
    /// How much of the day was observed (since the first start, up to now).
    pub observed_secs: i64,
    /// How many times trouble started that day.
    pub incidents: u32,
}

impl DayCell {
    /// 0 (no data) to 4 (all fine), for the heatmap's colour.
    pub fn level(&self) -> u8 {
        let Some(uptime) = self.uptime else { return 0 };
        // Against the part of the day observed: ten minutes of trouble at 00:20 is half of it.
        let trouble_share = self.trouble_secs as f64 / self.observed_secs.max(1) as f64;
        let fine = (uptime - trouble_share).max(0.0);
        match fine {
            f if f >= 0.999 => 4,
            f if f >= 0.99 => 3,
            f if f >= 0.9 => 2,
            _ => 1,
        }
    }

    /// In words, for the cell's tooltip.
    pub fn describe(&self) -> String {
        match self.uptime {
            None => format!("{}: no data", self.date),
            Some(uptime) => format!(
                "{}: control plane up {:.1} %, {} incident{}, {} min of trouble",
                self.date,
                uptime * 100.0,
                self.incidents,
                if self.incidents == 1 { "" } else { "s" },
                self.trouble_secs / 60
            ),
        }
    }
}

/// The cells of the `days` days ending with the one holding `now` (all times in ms).
///
/// `heartbeats`: (day since the epoch, minutes with a heartbeat); `first_heartbeat`:
/// when the control plane first ran; `trouble`: `[from, to)` stretches in which a
/// service mismatched or a worker was offline (any order, may overlap).
pub fn day_cells(
    now: i64,
    days: i64,
    heartbeats: &[(i64, i64)],
    first_heartbeat: Option<i64>,
    trouble: &[(i64, i64)],
) -> Vec<DayCell> {
    let today = now.div_euclid(DAY_MS);
    let merged = merge(trouble);
    (today - days + 1..=today)
        .map(|day| {
            let (start, end) = (day * DAY_MS, (day + 1) * DAY_MS);
            let observed_from = first_heartbeat.map_or(end, |first| first.max(start));
            let observed_to = end.min(now);
            // Whole minutes only: the heartbeat of the minute under way may not have
            // come yet (beats are a minute apart, not aligned to the clock).
            let minutes = (observed_to - observed_from).div_euclid(MINUTE_MS);
            let beats = heartbeats.iter().find(|(d, _)| *d == day).map_or(0, |(_, n)| *n);
            let uptime = match minutes {
                _ if observed_to <= observed_from => None,
                0 => Some(if beats > 0 { 1.0 } else { 0.0 }),
                _ => Some((beats as f64 / minutes as f64).min(1.0)),
            };
            let observed_secs = (observed_to - observed_from).max(0) / 1_000;
            let (mut trouble_ms, mut incidents) = (0, 0);
            for (from, to) in &merged {
                let overlap = (*to).min(end) - (*from).max(start);
                if overlap > 0 {
                    trouble_ms += overlap;
                }
                if (start..end).contains(from) {
                    incidents += 1;
                }
            }
            let trouble_secs = trouble_ms / 1_000;
            DayCell { date: crate::time::UnixTime::date_of_day(day), uptime, trouble_secs, observed_secs, incidents }
        })
        .collect()
}

/// Overlapping or touching stretches joined.
fn merge(stretches: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut sorted: Vec<(i64, i64)> = stretches.iter().copied().filter(|(from, to)| to > from).collect();
    sorted.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(sorted.len());
    for (from, to) in sorted {
        match merged.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    merged
}

/// The stretches in which a timeline shows a mismatch.
pub fn mismatches(segments: &[Segment<Verdict>]) -> impl Iterator<Item = (i64, i64)> + '_ {
    segments.iter().filter(|s| s.state == Some(Verdict::Mismatch)).map(|s| (s.from, s.to))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn change(at: i64, state: Verdict) -> StateChange<Verdict> {
        StateChange { at, state }
    }

    #[test]
    fn a_timeline_opens_in_the_state_before_the_window() {
        let changes = [change(5, Verdict::Matching), change(20, Verdict::Mismatch), change(30, Verdict::Matching)];
        let segments = timeline(&changes, 10, 40);
        let spans: Vec<_> = segments.iter().map(|s| (s.from, s.to, s.state)).collect();
        assert_eq!(
            spans,
            vec![
                (10, 20, Some(Verdict::Matching)),
                (20, 30, Some(Verdict::Mismatch)),
                (30, 40, Some(Verdict::Matching))
            ]
        );
        let before_anything = timeline(&changes, 0, 10);
        assert_eq!(before_anything[0].state, None);
        assert_eq!(mismatches(&segments).collect::<Vec<_>>(), vec![(20, 30)]);
    }

    #[test]
    fn days_count_uptime_and_trouble() {
        let day = 20_000;
        let now = (day + 1) * DAY_MS - 1;
        let at = |secs: i64| day * DAY_MS + secs * 1_000;
        let installed = Some((day - 1) * DAY_MS + 43_200_000);
        let cells = day_cells(now, 3, &[(day, 1_380)], installed, &[(at(0), at(600)), (at(300), at(900))]);
        assert_eq!(cells.len(), 3);
        assert_eq!(cells[0].uptime, None, "before the first heartbeat");
        assert_eq!(cells[1].uptime, Some(0.0), "installed at noon, no beats recorded");
        let today = &cells[2];
        assert!((today.uptime.unwrap_or_default() - 1_380.0 / 1_439.0).abs() < 1e-9);
        assert_eq!((today.trouble_secs, today.incidents), (900, 1));
        assert_eq!(today.level(), 2, "95.9 % up, 15 min of trouble");
        assert!(today.describe().contains("1 incident,"));
    }

    #[test]
    fn a_fresh_start_is_all_up_before_its_second_beat() {
        let day = 20_000;
        // The first beat at 00:00:50, stored as its minute; the second comes at 00:01:50.
        let (minute, first) = (day * DAY_MS, day * DAY_MS + 50_000);
        let cells = day_cells(first + 50_000, 1, &[(day, 1)], Some(minute), &[]);
        assert_eq!((cells[0].uptime, cells[0].level()), (Some(1.0), 4));
        let seconds_in = day_cells(first + 5_000, 1, &[(day, 1)], Some(minute), &[]);
        assert_eq!(seconds_in[0].uptime, Some(1.0));
        // Ten minutes of trouble in the first twenty observed: not fine.
        let troubled = day_cells(first + 1_200_000, 1, &[(day, 21)], Some(first), &[(first, first + 600_000)]);
        assert_eq!(troubled[0].level(), 1);
    }

    proptest! {
        #[test]
        fn a_timeline_covers_its_window_exactly(
            mut ats in proptest::collection::vec(0i64..1_000, 0..20),
            start in 0i64..500,
            len in 1i64..500,
        ) {
            ats.sort_unstable();
            let changes: Vec<_> = ats.iter().enumerate()
                .map(|(i, at)| change(*at, if i % 2 == 0 { Verdict::Matching } else { Verdict::Mismatch }))
                .collect();
            let segments = timeline(&changes, start, start + len);
            prop_assert_eq!(segments.first().map(|s| s.from), Some(start));
            prop_assert_eq!(segments.last().map(|s| s.to), Some(start + len));
            for pair in segments.windows(2) {
                prop_assert_eq!(pair[0].to, pair[1].from);
                prop_assert!(pair[0].state != pair[1].state);
            }
        }
    }
}
