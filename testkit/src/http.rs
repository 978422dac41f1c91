//! A smart-HTTP git server for tests: `git http-backend` run as CGI behind a small
//! hyper server on 127.0.0.1, optionally requiring basic auth.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWriteExt;
use tokio::sync::oneshot;

use crate::{io_error, Result};

/// Serves every repository under a root directory at `http://127.0.0.1:<port>/<name>`,
/// on its own thread and runtime so sync and async tests alike can use it. Stops on drop.
pub struct GitHttpServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct Config {
    root: PathBuf,
    /// The exact `Authorization` header value required, if any.
    authorization: Option<String>,
}

impl GitHttpServer {
    pub fn start(root: &Path) -> Result<Self> {
        Self::spawn(Config { root: root.to_owned(), authorization: None })
    }

    /// Like [`Self::start`], answering 401 unless the client sends these credentials.
    pub fn start_with_basic_auth(root: &Path, user: &str, password: &str) -> Result<Self> {
        let authorization = format!("Basic {}", base64(format!("{user}:{password}").as_bytes()));
        Self::spawn(Config { root: root.to_owned(), authorization: Some(authorization) })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The clone URL of the repository `name` under the root.
    pub fn url(&self, name: &str) -> String {
        format!("http://{}/{name}", self.addr)
    }

    fn spawn(config: Config) -> Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(io_error("binding 127.0.0.1:0"))?;
        listener.set_nonblocking(true).map_err(io_error("configuring the listener"))?;
        let addr = listener.local_addr().map_err(io_error("reading the listener's address"))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(io_error("starting a runtime for the git server"))?;
        let (stop, stopped) = oneshot::channel();
        let config = Arc::new(config);
        let thread = std::thread::spawn(move || runtime.block_on(serve(listener, config, stopped)));
        Ok(Self { addr, stop: Some(stop), thread: Some(thread) })
    }
}

impl Drop for GitHttpServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(listener: std::net::TcpListener, config: Arc<Config>, mut stopped: oneshot::Receiver<()>) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
            _ = &mut stopped => return,
        };
        let config = config.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(request, config.clone()));
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

async fn handle(request: Request<Incoming>, config: Arc<Config>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(match answer(request, &config).await {
        Ok(response) => response,
        Err(error) => {
            tracing::warn!(%error, "git http-backend failed");
            plain(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
        }
    })
}

async fn answer(request: Request<Incoming>, config: &Config) -> Result<Response<Full<Bytes>>> {
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let Some(required) = &config.authorization {
        if header("authorization").as_deref() != Some(required.as_str()) {
            let mut response = plain(StatusCode::UNAUTHORIZED, "authentication required".to_owned());
            response
                .headers_mut()
                .insert("WWW-Authenticate", hyper::header::HeaderValue::from_static("Basic realm=\"nsm-test\""));
            return Ok(response);
        }
    }
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let content_type = header("content-type").unwrap_or_default();
    let git_protocol = header("git-protocol");
    let content_encoding = header("content-encoding");
    let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();

    let mut command = tokio::process::Command::new("git");
    command
        .arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &config.root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_PROJECT_ROOT", &config.root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("CONTENT_TYPE", content_type)
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(protocol) = git_protocol {
        command.env("HTTP_GIT_PROTOCOL", protocol);
    }
    if let Some(encoding) = content_encoding {
        command.env("HTTP_CONTENT_ENCODING", encoding);
    }
    if config.authorization.is_some() {
        command.env("REMOTE_USER", "nsm-test");
    }
    let mut child = command.spawn().map_err(io_error("starting git http-backend"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A backend that does not read its input closes the pipe early; that is fine.
        let _ = stdin.write_all(&body).await;
    }
    let output = child.wait_with_output().await.map_err(io_error("running git http-backend"))?;
    Ok(cgi_response(&output.stdout))
}

/// Turns CGI output (headers, blank line, body) into a response.
fn cgi_response(output: &[u8]) -> Response<Full<Bytes>> {
    let (head, body) = match find(output, b"\r\n\r\n") {
        Some(at) => (&output[..at], &output[at + 4..]),
        None => match find(output, b"\n\n") {
            Some(at) => (&output[..at], &output[at + 2..]),
            None => return plain(StatusCode::BAD_GATEWAY, "git http-backend wrote no headers".to_owned()),
        },
    };
    let mut response = Response::new(Full::new(Bytes::copy_from_slice(body)));
    for line in String::from_utf8_lossy(head).lines() {
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().and_then(|c| c.parse::<u16>().ok());
            if let Some(status) = code.and_then(|c| StatusCode::from_u16(c).ok()) {
                *response.status_mut() = status;
            }
        } else if let (Ok(name), Ok(value)) =
            (hyper::header::HeaderName::try_from(name.trim()), hyper::header::HeaderValue::try_from(value))
        {
            response.headers_mut().append(name, value);
        }
    }
    response
}

fn plain(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    response
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Standard base64 with padding, for the expected `Authorization` header.
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"x-access-token:abc"), "eC1hY2Nlc3MtdG9rZW46YWJj");
    }

    #[test]
    fn cgi_headers_become_the_response() {
        let response = cgi_response(b"Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnope");
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(response.headers()["content-type"], "text/plain");
    }
}
