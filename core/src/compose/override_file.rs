//! The compose override file NSM adds to every deployment: labels that tie each
//! container to its project and service, so the worker can find (and remove) exactly
//! what belongs to a project, whatever the compose file says.
//!
//! The deployment is not a label: Compose hashes labels into a service's configuration,
//! so a label that changes every deployment would recreate every service. The worker
//! records which deployment accounts for each container instead.

use super::ServiceName;
use crate::project::ProjectId;

/// Label holding the NSM project id.
pub const LABEL_PROJECT: &str = "dev.nsm.project";
/// Label an older NSM gave each container, holding the deployment that created it; no
/// longer written (see the module's note), still read until a deployment accounts
/// for the container.
pub const LABEL_DEPLOYMENT: &str = "dev.nsm.deployment";
/// Label holding the compose service name.
pub const LABEL_SERVICE: &str = "dev.nsm.service";

/// The file name the worker writes the override under, next to the compose file.
pub const OVERRIDE_FILE_NAME: &str = ".nsm-compose.override.yaml";

/// Renders the override: `labels` for every service, nothing else.
///
/// Labels merge with the compose file's own (both list and mapping forms), and the
/// file carries no `version:` so Compose accepts it next to any compose file version.
pub fn render_override(project: &ProjectId, services: &[ServiceName]) -> String {
    let mut out = String::from("# Written by NSM for this deployment; edits are overwritten.\n");
    if services.is_empty() {
        out.push_str("services: {}\n");
        return out;
    }
    out.push_str("services:\n");
    for service in services {
        out.push_str("  ");
        push_scalar(&mut out, service.as_str());
        out.push_str(":\n    labels:\n");
        for (key, value) in [(LABEL_PROJECT, project.as_str()), (LABEL_SERVICE, service.as_str())] {
            out.push_str("      ");
            push_scalar(&mut out, key);
            out.push_str(": ");
            push_scalar(&mut out, value);
            out.push('\n');
        }
    }
    out
}

/// Writes `value` as a YAML double-quoted scalar that Compose reads back unchanged:
/// YAML escapes for `\`, `"` and every control or line-break character, and `$$` for
/// `$` because Compose interpolates every string value, overrides included.
fn push_scalar(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '$' => out.push_str("$$"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
            // NEL, LS, PS and BOM are line breaks or invisible to some YAML readers.
            '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use yaml_rust2::{Yaml, YamlLoader};

    use super::*;

    fn service(name: &str) -> ServiceName {
        ServiceName::parse(name).unwrap()
    }

    fn labels_of(yaml: &str, service: &str) -> Vec<(String, String)> {
        let docs = YamlLoader::load_from_str(yaml).unwrap();
        let labels = &docs[0]["services"][service]["labels"];
        let Yaml::Hash(map) = labels else { panic!("no labels for {service}: {labels:?}") };
        map.iter().map(|(k, v)| (k.as_str().unwrap().to_owned(), v.as_str().unwrap().to_owned())).collect()
    }

    #[test]
    fn every_service_gets_the_project_and_service_labels_and_no_deployment() {
        let project = ProjectId::parse("shop").unwrap();
        let yaml = render_override(&project, &[service("web"), service("api.v2")]);
        for name in ["web", "api.v2"] {
            assert_eq!(
                labels_of(&yaml, name),
                vec![(LABEL_PROJECT.to_owned(), "shop".to_owned()), (LABEL_SERVICE.to_owned(), name.to_owned())]
            );
        }
        assert!(!yaml.contains("version"), "{yaml}");
        assert!(!yaml.contains(LABEL_DEPLOYMENT), "the same override every deployment: {yaml}");
    }

    #[test]
    fn no_services_is_still_valid_yaml() {
        let project = ProjectId::parse("p").unwrap();
        let yaml = render_override(&project, &[]);
        let docs = YamlLoader::load_from_str(&yaml).unwrap();
        assert!(matches!(docs[0]["services"], Yaml::Hash(ref h) if h.is_empty()));
    }

    #[test]
    fn scalars_escape_everything_yaml_or_compose_would_reinterpret() {
        let hostile = "a\"b\\c$d\ne\tf\u{1}g\u{2028}h: #i '{j}' \u{feff}";
        let mut out = String::new();
        push_scalar(&mut out, hostile);
        let docs = YamlLoader::load_from_str(&format!("k: {out}\n")).unwrap();
        // YAML gives back the text with `$` doubled; Compose's interpolation halves it.
        assert_eq!(docs[0]["k"].as_str().unwrap(), hostile.replace('$', "$$"));
        assert!(!out.contains('\n'));
    }
}
