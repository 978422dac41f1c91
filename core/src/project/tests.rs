use proptest::prelude::*;

use super::*;

fn form(id: &str) -> ProjectForm {
    ProjectForm { id: id.into(), repo_owner: "acme".into(), repo_name: "shop".into(), ..ProjectForm::default() }
}

#[test]
fn good_ids() {
    for id in ["a", "0", "shop", "my-shop-2", "a-", &"x".repeat(40)] {
        assert!(ProjectId::parse(id).is_ok(), "{id} should be valid");
    }
}

#[test]
fn bad_ids() {
    for id in ["", "-a", "A", "Shop", "my_shop", "my.shop", "my shop", "é", &"x".repeat(41), "a/b", "a\n"] {
        assert!(ProjectId::parse(id).is_err(), "{id:?} should be refused");
    }
}

#[test]
fn owners() {
    for ok in ["acme", "Acme-Corp", "a", "user_1", "x.y"] {
        assert!(RepoOwner::parse(ok).is_ok(), "{ok}");
    }
    for bad in ["", "-acme", "acme-", ".acme", "ac me", "ac/me", "ac;me", "ac\nme", &"a".repeat(101)] {
        assert!(RepoOwner::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn repo_names() {
    for ok in ["shop", "shop.git", "my_repo-2", ".github"] {
        assert!(RepoName::parse(ok).is_ok(), "{ok}");
    }
    for bad in ["", ".", "..", "a/b", "a b", "a$b"] {
        assert!(RepoName::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn branches() {
    for ok in ["main", "release/1.2", "feature/x-y_z", "v1.0"] {
        assert!(Branch::parse(ok).is_ok(), "{ok}");
    }
    for bad in [
        "", "-x", "/x", "x/", "x.", "x.lock", "a..b", "a b", "a~b", "a^b", "a:b", "a?b", "a*b", "a[b", "a\\b", "a@{b",
        "a//b", "@", "a/.b", ".a", "a\nb",
    ] {
        assert!(Branch::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn timeouts() {
    assert_eq!(DeployTimeout::parse("").map(DeployTimeout::secs), Ok(300));
    assert_eq!(DeployTimeout::parse("10").map(DeployTimeout::secs), Ok(10));
    assert_eq!(DeployTimeout::parse(" 3600 ").map(DeployTimeout::secs), Ok(3600));
    for bad in ["9", "3601", "0", "-5", "1.5", "abc", "99999999999"] {
        assert!(DeployTimeout::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn git_urls() {
    for ok in [
        "https://github.com/acme/shop.git",
        "http://127.0.0.1:8080/repo.git",
        "ssh://git@host/repo",
        "git@github.com:acme/shop.git",
        "file:///srv/git/shop",
        "/srv/git/shop",
    ] {
        assert!(GitUrl::parse(ok).is_ok(), "{ok}");
    }
    for bad in ["", "shop", "https://", "-uhttps://x", "https://a b", "ftp://x/y", "https://x/\ny", "relative/path"] {
        assert!(GitUrl::parse(bad).is_err(), "{bad:?}");
    }
    // Credentials belong in the sealed token field, never in the URL.
    for secret in [
        "https://user:ghp_secret@github.com/acme/shop.git",
        "https://ghp_secret@github.com/acme/shop.git",
        "http://x-access-token:abc@127.0.0.1:8080/repo.git",
        "ssh://git:hunter2@host/repo",
    ] {
        let error = GitUrl::parse(secret).expect_err(secret);
        assert!(error.0.contains("token field"), "{secret}: {error:?}");
    }
    assert!(GitUrl::parse("https://github.com/acme/shop@v2.git").is_ok(), "an @ in the path is no user");
}

#[test]
fn form_defaults_branch_worker_and_timeout() {
    let config = form("shop").validate().expect("valid form");
    assert_eq!(config.branch.as_str(), "main");
    assert_eq!(config.worker.as_str(), "local");
    assert_eq!(config.timeout.secs(), 300);
    assert!(!config.allow_ci_cd);
    assert_eq!(config.repository.clone_url("https://github.com/"), "https://github.com/acme/shop.git");
}

#[test]
fn form_collects_every_error() {
    let bad = ProjectForm {
        id: "Bad Id".into(),
        repo_owner: "".into(),
        repo_name: "a b".into(),
        branch: "a..b".into(),
        timeout_secs: "5".into(),
        ..ProjectForm::default()
    };
    let errors = bad.validate().expect_err("invalid form");
    for field in ["id", "repo_owner", "repo_name", "branch", "timeout_secs"] {
        assert!(errors.get(field).is_some(), "missing error for {field}: {errors}");
    }
}

#[test]
fn form_url_excludes_owner_and_name() {
    let mut f = form("shop");
    f.repo_url = "file:///srv/shop".into();
    assert!(f.validate().expect_err("both given").get("repo_url").is_some());
    f.repo_owner.clear();
    f.repo_name.clear();
    let config = f.validate().expect("url only");
    assert_eq!(config.repository.clone_url("https://github.com"), "file:///srv/shop");
}

#[test]
fn form_round_trips_through_config() {
    let mut f = form("shop");
    f.allow_ci_cd = Some("on".into());
    f.timeout_secs = "120".into();
    let config = f.validate().expect("valid");
    assert_eq!(ProjectForm::from_config(&config).validate(), Ok(config));
}

#[test]
fn serde_refuses_invalid_values() {
    assert!(serde_json::from_str::<ProjectId>("\"Bad\"").is_err());
    assert!(serde_json::from_str::<DeployTimeout>("5").is_err());
    assert_eq!(serde_json::from_str::<ProjectId>("\"ok\"").ok().map(|p| p.to_string()), Some("ok".to_owned()));
}

proptest! {
    #[test]
    fn every_slug_matching_the_pattern_is_accepted(id in "[a-z0-9][a-z0-9-]{0,39}") {
        prop_assert!(ProjectId::parse(&id).is_ok());
    }

    #[test]
    fn accepted_ids_match_the_pattern(id in "\\PC{0,45}") {
        if ProjectId::parse(&id).is_ok() {
            prop_assert!(id.len() <= 40);
            prop_assert!(id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
            prop_assert!(!id.starts_with('-'));
        }
    }

    #[test]
    fn accepted_branches_never_hold_whitespace_or_controls(b in "\\PC{0,20}|[a-z/\\. \n-]{0,20}") {
        if Branch::parse(&b).is_ok() {
            prop_assert!(!b.chars().any(|c| c.is_whitespace() || c.is_control()));
            prop_assert!(!b.contains(".."));
        }
    }

    #[test]
    fn timeout_accepts_exactly_its_range(secs in 0u32..5000) {
        prop_assert_eq!(DeployTimeout::new(secs).is_ok(), (10..=3600).contains(&secs));
    }
}
