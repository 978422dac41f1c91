//! The front end's files as the browser gets them: the precompressed copy its
//! `Accept-Encoding` allows, cached for a year under a content-hashed name, while pages
//! are revalidated every time and name the files of the current build.

use std::path::{Path, PathBuf};

use nsm_server::Settings;
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, VARY};
use reqwest::Response;

use super::common::TestServer;

const JS: &str = "0123456789abcdef";
const WASM: &str = "fedcba9876543210";
const CSS: &str = "00112233aabbccdd";

/// What `scripts/build-site.sh` lays out, each copy saying what it is.
fn built_site(dir: &Path) -> PathBuf {
    let root = dir.join("site");
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).expect("pkg dir");
    for name in [format!("nsm.{JS}.js"), format!("nsm.{WASM}.wasm"), format!("nsm.{CSS}.css")] {
        std::fs::write(pkg.join(&name), format!("plain {name}")).expect("file");
        std::fs::write(pkg.join(format!("{name}.br")), format!("brotli {name}")).expect("br");
        std::fs::write(pkg.join(format!("{name}.gz")), format!("gzip {name}")).expect("gz");
    }
    std::fs::write(pkg.join("unhashed.css"), "plain").expect("unhashed");
    std::fs::write(root.join("hash.txt"), format!("js: {JS}\nwasm: {WASM}\ncss: {CSS}\n")).expect("hash.txt");
    root
}

async fn start(root: PathBuf, data: PathBuf) -> TestServer {
    let mut settings = Settings::for_data_dir(data);
    settings.no_local_worker = true;
    settings.site_root = Some(root);
    TestServer::start_with(settings).await
}

async fn fetch(s: &TestServer, path: &str, accept: Option<&str>) -> Response {
    let mut request = s.client.get(s.url(path));
    if let Some(accept) = accept {
        request = request.header(ACCEPT_ENCODING, accept);
    }
    let response = request.send().await.expect("request");
    assert!(response.status().is_success(), "{path} with {accept:?}: {}", response.status());
    response
}

fn header(response: &Response, name: reqwest::header::HeaderName) -> Option<&str> {
    response.headers().get(name).map(|value| value.to_str().expect("ascii header"))
}

#[tokio::test]
async fn pkg_files_are_sent_precompressed_as_asked_and_cached_for_a_year() {
    let temp = tempfile::tempdir().expect("temp");
    let s = start(built_site(temp.path()), temp.path().join("data")).await;
    let wasm = format!("nsm.{WASM}.wasm");
    let path = format!("/pkg/{wasm}");

    // What Chromium sends: brotli wins over gzip (and over zstd, which has no copy).
    for (accept, encoding, body) in [
        (Some("br"), Some("br"), format!("brotli {wasm}")),
        (Some("gzip, deflate, br, zstd"), Some("br"), format!("brotli {wasm}")),
        (Some("gzip"), Some("gzip"), format!("gzip {wasm}")),
        (Some("gzip, deflate"), Some("gzip"), format!("gzip {wasm}")),
        (None, None, format!("plain {wasm}")),
        (Some("identity"), None, format!("plain {wasm}")),
    ] {
        let response = fetch(&s, &path, accept).await;
        assert_eq!(header(&response, CONTENT_ENCODING), encoding, "{accept:?}");
        assert_eq!(header(&response, CONTENT_TYPE), Some("application/wasm"), "{accept:?}");
        assert_eq!(header(&response, CACHE_CONTROL), Some("public, max-age=31536000, immutable"), "{accept:?}");
        assert_eq!(header(&response, VARY), Some("accept-encoding"), "{accept:?}");
        assert_eq!(response.text().await.expect("body"), body, "{accept:?}");
    }

    let js = fetch(&s, &format!("/pkg/nsm.{JS}.js"), Some("gzip")).await;
    assert_eq!(header(&js, CONTENT_ENCODING), Some("gzip"));
    assert_eq!(header(&js, CONTENT_TYPE), Some("text/javascript"));
    let css = fetch(&s, &format!("/pkg/nsm.{CSS}.css"), Some("br")).await;
    assert_eq!(header(&css, CONTENT_ENCODING), Some("br"));
    assert_eq!(header(&css, CONTENT_TYPE), Some("text/css"));

    // A name without a hash may change under it: stored, but checked each time.
    let unhashed = fetch(&s, "/pkg/unhashed.css", Some("br")).await;
    assert_eq!(header(&unhashed, CONTENT_ENCODING), None, "no copy, sent as it is");
    assert_eq!(header(&unhashed, CACHE_CONTROL), Some("no-cache"));

    s.server.expect("running").shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn pages_are_revalidated_and_name_the_hashed_files() {
    let temp = tempfile::tempdir().expect("temp");
    let s = start(built_site(temp.path()), temp.path().join("data")).await;

    let page = fetch(&s, "/setup", Some("gzip, deflate, br")).await;
    assert_eq!(header(&page, CACHE_CONTROL), Some("no-cache"));
    assert!(header(&page, CONTENT_TYPE).is_some_and(|t| t.starts_with("text/html")));
    let html = page.text().await.expect("html");
    for name in [format!("/pkg/nsm.{JS}.js"), format!("/pkg/nsm.{WASM}.wasm"), format!("/pkg/nsm.{CSS}.css")] {
        assert!(html.contains(&name), "the page names {name}: {html}");
    }

    s.server.expect("running").shutdown().await.expect("clean shutdown");
}
