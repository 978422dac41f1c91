//! Shallow clones with gix from real repositories: file:// URLs, local paths and smart
//! HTTP served by `git http-backend`, with and without a token.

mod common;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use common::TestResult;
use nsm_core::protocol::RepoSource;
use nsm_core::WorkerId;
use nsm_testkit::{fixture_app_files, FixtureApp, FixtureRepo, GitHttpServer, FIXTURE_SERVICES};
use nsm_worker::git::{shallow_clone, GitError};
use nsm_worker::Host;

fn source(url: &str, token: Option<&str>) -> RepoSource {
    RepoSource { url: url.to_owned(), branch: "main".to_owned(), token: token.map(str::to_owned) }
}

fn two_commits(repo: &FixtureRepo) -> TestResult<String> {
    repo.commit(&[("a.txt", "one\n")], "first")?;
    Ok(repo.commit(&[("a.txt", "two\n"), ("dir/b.txt", "b\n")], "second")?)
}

async fn clone(source: &RepoSource) -> Result<(tempfile::TempDir, String), GitError> {
    let dir = tempfile::tempdir().map_err(|e| GitError::Task(e.to_string()))?;
    let commit = shallow_clone(source, &dir.path().join("checkout"), Arc::new(AtomicBool::new(false))).await?;
    Ok((dir, commit))
}

#[tokio::test]
async fn clones_file_urls_and_local_paths_shallowly() -> TestResult {
    let repo = FixtureRepo::new()?;
    let head = two_commits(&repo)?;
    for url in [repo.file_url(), repo.path().display().to_string()] {
        let (dir, commit) = clone(&source(&url, None)).await?;
        assert_eq!(commit, head, "{url}");
        let checkout = dir.path().join("checkout");
        assert_eq!(std::fs::read_to_string(checkout.join("a.txt"))?, "two\n");
        assert_eq!(std::fs::read_to_string(checkout.join("dir/b.txt"))?, "b\n");
        let shallow = std::fs::read_to_string(checkout.join(".git/shallow"))?;
        assert_eq!(shallow.trim(), head, "depth 1: the only commit is a shallow boundary");
    }
    Ok(())
}

#[tokio::test]
async fn clones_over_smart_http() -> TestResult {
    let repo = FixtureRepo::new()?;
    let head = two_commits(&repo)?;
    let server = GitHttpServer::start(repo.path().parent().ok_or("no parent")?)?;
    let (dir, commit) = clone(&source(&server.url(repo.name()), None)).await?;
    assert_eq!(commit, head);
    assert_eq!(std::fs::read_to_string(dir.path().join("checkout/a.txt"))?, "two\n");
    Ok(())
}

#[tokio::test]
async fn a_token_authenticates_and_never_shows_in_errors() -> TestResult {
    const TOKEN: &str = "ghp_s3cret-token-value";
    let repo = FixtureRepo::new()?;
    let head = two_commits(&repo)?;
    let server =
        GitHttpServer::start_with_basic_auth(repo.path().parent().ok_or("no parent")?, "x-access-token", TOKEN)?;
    let url = server.url(repo.name());

    let (_dir, commit) = clone(&source(&url, Some(TOKEN))).await?;
    assert_eq!(commit, head, "the token is sent as basic auth");

    let error = clone(&source(&url, None)).await.err().ok_or("cloned without credentials")?;
    assert!(matches!(error, GitError::AuthenticationRequired(_)), "{error}");

    let wrong = "ghp_wrong-token-value";
    let error = clone(&source(&url, Some(wrong))).await.err().ok_or("cloned with a wrong token")?;
    assert!(!error.to_string().contains(wrong), "{error}");

    // Embedded in the URL, the password is used as credentials and kept out of messages.
    let embedded = url.replace("http://", &format!("http://x-access-token:{wrong}@"));
    let error = clone(&source(&embedded, None)).await.err().ok_or("cloned with a wrong token")?;
    assert!(!error.to_string().contains(wrong), "{error}");
    assert!(!format!("{error:?}").contains(wrong), "{error:?}");
    Ok(())
}

#[tokio::test]
async fn a_token_is_not_sent_over_plain_http_to_other_hosts() -> TestResult {
    let error = clone(&source("http://example.invalid/o/r.git", Some("ghp_abcdefgh"))).await.err();
    assert!(matches!(error, Some(GitError::InsecureToken(_))), "{error:?}");
    Ok(())
}

#[tokio::test]
async fn a_missing_branch_is_a_clear_error() -> TestResult {
    let repo = FixtureRepo::new()?;
    two_commits(&repo)?;
    let mut wanted = source(&repo.file_url(), None);
    wanted.branch = "does-not-exist".to_owned();
    let error = clone(&wanted).await.err().ok_or("cloned a missing branch")?;
    let text = error.to_string();
    assert!(text.contains("does-not-exist"), "{text}");
    Ok(())
}

#[tokio::test]
async fn sync_reports_commit_services_and_variables() -> TestResult {
    let repo = FixtureRepo::new()?;
    let files = fixture_app_files(&FixtureApp::default());
    let mut borrowed: Vec<(&str, &str)> = files.iter().map(|(n, c)| (n.as_str(), c.as_str())).collect();
    borrowed.push((".env.example", "EXTRA_SETTING=1\n"));
    let head = repo.commit(&borrowed, "app")?;
    let server = GitHttpServer::start(repo.path().parent().ok_or("no parent")?)?;

    let data = tempfile::tempdir()?;
    let host =
        Host::detect(WorkerId::parse("sync-node")?, data.path().to_owned(), &nsm_worker::EdgeConfig::off()).await?;
    let report = host.sync(&source(&server.url(repo.name()), None)).await?;
    assert_eq!(report.commit, head);
    assert_eq!(report.discovery.compose_file.as_deref(), Some("compose.yaml"));
    let services: Vec<&str> = report.discovery.services.iter().map(|s| s.as_str()).collect();
    assert_eq!(services, FIXTURE_SERVICES);
    let variables: Vec<&str> = report.discovery.variables.iter().map(|v| v.as_str()).collect();
    assert_eq!(variables, ["API_PORT", "EXTRA_SETTING", "GREETING", "WEB_PORT"]);
    let leftovers = std::fs::read_dir(data.path().join("tmp"))?.count();
    assert_eq!(leftovers, 0, "the sync checkout is deleted");

    let missing = host.sync(&source(&server.url("no-such-repo"), None)).await;
    assert!(missing.is_err());
    Ok(())
}
