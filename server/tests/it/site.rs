//! Leptos.toml: the server finds its built front end through the file, `--site-root`
//! overrides it, and a malformed file stops the start with the file's name.

use std::path::Path;

use nsm_server::Settings;

use super::common::TestServer;

/// A site root with `pkg/nsm.css` saying `marker`.
fn site_with_css(dir: &Path, marker: &str) -> std::path::PathBuf {
    let root = dir.join(format!("site-{marker}"));
    std::fs::create_dir_all(root.join("pkg")).expect("pkg dir");
    std::fs::write(root.join("pkg/nsm.css"), format!("/* {marker} */")).expect("css");
    root
}

fn leptos_toml(dir: &Path, site_root: &Path) -> std::path::PathBuf {
    let path = dir.join("Leptos.toml");
    let text = format!(
        "[package.metadata.leptos]\noutput-name = \"nsm\"\nsite-root = \"{}\"\nsite-pkg-dir = \"pkg\"\n\
         site-addr = \"127.0.0.1:3000\"\nreload-port = 3001\n",
        site_root.display()
    );
    std::fs::write(&path, text).expect("Leptos.toml");
    path
}

async fn css(s: &TestServer) -> String {
    let response = s.client.get(s.url("/pkg/nsm.css")).send().await.expect("request");
    assert!(response.status().is_success(), "{}", response.status());
    response.text().await.expect("body")
}

#[tokio::test]
async fn the_site_root_comes_from_leptos_toml_and_the_flag_overrides_it() {
    let temp = tempfile::tempdir().expect("temp");
    let from_file = site_with_css(temp.path(), "from-leptos-toml");
    let from_flag = site_with_css(temp.path(), "from-the-flag");
    let config = leptos_toml(temp.path(), &from_file);

    let mut settings = Settings::for_data_dir(temp.path().join("data"));
    settings.no_local_worker = true;
    settings.leptos_config = config.clone();
    let s = TestServer::start_with(settings.clone()).await;
    assert_eq!(css(&s).await, "/* from-leptos-toml */");
    s.server.expect("running").shutdown().await.expect("clean shutdown");

    settings.site_root = Some(from_flag);
    let s = TestServer::start_with(settings).await;
    assert_eq!(css(&s).await, "/* from-the-flag */");
    s.server.expect("running").shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_malformed_leptos_toml_stops_the_start() {
    let temp = tempfile::tempdir().expect("temp");
    let config = temp.path().join("Leptos.toml");
    std::fs::write(&config, "[package.metadata.leptos]\nsite-root = [\"not\", \"a path\"\n").expect("write");
    let mut settings = Settings::for_data_dir(temp.path().join("data"));
    settings.no_local_worker = true;
    settings.leptos_config = config.clone();
    let error = nsm_server::start(settings).await.err().expect("the start fails").to_string();
    assert!(error.contains(&config.display().to_string()), "{error}");
    assert!(!temp.path().join("data").exists(), "nothing was created before the check");
}
