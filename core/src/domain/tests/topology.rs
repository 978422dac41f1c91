//! Topology checks and URLs.

use proptest::prelude::*;

use crate::domain::*;

pub(crate) fn domain(id: i64, hostname: &str) -> DomainEntry {
    DomainEntry::new(id, Hostname::parse(hostname).unwrap())
}

pub(crate) fn resource(id: i64, domain_id: i64, path: &str, kind: ResourceKind) -> ResourceEntry {
    ResourceEntry { id, domain_id, config: ResourceConfig { path: ResourcePath::parse(path).unwrap(), kind } }
}

pub(crate) fn static_page() -> ResourceKind {
    ResourceKind::Static { spa: false, cors_origins: vec![] }
}

#[test]
fn urls_and_labels() {
    let t = Topology {
        domains: vec![domain(1, "example.com"), domain(2, "*.example.org")],
        resources: vec![resource(10, 1, "/api/", static_page()), resource(11, 2, "/", static_page())],
    };
    assert_eq!(t.url(10).as_deref(), Some("https://example.com/api/"));
    assert_eq!(t.url(11), None, "a wildcard has no single URL");
    assert_eq!(t.url(99), None);
    assert_eq!(t.label(10), "example.com/api/");
    assert_eq!(t.label(99), "resource 99");
    assert_eq!(t.resources_on(1).count(), 1);
    assert_eq!(t.check(), Ok(()));
}

#[test]
fn duplicate_paths_count_a_trailing_slash_as_the_same_path() {
    let t = Topology {
        domains: vec![domain(1, "example.com"), domain(2, "example.org")],
        resources: vec![
            resource(1, 1, "/api", static_page()),
            resource(2, 1, "/api/", static_page()),
            resource(3, 2, "/api", static_page()),
            resource(4, 1, "/apix", static_page()),
            resource(5, 1, "/", static_page()),
            resource(6, 1, "/", static_page()),
        ],
    };
    let duplicates = t.duplicate_paths();
    assert_eq!(duplicates.len(), 2);
    assert_eq!(duplicates[0].resources, vec![1, 2]);
    assert_eq!(duplicates[0].path.as_str(), "/api");
    assert_eq!(duplicates[1].resources, vec![5, 6]);
    let path = ResourcePath::parse("/api/").unwrap();
    assert!(t.check_path_free(1, &path, None).is_err());
    assert!(t.check_path_free(1, &path, Some(1)).is_err(), "resource 2 still holds it");
    assert!(t.check_path_free(2, &ResourcePath::parse("/apix").unwrap(), None).is_ok());
    let single = Topology { domains: t.domains.clone(), resources: vec![resource(1, 1, "/api", static_page())] };
    assert!(single.check_path_free(1, &path, Some(1)).is_ok(), "editing a resource keeps its own path");
}

#[test]
fn check_finds_every_inconsistency() {
    let t = Topology {
        domains: vec![
            domain(1, "example.com"),
            domain(1, "example.org"),
            domain(3, "example.com"),
            domain(0, "x.example"),
        ],
        resources: vec![
            resource(1, 1, "/", static_page()),
            resource(1, 9, "/", static_page()),
            resource(-2, 1, "/", static_page()),
        ],
    };
    let errors = t.check().unwrap_err();
    assert!(errors.contains(&TopologyError::DuplicateDomainId(1)));
    assert!(errors.contains(&TopologyError::DuplicateHostname(Hostname::parse("example.com").unwrap())));
    assert!(errors.contains(&TopologyError::InvalidId(0)));
    assert!(errors.contains(&TopologyError::InvalidId(-2)));
    assert!(errors.contains(&TopologyError::DuplicateResourceId(1)));
    assert!(errors.contains(&TopologyError::UnknownDomain { resource: 1, domain: 9 }));
    assert!(errors.iter().any(|e| matches!(e, TopologyError::DuplicatePath { .. })));
}

proptest! {
    #[test]
    fn duplicates_are_exactly_the_shared_location_keys(paths in prop::collection::vec(("[ab]{0,2}", any::<bool>(), 1i64..3), 0..8)) {
        let resources: Vec<_> = paths
            .iter()
            .enumerate()
            .map(|(i, (p, slash, d))| {
                let path = if p.is_empty() { "/".to_owned() } else if *slash { format!("/{p}/") } else { format!("/{p}") };
                resource(i as i64 + 1, *d, &path, static_page())
            })
            .collect();
        let t = Topology { domains: vec![domain(1, "a.example"), domain(2, "b.example")], resources };
        let in_duplicates: usize = t.duplicate_paths().iter().map(|d| d.resources.len()).sum();
        let sharing = t.resources.iter().filter(|r| {
            t.resources.iter().filter(|o| o.domain_id == r.domain_id && o.path().location_key() == r.path().location_key()).count() > 1
        }).count();
        prop_assert_eq!(in_duplicates, sharing);
        prop_assert_eq!(t.check().is_ok(), sharing == 0);
    }
}
