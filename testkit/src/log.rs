//! A deployment's log as text, for assertion messages and `contains` checks.

use serde_json::Value;

/// The lines of a deployment detail's `log` (as the server functions return it), one
/// per line; empty when there is none.
pub fn deployment_log_text(detail: &Value) -> String {
    let lines = detail["log"].as_array().map(|l| l.iter().filter_map(|x| x["text"].as_str()).collect::<Vec<_>>());
    lines.unwrap_or_default().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_the_texts_of_the_lines() {
        let detail = serde_json::json!({ "log": [{ "text": "one" }, { "stream": "stdout" }, { "text": "two" }] });
        assert_eq!(deployment_log_text(&detail), "one\ntwo");
        assert_eq!(deployment_log_text(&serde_json::json!({})), "");
    }
}
