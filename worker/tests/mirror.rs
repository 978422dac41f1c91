//! The project's bare mirror: deployments fetch into it (only what it lacks), check the
//! branch's tip out without a `.git`, follow force-pushes and branch switches, and keep
//! the token handling of clones.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use common::TestResult;
use nsm_core::protocol::RepoSource;
use nsm_testkit::{FixtureRepo, GitHttpServer};
use nsm_worker::git::{fetch_checkout, Fetched, GitError};

fn source(url: &str, branch: &str, token: Option<&str>) -> RepoSource {
    RepoSource { url: url.to_owned(), branch: branch.to_owned(), token: token.map(str::to_owned) }
}

async fn fetch(source: &RepoSource, mirror: &Path, dest: &Path) -> Result<Fetched, GitError> {
    fetch_checkout(source, mirror, dest, Arc::new(AtomicBool::new(false))).await
}

fn git(repo: &FixtureRepo, args: &[&str]) -> TestResult<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(repo.path())
        .args(["-c", "user.name=T", "-c", "user.email=t@nsm.invalid", "-c", "commit.gpgsign=false"])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()?;
    if !output.status.success() {
        return Err(format!("git {args:?}: {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Twenty files, so that a later one-file change is a small part of what the first
/// fetch brought.
fn twenty_files(repo: &FixtureRepo) -> TestResult<String> {
    let files: Vec<(String, String)> = (0..20).map(|i| (format!("f/{i}.txt"), format!("file {i}\n"))).collect();
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(n, c)| (n.as_str(), c.as_str())).collect();
    Ok(repo.commit(&borrowed, "twenty files")?)
}

#[tokio::test]
async fn a_second_fetch_reuses_the_mirror_and_follows_force_pushes_and_branches() -> TestResult {
    let repo = FixtureRepo::new()?;
    let first_commit = twenty_files(&repo)?;
    let work = tempfile::tempdir()?;
    let mirror = work.path().join("mirror.git");
    let main = source(&repo.file_url(), "main", None);

    let first = fetch(&main, &mirror, &work.path().join("one")).await?;
    assert_eq!((first.commit.as_str(), first.reused), (first_commit.as_str(), false));
    assert!(first.objects_received >= 22, "commit, trees and 20 blobs: {first:?}");
    assert_eq!(std::fs::read_to_string(work.path().join("one/f/3.txt"))?, "file 3\n");
    assert!(!work.path().join("one/.git").exists(), "a checkout of the files only");
    assert!(mirror.join("HEAD").is_file(), "a bare mirror");

    // One file changes: only the new objects come over.
    let second_commit = repo.commit(&[("f/3.txt", "changed\n")], "one file")?;
    let second = fetch(&main, &mirror, &work.path().join("two")).await?;
    assert_eq!((second.commit.as_str(), second.reused), (second_commit.as_str(), true));
    assert!(
        second.objects_received > 0 && second.objects_received * 3 < first.objects_received,
        "the new commit, its trees and the changed blob, not the whole tree again: {second:?} after {first:?}"
    );
    assert_eq!(std::fs::read_to_string(work.path().join("two/f/3.txt"))?, "changed\n");
    assert_eq!(std::fs::read_to_string(work.path().join("two/f/4.txt"))?, "file 4\n");

    // Nothing new: nothing received, same commit.
    let again = fetch(&main, &mirror, &work.path().join("three")).await?;
    assert_eq!((again.commit.as_str(), again.objects_received), (second_commit.as_str(), 0));

    // Force-pushed: the branch now points at a commit that does not descend from the one
    // fetched; the new one is deployed.
    git(&repo, &["reset", "--hard", "--quiet", &first_commit])?;
    let rewritten = repo.commit(&[("f/3.txt", "rewritten\n")], "rewritten history")?;
    assert_ne!(rewritten, second_commit);
    let forced = fetch(&main, &mirror, &work.path().join("four")).await?;
    assert_eq!(forced.commit, rewritten);
    assert_eq!(std::fs::read_to_string(work.path().join("four/f/3.txt"))?, "rewritten\n");

    // Another branch, into the same mirror.
    git(&repo, &["checkout", "--quiet", "-b", "other"])?;
    let other_commit = repo.commit(&[("other.txt", "other branch\n")], "on other")?;
    git(&repo, &["checkout", "--quiet", "main"])?;
    let other = fetch(&source(&repo.file_url(), "other", None), &mirror, &work.path().join("five")).await?;
    assert_eq!(other.commit, other_commit);
    assert!(work.path().join("five/other.txt").exists());
    let back = fetch(&main, &mirror, &work.path().join("six")).await?;
    assert_eq!(back.commit, rewritten);
    assert!(!work.path().join("six/other.txt").exists());

    // A branch the remote does not have is an error naming it, even after others.
    let missing = fetch(&source(&repo.file_url(), "gone", None), &mirror, &work.path().join("seven")).await;
    let error = missing.err().ok_or("fetched a missing branch")?;
    assert!(error.to_string().contains("gone"), "{error}");
    Ok(())
}

#[tokio::test]
async fn a_damaged_mirror_is_made_afresh() -> TestResult {
    let repo = FixtureRepo::new()?;
    let head = twenty_files(&repo)?;
    let work = tempfile::tempdir()?;
    let mirror = work.path().join("mirror.git");
    let main = source(&repo.file_url(), "main", None);
    fetch(&main, &mirror, &work.path().join("one")).await?;
    // Its object store gone (a disk clean-up, an interrupted write): fetched again whole.
    std::fs::remove_dir_all(mirror.join("objects"))?;
    std::fs::write(mirror.join("shallow"), "0000000000000000000000000000000000000000\n")?;
    let again = fetch(&main, &mirror, &work.path().join("two")).await?;
    assert_eq!(again.commit, head);
    assert_eq!(std::fs::read_to_string(work.path().join("two/f/0.txt"))?, "file 0\n");
    Ok(())
}

#[tokio::test]
async fn the_mirror_fetches_over_smart_http_with_a_token_only() -> TestResult {
    const TOKEN: &str = "ghp_mirror-s3cret-value";
    let repo = FixtureRepo::new()?;
    let head = twenty_files(&repo)?;
    let server =
        GitHttpServer::start_with_basic_auth(repo.path().parent().ok_or("no parent")?, "x-access-token", TOKEN)?;
    let url = server.url(repo.name());
    let work = tempfile::tempdir()?;
    let mirror = work.path().join("mirror.git");

    let fetched = fetch(&source(&url, "main", Some(TOKEN)), &mirror, &work.path().join("one")).await?;
    assert_eq!(fetched.commit, head);

    let next = repo.commit(&[("f/1.txt", "next\n")], "next")?;
    let error = fetch(&source(&url, "main", None), &mirror, &work.path().join("two")).await.err();
    assert!(matches!(error, Some(GitError::AuthenticationRequired(_))), "{error:?}");
    let wrong = "ghp_wrong-mirror-token";
    let error = fetch(&source(&url, "main", Some(wrong)), &mirror, &work.path().join("three")).await.err();
    let error = error.ok_or("fetched with a wrong token")?;
    assert!(!format!("{error} {error:?}").contains(wrong), "{error:?}");

    let fetched = fetch(&source(&url, "main", Some(TOKEN)), &mirror, &work.path().join("four")).await?;
    assert_eq!((fetched.commit.as_str(), fetched.reused), (next.as_str(), true));
    Ok(())
}
