use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;

const PROJECT: &str = "/data/projects/shop";

/// A file system with a few symbolic links: `links` maps a path to where it leads.
fn check_with(config: &str, policy: &WorkerPolicy, links: &[(&str, &str)]) -> Result<(), PolicyError> {
    let links: BTreeMap<PathBuf, PathBuf> = links.iter().map(|(a, b)| (PathBuf::from(a), PathBuf::from(b))).collect();
    let resolve = move |path: &Path| -> PathBuf {
        for (link, target) in &links {
            if let Ok(rest) = path.strip_prefix(link) {
                return target.join(rest);
            }
        }
        path.to_owned()
    };
    let allowed = [PathBuf::from(PROJECT)];
    let sockets: Vec<PathBuf> = ["/run/docker.sock"].iter().map(PathBuf::from).collect();
    let host = HostPaths {
        project_dir: Path::new("/data/projects/shop/staging-7"),
        allowed: &allowed,
        docker_sockets: &sockets,
        resolve: &resolve,
    };
    check_compose_config(config, policy, &host)
}

fn check(config: &str) -> Result<(), PolicyError> {
    check_with(config, &WorkerPolicy::default(), &[])
}

fn refused(config: &str) -> Vec<(String, &'static str, Allowance)> {
    match check(config) {
        Err(PolicyError::Refused(found)) => found.into_iter().map(|v| (v.service, v.key, v.allowance)).collect(),
        other => panic!("expected refusals, got {other:?}"),
    }
}

fn service(body: &str) -> String {
    format!("services:\n  web:\n    image: x\n{body}")
}

#[test]
fn an_ordinary_service_passes() {
    let config = service(
        "    volumes:\n    - /data/projects/shop/volume:/data:rw\n    - ./html:/usr/share/html:ro\n    - cache:/cache\n    \
         - /anonymous\n    - type: bind\n      source: /data/projects/shop/www/site\n      target: /out\n    \
         network_mode: bridge\n    cap_add: []\n    privileged: false\n",
    );
    assert_eq!(check(&config), Ok(()));
}

#[test]
fn each_refusal_names_the_service_and_the_key() {
    let cases = [
        ("    privileged: true\n", "privileged", Allowance::Privileged),
        ("    network_mode: host\n", "network_mode", Allowance::HostNetwork),
        ("    pid: host\n", "pid", Allowance::HostPid),
        ("    cap_add:\n    - NET_ADMIN\n", "cap_add", Allowance::Capabilities),
        ("    volumes:\n    - /etc:/host-etc:ro\n", "volumes", Allowance::HostPaths),
        ("    volumes:\n    - type: bind\n      source: /srv\n      target: /host\n", "volumes", Allowance::HostPaths),
        ("    volumes:\n    - ~/secrets:/s\n", "volumes", Allowance::HostPaths),
        ("    volumes:\n    - ../../other/volume:/steal\n", "volumes", Allowance::HostPaths),
        ("    volumes:\n    - /run/docker.sock:/var/run/docker.sock\n", "volumes", Allowance::DockerSocket),
    ];
    for (body, key, allowance) in cases {
        assert_eq!(refused(&service(body)), [("web".to_owned(), key, allowance)], "{body}");
        let message = check(&service(body)).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("service `web`") && message.contains(&format!("`{key}`")), "{message}");
        // Allowed for the worker: passes.
        let policy = WorkerPolicy { allowed: [allowance].into() };
        assert_eq!(check_with(&service(body), &policy, &[]), Ok(()), "{body}");
    }
}

#[test]
fn a_directory_holding_the_socket_needs_both_allowances() {
    let body = service("    volumes:\n    - /run:/host-run\n");
    let both: Vec<Allowance> = refused(&body).into_iter().map(|(_, _, a)| a).collect();
    assert_eq!(both, [Allowance::DockerSocket, Allowance::HostPaths]);
    let paths_only = WorkerPolicy { allowed: [Allowance::HostPaths].into() };
    assert!(matches!(check_with(&body, &paths_only, &[]), Err(PolicyError::Refused(v)) if v.len() == 1));
}

#[test]
fn links_are_judged_by_where_they_lead() {
    // A committed link in the checkout to the host's /etc.
    let body = service("    volumes:\n    - ./etc-link:/x\n");
    let link = [("/data/projects/shop/staging-7/etc-link", "/etc")];
    let error = check_with(&body, &WorkerPolicy::default(), &link).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("which leads to /etc"), "{error}");
    // /var/run is a link to /run on most systems: the socket is found through it.
    let socket = service("    volumes:\n    - /var/run/docker.sock:/s\n");
    let via = [("/var/run", "/run")];
    assert!(matches!(
        check_with(&socket, &WorkerPolicy::default(), &via),
        Err(PolicyError::Refused(v)) if v[0].allowance == Allowance::DockerSocket
    ));
    // A link inside the project to its own volume is fine.
    let inside = [("/data/projects/shop/staging-7/data", "/data/projects/shop/volume")];
    assert_eq!(check_with(&service("    volumes:\n    - ./data:/d\n"), &WorkerPolicy::default(), &inside), Ok(()));
}

#[test]
fn named_volumes_that_bind_host_paths_are_host_paths() {
    let config =
        "services:\n  db:\n    image: x\n    volumes:\n    - sneaky:/data\n    - plain:/p\n    - type: volume\n      \
                  source: sneaky\n      target: /again\nvolumes:\n  sneaky:\n    driver_opts:\n      type: none\n      \
                  o: bind\n      device: /etc\n  plain:\n    driver_opts:\n      type: tmpfs\n      device: tmpfs\n";
    assert_eq!(
        refused(config),
        [("db".to_owned(), "volumes", Allowance::HostPaths), ("db".to_owned(), "volumes", Allowance::HostPaths)]
    );
}

#[test]
fn secrets_configs_build_contexts_and_env_files_are_host_paths_too() {
    let config =
        "services:\n  web:\n    image: x\n    build:\n      context: /etc\n    env_file:\n    - /root/.env\n    \
                  secrets:\n    - source: shadow\n    - own\n    configs:\n    - passwd\nsecrets:\n  shadow:\n    \
                  file: /etc/shadow\n  own:\n    file: /data/projects/shop/staging-7/own.txt\nconfigs:\n  passwd:\n    \
                  file: /etc/passwd\n";
    let keys: Vec<&str> = refused(config).into_iter().map(|(_, key, _)| key).collect();
    assert_eq!(keys, ["secrets", "configs", "build", "env_file"]);
    let message = check(config).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("`build` sends /etc, outside the project's directories"), "{message}");
    // The checkout itself as the context, and remote contexts, are fine.
    for context in [".", "https://github.com/o/r.git#main", "git@github.com:o/r.git"] {
        assert_eq!(check(&service(&format!("    build:\n      context: \"{context}\"\n"))), Ok(()), "{context}");
    }
}

#[test]
fn every_violation_is_listed_across_services() {
    let config = "services:\n  a:\n    image: x\n    privileged: true\n    pid: host\n  b:\n    image: x\n    \
                  network_mode: host\n";
    let found: Vec<(String, &str)> = refused(config).into_iter().map(|(s, k, _)| (s, k)).collect();
    assert_eq!(found, [("a".to_owned(), "privileged"), ("a".to_owned(), "pid"), ("b".to_owned(), "network_mode")]);
    assert_eq!(check_with(config, &WorkerPolicy::permissive(), &[]), Ok(()));
}

#[test]
fn truthy_spellings_of_privileged_are_refused() {
    for value in ["true", "\"true\"", "'yes'", "\"on\""] {
        assert_eq!(refused(&service(&format!("    privileged: {value}\n"))).len(), 1, "{value}");
    }
}

#[test]
fn an_unreadable_configuration_is_an_error_not_a_pass() {
    assert!(matches!(check("- a\n"), Err(PolicyError::Unreadable(_))));
    assert!(matches!(check("services: [a"), Err(PolicyError::Unreadable(_))));
}

#[test]
fn policies_round_trip_and_default_to_refusing_everything() {
    let mut policy = WorkerPolicy::default();
    assert!(Allowance::ALL.iter().all(|a| !policy.allows(*a)));
    policy.set(Allowance::Privileged, true);
    policy.set(Allowance::HostPid, true);
    policy.set(Allowance::HostPid, false);
    let json = serde_json::to_string(&policy).unwrap();
    assert_eq!(json, r#"{"allowed":["privileged"]}"#);
    assert_eq!(serde_json::from_str::<WorkerPolicy>(&json).unwrap(), policy);
    assert_eq!(serde_json::from_str::<WorkerPolicy>("{}").unwrap(), WorkerPolicy::default());
}

#[test]
fn normalizing_never_climbs_above_the_root() {
    assert_eq!(check::normalize(Path::new("/a/../../../etc/./x")), PathBuf::from("/etc/x"));
}
