//! A line diff (longest common subsequence over the lines that differ), shown with a
//! little context around each change; long unchanged runs collapse to a count.

use serde::{Deserialize, Serialize};

/// Past this many (old × new) differing lines, the middle is shown as replaced
/// wholesale rather than aligned: the table would cost too much.
const MAX_CELLS: usize = 4_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DiffOp {
    Same,
    Added,
    Removed,
    /// `text` is the number of unchanged lines left out.
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiffLine {
    pub op: DiffOp,
    pub text: String,
}

impl DiffLine {
    fn new(op: DiffOp, text: &str) -> Self {
        Self { op, text: text.to_owned() }
    }
}

/// Every line of `old` and `new` as kept, removed or added, in order.
fn full_diff(old: &[&str], new: &[&str]) -> Vec<DiffLine> {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..].iter().rev().zip(new[prefix..].iter().rev()).take_while(|(a, b)| a == b).count();
    let (a, b) = (&old[prefix..old.len() - suffix], &new[prefix..new.len() - suffix]);
    let mut lines: Vec<DiffLine> = old[..prefix].iter().map(|l| DiffLine::new(DiffOp::Same, l)).collect();
    if a.len().saturating_mul(b.len()) > MAX_CELLS {
        lines.extend(a.iter().map(|l| DiffLine::new(DiffOp::Removed, l)));
        lines.extend(b.iter().map(|l| DiffLine::new(DiffOp::Added, l)));
    } else {
        // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
        let width = b.len() + 1;
        let mut lcs = vec![0u32; (a.len() + 1) * width];
        for i in (0..a.len()).rev() {
            for j in (0..b.len()).rev() {
                lcs[i * width + j] = if a[i] == b[j] {
                    lcs[(i + 1) * width + j + 1] + 1
                } else {
                    lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            if i < a.len() && j < b.len() && a[i] == b[j] {
                lines.push(DiffLine::new(DiffOp::Same, a[i]));
                i += 1;
                j += 1;
            } else if i < a.len() && (j == b.len() || lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) {
                // Removals first, as `diff` shows them.
                lines.push(DiffLine::new(DiffOp::Removed, a[i]));
                i += 1;
            } else {
                lines.push(DiffLine::new(DiffOp::Added, b[j]));
                j += 1;
            }
        }
    }
    lines.extend(old[old.len() - suffix..].iter().map(|l| DiffLine::new(DiffOp::Same, l)));
    lines
}

/// The changed lines of `old` → `new` with `context` unchanged lines around each
/// change; empty when the texts have the same lines.
pub fn line_diff(old: &str, new: &str, context: usize) -> Vec<DiffLine> {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    let full = full_diff(&old, &new);
    let changed: Vec<usize> = full.iter().enumerate().filter(|(_, l)| l.op != DiffOp::Same).map(|(i, _)| i).collect();
    if changed.is_empty() {
        return Vec::new();
    }
    let near = |i: usize| changed.iter().any(|&c| c.abs_diff(i) <= context);
    let mut shown = Vec::new();
    let mut skipped = 0usize;
    for (i, line) in full.into_iter().enumerate() {
        if line.op != DiffOp::Same || near(i) {
            if skipped > 0 {
                shown.push(DiffLine { op: DiffOp::Skipped, text: skipped.to_string() });
                skipped = 0;
            }
            shown.push(line);
        } else {
            skipped += 1;
        }
    }
    if skipped > 0 {
        shown.push(DiffLine { op: DiffOp::Skipped, text: skipped.to_string() });
    }
    shown
}
