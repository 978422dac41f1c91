//! What a case's rounds add up to: the median ratio NSM / floor with its spread, and
//! NSM's own stages (from the log's `Took …` line) as shares of its time.

use std::time::Duration;

/// The value at fraction `p` of sorted samples (linear between neighbours).
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = (sorted.len() as f64 - 1.0) * p;
    let (low, high) = (at.floor() as usize, at.ceil() as usize);
    sorted[low] + (sorted[high] - sorted[low]) * (at - low as f64)
}

fn sorted(values: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut values: Vec<f64> = values.into_iter().collect();
    values.sort_by(f64::total_cmp);
    values
}

/// One round of a case: both sides, and NSM's stages.
pub struct Round {
    pub nsm: Duration,
    pub floor: Duration,
    pub stages: Vec<(String, f64)>,
}

/// `Took prepare 0.02 s, install 0.00 s, replace 1.44 s, settle 0.00 s` → the stages.
pub fn parse_took(line: &str) -> Vec<(String, f64)> {
    let Some(rest) = line.strip_prefix("Took ") else { return Vec::new() };
    rest.split(", ")
        .filter_map(|part| {
            let mut words = part.split_whitespace();
            let name = words.next()?.to_owned();
            let secs: f64 = words.next()?.parse().ok()?;
            Some((name, secs))
        })
        .collect()
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Prints the case's summary line and its stage shares.
pub fn report(case: &str, rounds: &[Round]) {
    let ratios = sorted(rounds.iter().map(|r| r.nsm.as_secs_f64() / r.floor.as_secs_f64()));
    let nsm = sorted(rounds.iter().map(|r| ms(r.nsm)));
    let floor = sorted(rounds.iter().map(|r| ms(r.floor)));
    println!(
        "{case}: {} rounds, median nsm {:.0} ms (IQR {:.0}–{:.0}), floor {:.0} ms (IQR {:.0}–{:.0}); \
         ratio median {:.3}, IQR {:.3}–{:.3}, min–max {:.3}–{:.3}",
        rounds.len(),
        quantile(&nsm, 0.5),
        quantile(&nsm, 0.25),
        quantile(&nsm, 0.75),
        quantile(&floor, 0.5),
        quantile(&floor, 0.25),
        quantile(&floor, 0.75),
        quantile(&ratios, 0.5),
        quantile(&ratios, 0.25),
        quantile(&ratios, 0.75),
        ratios.first().copied().unwrap_or(f64::NAN),
        ratios.last().copied().unwrap_or(f64::NAN),
    );
    // Each stage's median, and the server's own part: the round's time outside them.
    let mut names: Vec<String> = Vec::new();
    for round in rounds {
        for (name, _) in &round.stages {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    let total = quantile(&nsm, 0.5);
    let mut parts = Vec::new();
    for name in &names {
        let values =
            sorted(rounds.iter().map(|r| r.stages.iter().find(|(n, _)| n == name).map_or(0.0, |(_, secs)| secs * 1e3)));
        let median = quantile(&values, 0.5);
        parts.push(format!("{name} {median:.0} ms ({:.0} %)", 100.0 * median / total));
    }
    let outside = sorted(rounds.iter().map(|r| {
        let staged: f64 = r.stages.iter().map(|(_, secs)| secs * 1e3).sum();
        ms(r.nsm) - staged
    }));
    let median = quantile(&outside, 0.5);
    parts.push(format!("server and queue {median:.0} ms ({:.0} %)", 100.0 * median / total));
    println!("{case}: NSM's stages (medians, share of NSM's median): {}", parts.join(", "));
}
