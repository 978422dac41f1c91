//! A real nginx serving a rendered configuration, asked over real HTTP(S) with curl:
//! the behaviour design §6 promises (alias semantics, SPA fallback to the resource's
//! own index.html, 302 redirects, proxying with forwarding headers, CORS, HTTPS
//! redirect with the port, ACME challenges), and each hostname's own certificate chosen
//! at handshake. Skipped (with a note) without nginx or curl, and failed instead when
//! `NSM_REQUIRE_SERVICES` is set.

// A test crate: a failed unwrap is a failed test, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use nsm_core::edge::{render_nginx, ListenPorts, ServerCertificates};
use nsm_testkit::{free_port, nginx_or_skip};

/// Stops the nginx this test started. SIGTERM, not SIGKILL: the master then stops its
/// workers, which SIGKILL would leave running.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

/// An upstream that answers every request with its own request head.
fn echo_backend() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                head.push_str(&line);
                line.clear();
            }
            let response =
                format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}", head.len());
            let _ = reader.get_mut().write_all(response.as_bytes());
        }
    });
    port
}

struct Response {
    status: u16,
    headers: String,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

fn curl(url: &str, extra: &[&str], resolve: &[String]) -> Response {
    let mut cmd = Command::new("curl");
    cmd.args(["-sk", "--path-as-is", "-i", "--max-time", "5"]);
    for r in resolve {
        cmd.arg("--resolve").arg(r);
    }
    let out = cmd.args(extra).arg(url).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    let (headers, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let status = headers.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Response { status, headers: headers.to_owned(), body: body.to_owned() }
}

/// The subject of the certificate served for `url`, as curl reports it.
fn served_subject(url: &str, resolve: &[String]) -> String {
    let mut cmd = Command::new("curl");
    cmd.args(["-vsk", "-o", "/dev/null", "--max-time", "5"]);
    for r in resolve {
        cmd.arg("--resolve").arg(r);
    }
    let out = cmd.arg(url).output().unwrap();
    let verbose = String::from_utf8_lossy(&out.stderr);
    let subject = verbose.lines().find_map(|l| l.trim_start_matches(['*', ' ']).strip_prefix("subject: "));
    subject.unwrap_or_else(|| panic!("no certificate subject for {url}:\n{verbose}")).trim().to_owned()
}

#[test]
fn nginx_serves_what_the_configuration_says() {
    let Some(nginx) = nginx_or_skip() else { return };
    if !nsm_testkit::command_or_skip("curl") {
        return;
    }
    let prefix = Prefix::new(nginx);
    let backend = echo_backend();
    let (http, https) = (free_port(), free_port());
    let mut input = site(
        &prefix,
        "shop",
        &[(1, "shop.test"), (2, "empty.test"), (3, "*.wild.test")],
        vec![
            resource(1, 1, "/", static_page(true, &[])),
            resource(2, 1, "/docs", static_page(false, &["https://a.example.com", "https://b.example.com"])),
            resource(3, 1, "/app/", static_page(true, &["*"])),
            resource(4, 1, "/api", api(true, 30, "1k")),
            resource(5, 1, "/old", redirect("https://new.example/landing")),
            resource(6, 1, "/raw", custom("default_type text/plain;\nreturn 200 \"custom}\";")),
        ],
    );
    input.ports.insert(4, backend);
    input.listen = ListenPorts { http, https };
    // As NSM's own nginx does it: the certificate map, not a file per server.
    input.certificates = ServerCertificates::AtHandshake;
    for (id, file, text) in [
        (1, "index.html", "ROOT"),
        (1, "style.css", "CSS"),
        (2, "index.html", "DOCS"),
        (2, "guide.txt", "GUIDE"),
        (3, "index.html", "APP"),
    ] {
        std::fs::write(format!("{}/{file}", input.directories[&id]), text).unwrap();
    }
    let challenge = prefix.path().join("acme/.well-known/acme-challenge");
    std::fs::create_dir_all(&challenge).unwrap();
    std::fs::write(challenge.join("tok123"), "TOKEN").unwrap();

    let frame = prefix.handshake_frame(https, &["shop.test", "empty.test", "*.wild.test"]);
    let conf = prefix.write_with(&frame, &[("shop", &render_nginx(&input).unwrap())]);
    let child = Command::new(&prefix.nginx)
        .arg("-p")
        .arg(prefix.path())
        .arg("-c")
        .arg(&conf)
        .args(["-g", "daemon off;"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _running = Running(child);
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", https)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(10), "nginx did not start");
        std::thread::sleep(Duration::from_millis(50));
    }

    let resolve: Vec<String> = ["shop.test", "empty.test", "a.wild.test"]
        .iter()
        .flat_map(|h| [format!("{h}:{http}:127.0.0.1"), format!("{h}:{https}:127.0.0.1")])
        .collect();
    let get = |path: &str, extra: &[&str]| curl(&format!("https://shop.test:{https}{path}"), extra, &resolve);
    let body = |path: &str| {
        let r = get(path, &[]);
        (r.status, r.body)
    };

    // Each hostname gets its own certificate, a wildcard's included; a handshake
    // without a known name gets the default one.
    for (host, subject) in [("shop.test", "shop.test"), ("empty.test", "empty.test"), ("a.wild.test", "*.wild.test")] {
        assert_eq!(served_subject(&format!("https://{host}:{https}/"), &resolve), format!("CN={subject}"), "{host}");
    }
    assert_eq!(served_subject(&format!("https://127.0.0.1:{https}/"), &[]), "CN=default");

    // Static Page at / with SPA: files, and its own index.html for unknown paths.
    assert_eq!(body("/"), (200, "ROOT".into()));
    assert_eq!(body("/style.css"), (200, "CSS".into()));
    assert_eq!(body("/client/side/route"), (200, "ROOT".into()));
    // Static Page at /docs: alias semantics, no SPA, bare path redirected relatively.
    assert_eq!(body("/docs/guide.txt"), (200, "GUIDE".into()));
    assert_eq!(body("/docs/"), (200, "DOCS".into()));
    assert_eq!(get("/docs/missing", &[]).status, 404);
    let bare = get("/docs?x=1", &[]);
    assert_eq!((bare.status, bare.header("Location")), (301, Some("/docs/?x=1")));
    // Siblings and traversal attempts never reach the docs directory.
    assert_eq!(body("/docsx"), (200, "ROOT".into()));
    assert_ne!(body("/docs../docs/guide.txt").1, "GUIDE");
    assert_eq!(body("/docs/../style.css"), (200, "CSS".into()));
    // SPA on a sub-path falls back to its own index.html.
    assert_eq!(body("/app/deep/link"), (200, "APP".into()));
    assert_eq!(body("/app/"), (200, "APP".into()));
    // CORS: an explicit list echoes listed origins only; * for everyone.
    let cors = |path: &str, origin: &str| {
        get(path, &["-H", &format!("Origin: {origin}")]).header("Access-Control-Allow-Origin").map(str::to_owned)
    };
    assert_eq!(cors("/docs/guide.txt", "https://b.example.com").as_deref(), Some("https://b.example.com"));
    assert_eq!(cors("/docs/guide.txt", "https://evil.example"), None);
    assert_eq!(cors("/app/", "https://evil.example").as_deref(), Some("*"));
    assert_eq!(cors("/", "https://a.example.com"), None);
    // API Service: the URI unchanged, forwarding headers, the bare path proxied too.
    let api = get("/api/users?id=7", &[]);
    assert_eq!(api.status, 200);
    assert!(api.body.starts_with("GET /api/users?id=7 HTTP/1.1\n"), "{}", api.body);
    for header in ["Host: shop.test", "X-Real-IP: 127.0.0.1", "X-Forwarded-For: 127.0.0.1", "X-Forwarded-Proto: https"]
    {
        assert!(api.body.contains(header), "{header} missing from:\n{}", api.body);
    }
    let post = get("/api", &["-X", "POST", "-d", "x"]);
    assert!(post.body.starts_with("POST /api HTTP/1.1\n"), "{}", post.body);
    let ws = get("/api/socket", &["-H", "Upgrade: websocket", "-H", "Connection: Upgrade"]);
    assert!(ws.body.contains("Upgrade: websocket") && ws.body.contains("Connection: upgrade"), "{}", ws.body);
    assert_eq!(get("/api/upload", &["-X", "POST", "--data-binary", &"x".repeat(2048)]).status, 413);
    // Redirect Link: 302, for the path and below.
    for path in ["/old", "/old/page"] {
        let r = get(path, &[]);
        assert_eq!((r.status, r.header("Location")), (302, Some("https://new.example/landing")), "{path}");
    }
    // Custom: the admin's block.
    assert_eq!(body("/raw"), (200, "custom}".into()));
    // A hostname without a resource at / answers 404, not a default page.
    assert_eq!(curl(&format!("https://empty.test:{https}/"), &[], &resolve).status, 404);
    // HTTP: ACME challenges answered, everything else sent to HTTPS with its port.
    let acme = curl(&format!("http://shop.test:{http}/.well-known/acme-challenge/tok123"), &[], &resolve);
    assert_eq!((acme.status, acme.body.as_str()), (200, "TOKEN"));
    let upgrade = curl(&format!("http://shop.test:{http}/docs/guide.txt?a=b"), &[], &resolve);
    let location = format!("https://shop.test:{https}/docs/guide.txt?a=b");
    assert_eq!((upgrade.status, upgrade.header("Location")), (301, Some(location.as_str())));
}
