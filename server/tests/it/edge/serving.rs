//! A deployed project reached through the managed nginx, for every resource type:
//! Static Page at `/` and at a non-root path, SPA fallback, API Service (HTTP and a
//! WebSocket echo), Redirect Link, Custom. The app's containers build locally.

use std::time::Duration;

use nsm_testkit::deployment_log_text as log_text;
use nsm_testkit::{docker_or_skip, nginx_or_skip, FixtureRepo};

use super::super::common::ComposeCleanup;
use super::support::{browser, edge_settings, start_with_edge, websocket_echo};
use super::{add_resource, reference, resource_id};

const HOST: &str = "shop.nsm.test";

/// A WebSocket echo in busybox sh, one connection per run (`nc -ll -e`): the
/// handshake, then every short text frame sent back unmasked.
const WS_ECHO: &str = r#"#!/bin/sh
key=""
while IFS= read -r line; do
  line=$(printf '%s' "$line" | tr -d '\r')
  [ -z "$line" ] && break
  case "$line" in
    [Ss]ec-[Ww]eb[Ss]ocket-[Kk]ey:*) key=$(printf '%s' "${line#*:}" | tr -d ' ') ;;
  esac
done
accept=$(printf '%s' "${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11" | sha1sum | cut -d' ' -f1 | xxd -r -p | base64)
printf 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n' "$accept"
while :; do
  set -- $(dd bs=1 count=2 2>/dev/null | od -An -tu1)
  [ $# -eq 2 ] || exit 0
  op=$(( $1 & 15 )); len=$(( $2 & 127 ))
  [ "$op" -eq 8 ] && exit 0
  set -- $(dd bs=1 count=4 2>/dev/null | od -An -tu1)
  m0=$1; m1=$2; m2=$3; m3=$4
  out=""; i=0
  for b in $(dd bs=1 count=$len 2>/dev/null | od -An -tu1 -v); do
    case $(( i % 4 )) in 0) m=$m0 ;; 1) m=$m1 ;; 2) m=$m2 ;; *) m=$m3 ;; esac
    out="$out\\$(printf '%03o' $(( b ^ m )))"
    i=$(( i + 1 ))
  done
  printf "\\201\\$(printf '%03o' "$len")$out"
done
"#;

fn app_files() -> Vec<(&'static str, String)> {
    let compose = r#"services:
  site:
    build: .
    init: true
    command: ["sh", "-c", "cp -r /srv/root/. /out/root/ && cp -r /srv/docs/. /out/docs/ && cp -r /srv/app/. /out/app/ && exec sleep 3600"]
    volumes:
      - "${ROOT_DIR}:/out/root"
      - "${DOCS_DIR}:/out/docs"
      - "${APP_DIR}:/out/app"
  api:
    build: .
    init: true
    command: ["httpd", "-f", "-p", "8081", "-h", "/srv/apiroot"]
    ports:
      - "127.0.0.1:${API_PORT}:8081"
  ws:
    build: .
    init: true
    command: ["nc", "-ll", "-p", "8082", "-e", "/srv/ws.sh"]
    ports:
      - "127.0.0.1:${WS_PORT}:8082"
"#;
    let dockerfile = format!(
        "FROM {}\nCOPY root /srv/root\nCOPY docs /srv/docs\nCOPY app /srv/app\nCOPY apiroot /srv/apiroot\n\
         COPY ws.sh /srv/ws.sh\nRUN chmod 0755 /srv/ws.sh\n",
        nsm_testkit::BUSYBOX_IMAGE
    );
    vec![
        ("compose.yaml", compose.to_owned()),
        ("Dockerfile", dockerfile),
        ("root/index.html", "ROOT PAGE".to_owned()),
        ("root/style.css", "body{}".to_owned()),
        ("docs/index.html", "DOCS INDEX".to_owned()),
        ("docs/guide.txt", "THE GUIDE".to_owned()),
        ("app/index.html", "SPA SHELL".to_owned()),
        ("apiroot/api/hello.txt", "HELLO FROM THE API".to_owned()),
        ("ws.sh", WS_ECHO.to_owned()),
    ]
}

/// GETs until the body is what is expected (containers copy files as they start).
async fn eventually(client: &reqwest::Client, url: &str, expected: &str) {
    nsm_testkit::eventually(Duration::from_secs(30), Duration::from_millis(300), || async move {
        let got = match client.get(url).send().await {
            Ok(r) => format!("{} {}", r.status().as_u16(), r.text().await.unwrap_or_default()),
            Err(e) => e.to_string(),
        };
        if got == format!("200 {expected}") {
            return Ok(());
        }
        Err(format!("{url}: expected {expected:?}, got {got:?}"))
    })
    .await
}

#[tokio::test]
async fn every_resource_type_is_served_through_nginx() {
    let Some(nginx) = nginx_or_skip() else { return };
    if !docker_or_skip() {
        return;
    }
    let temp = tempfile::tempdir().expect("temp");
    let edge = edge_settings(&nginx);
    let (http, https) = (edge.http_port.unwrap_or_default(), edge.https_port.unwrap_or_default());
    let s = start_with_edge(temp.path().to_path_buf(), edge).await;
    s.setup_admin().await;
    s.worker_online("local", Duration::from_secs(20)).await;

    let repo = FixtureRepo::new().expect("repo");
    let files = app_files();
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, c)| (*p, c.as_str())).collect();
    repo.commit(&refs, "edge fixture").expect("commit");
    let id = s.create_project_from("it-edge", &repo.file_url()).await;
    let _cleanup = ComposeCleanup(id.clone());

    let (status, body) = s.call_json("add_domain", &[("id", &id), ("hostname", HOST)]).await;
    assert!(status.is_success(), "{body}");
    for (path, fields) in [
        ("/", vec![("kind", "static")]),
        ("/docs", vec![("kind", "static")]),
        ("/app/", vec![("kind", "static"), ("spa", "on")]),
        ("/api", vec![("kind", "api"), ("timeout_secs", "30"), ("max_body", "1m")]),
        ("/ws", vec![("kind", "api"), ("websocket", "on")]),
        ("/old", vec![("kind", "redirect"), ("target", "https://example.com/new-place?x=1")]),
        ("/custom", vec![("kind", "custom"), ("body", "default_type text/plain;\nreturn 200 \"custom ok\";")]),
        ("/whoami", vec![("kind", "custom"), ("body", "default_type text/plain;\nreturn 200 \"$remote_addr\";")]),
    ] {
        add_resource(&s, &id, HOST, path, &fields).await;
    }
    for (name, kind, path) in [
        ("ROOT_DIR", "directory", "/"),
        ("DOCS_DIR", "directory", "/docs"),
        ("APP_DIR", "directory", "/app/"),
        ("API_PORT", "port", "/api"),
        ("WS_PORT", "port", "/ws"),
    ] {
        reference(&s, &id, name, kind, resource_id(&s, &id, HOST, path).await).await;
    }

    let deployment = s.deploy(&id).await;
    let detail = s.wait_end(deployment, Duration::from_secs(240)).await;
    let log = log_text(&detail);
    assert_eq!(detail["summary"]["state"], "succeeded", "{log}");
    assert!(log.contains("edge: nginx configuration for shop.nsm.test checked (nginx -t)"), "{log}");
    assert!(log.contains("edge: nginx -t passed, nginx reloaded"), "{log}");

    let client = browser(&[HOST], https);
    let url = |path: &str| format!("https://{HOST}:{https}{path}");
    // Static Page at /, and at /docs with alias semantics (files at the directory root).
    eventually(&client, &url("/"), "ROOT PAGE").await;
    eventually(&client, &url("/style.css"), "body{}").await;
    eventually(&client, &url("/docs/guide.txt"), "THE GUIDE").await;
    eventually(&client, &url("/docs/"), "DOCS INDEX").await;
    let missing = client.get(url("/docs/nope.txt")).send().await.expect("request");
    assert_eq!(missing.status().as_u16(), 404);
    // SPA: any path under /app/ falls back to that resource's own index.html.
    eventually(&client, &url("/app/deep/client/route"), "SPA SHELL").await;
    // API Service: proxied with the path unchanged.
    eventually(&client, &url("/api/hello.txt"), "HELLO FROM THE API").await;
    // API Service with WebSocket upgrade: an echo through nginx.
    let echo = websocket_echo(HOST, https, "/ws/echo", "ping through nginx").await;
    assert_eq!(echo.as_deref(), Ok("ping through nginx"));
    // Redirect Link: 302 with its Location.
    let redirect = client.get(url("/old")).send().await.expect("request");
    assert_eq!(redirect.status().as_u16(), 302);
    assert_eq!(redirect.headers()["location"], "https://example.com/new-place?x=1");
    // Custom: the admin's location body.
    eventually(&client, &url("/custom"), "custom ok").await;
    // Behind the edge's stream front, nginx still sees the client's own address.
    eventually(&client, &url("/whoami"), "127.0.0.1").await;
    // Plain HTTP goes to HTTPS, with the port.
    let plain = browser(&[HOST], http).get(format!("http://{HOST}:{http}/docs/guide.txt")).send().await.expect("http");
    assert_eq!(plain.status().as_u16(), 301);
    assert_eq!(plain.headers()["location"], format!("https://{HOST}:{https}/docs/guide.txt").as_str());

    // Tearing the project down stops serving it.
    let (status, body) = s.call_json("teardown_project", &[("id", &id)]).await;
    assert!(status.is_success(), "{body}");
    // A reload is asynchronous: an old nginx worker may still answer a kept-alive
    // connection for a moment, so each try opens a new one.
    nsm_testkit::eventually(Duration::from_secs(30), Duration::from_millis(200), || async {
        let fresh = browser(&[HOST], https);
        match fresh.get(url("/custom")).send().await {
            Ok(r) if r.status().as_u16() == 404 => Ok(()),
            Ok(r) => Err(format!("the default server should answer 404 for an unpublished name, got {}", r.status())),
            Err(e) => Err(e.to_string()),
        }
    })
    .await;
}
