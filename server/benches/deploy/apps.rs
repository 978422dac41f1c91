//! The bench's repositories: the testkit's fixture app (both services rebuild each
//! round), a three-service app of which one service changes each round, and a
//! repository with a long, heavy history (1,000 commits, ~50 MB) for the fetch path.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use nsm_testkit::{fixture_app_files, FixtureApp, FixtureRepo, BUSYBOX_IMAGE};

pub fn commit_files(repo: &FixtureRepo, files: &[(String, String)], message: &str) {
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    repo.commit(&refs, message).unwrap();
}

/// The fixture app with a page naming the round: every service rebuilds.
pub fn fixture_round(repo: &FixtureRepo, round: usize) {
    let files = fixture_app_files(&FixtureApp { page: format!("round {round}"), ..FixtureApp::default() });
    commit_files(repo, &files, &format!("round {round}"));
}

/// `db` (an image), `web` and `api` (each built from its own directory); `api`'s page
/// names the round, so only `api` changes from one round to the next.
pub fn three_services(tag: &str, round: usize) -> Vec<(String, String)> {
    let compose = format!(
        r#"services:
  db:
    image: {BUSYBOX_IMAGE}
    init: true
    command: ["sleep", "3600"]
  web:
    build: ./web
    init: true
    command: ["httpd", "-f", "-p", "8080", "-h", "/srv"]
  api:
    build: ./api
    init: true
    command: ["httpd", "-f", "-p", "8081", "-h", "/srv"]
"#
    );
    let dockerfile = format!("FROM {BUSYBOX_IMAGE}\nCOPY index.html /srv/index.html\n");
    vec![
        ("compose.yaml".to_owned(), compose),
        ("web/Dockerfile".to_owned(), dockerfile.clone()),
        ("web/index.html".to_owned(), format!("web {tag}\n")),
        ("api/Dockerfile".to_owned(), dockerfile),
        ("api/index.html".to_owned(), format!("api {tag} round {round}\n")),
    ]
}

/// One service built from `web/`, whose page names the round.
pub fn one_service(tag: &str, round: usize) -> Vec<(String, String)> {
    let compose = "services:\n  web:\n    build: ./web\n    init: true\n    command: [\"httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/srv\"]\n";
    vec![
        ("compose.yaml".to_owned(), compose.to_owned()),
        ("web/Dockerfile".to_owned(), format!("FROM {BUSYBOX_IMAGE}\nCOPY index.html /srv/index.html\n")),
        ("web/index.html".to_owned(), format!("web {tag} round {round}\n")),
    ]
}

/// A repository `parent/name` whose `main` has `commits` commits, each rewriting one of
/// `files` incompressible files of `bytes` bytes under `data/` (history ≈ commits ×
/// bytes; the tip holds files × bytes), written with `git fast-import`.
pub fn heavy_history(parent: &Path, name: &str, commits: usize, files: usize, bytes: usize) -> FixtureRepo {
    let repo = FixtureRepo::create_in(parent, name).unwrap();
    let mut import =
        git(repo.path()).args(["fast-import", "--quiet"]).stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    let mut stream = std::io::BufWriter::new(import.stdin.take().unwrap());
    let mut random = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut blob = vec![0u8; bytes];
    for i in 0..commits {
        random.fill(&mut blob);
        writeln!(stream, "blob\nmark :{}\ndata {}", 2 * i + 1, blob.len()).unwrap();
        stream.write_all(&blob).unwrap();
        writeln!(stream).unwrap();
        let message = format!("history {i}");
        writeln!(stream, "commit refs/heads/main\nmark :{}", 2 * i + 2).unwrap();
        writeln!(stream, "committer NSM Bench <bench@nsm.invalid> {} +0000", 1_700_000_000 + i).unwrap();
        writeln!(stream, "data {}\n{message}", message.len()).unwrap();
        if i > 0 {
            writeln!(stream, "from :{}", 2 * i).unwrap();
        }
        writeln!(stream, "M 100644 :{} data/file-{:03}.bin\n", 2 * i + 1, i % files).unwrap();
    }
    drop(stream);
    assert!(import.wait().unwrap().success(), "git fast-import failed");
    let status = git(repo.path()).args(["reset", "--hard", "--quiet", "main"]).status().unwrap();
    assert!(status.success());
    repo
}

/// Bytes the repository's objects take (its history, packed or loose).
pub fn history_bytes(repo: &Path) -> u64 {
    fn walk(dir: &Path) -> u64 {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| {
                        let path = e.path();
                        if path.is_dir() {
                            walk(&path)
                        } else {
                            e.metadata().map(|m| m.len()).unwrap_or(0)
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(&repo.join(".git/objects"))
}

fn git(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command.arg("-C").arg(dir).env("GIT_CONFIG_NOSYSTEM", "1").env("GIT_CONFIG_GLOBAL", "/dev/null");
    command
}

/// Incompressible bytes, the same every run.
struct XorShift(u64);

impl XorShift {
    fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            let bytes = self.0.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}
