//! A TCP proxy a test owns, to cut a link and restore it: while cut, every connection
//! through it is closed and new ones are closed as soon as they are accepted (a peer
//! sees its link drop and its reconnects fail); restored, it forwards again.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::{io_error, Result};

pub struct CutProxy {
    addr: SocketAddr,
    cut: watch::Sender<bool>,
    accept: tokio::task::JoinHandle<()>,
}

impl CutProxy {
    /// Listens on an ephemeral port of 127.0.0.1 and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(io_error("binding the proxy"))?;
        let addr = listener.local_addr().map_err(io_error("the proxy's address"))?;
        let (cut, watching) = watch::channel(false);
        let accept = tokio::spawn(accept_loop(listener, upstream, watching));
        Ok(Self { addr, cut, accept })
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Closes every connection through the proxy and refuses new ones until
    /// [`Self::restore`].
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    /// Forwards new connections again.
    pub fn restore(&self) {
        self.cut.send_replace(false);
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.cut.send_replace(true);
        self.accept.abort();
    }
}

async fn accept_loop(listener: TcpListener, upstream: SocketAddr, cut: watch::Receiver<bool>) {
    loop {
        let Ok((client, _)) = listener.accept().await else { continue };
        if *cut.borrow() {
            // Accepted and closed at once: the peer's connect "succeeds", its link does not.
            drop(client);
            continue;
        }
        tokio::spawn(forward(client, upstream, cut.clone()));
    }
}

async fn forward(mut client: TcpStream, upstream: SocketAddr, mut cut: watch::Receiver<bool>) {
    let Ok(mut server) = TcpStream::connect(upstream).await else { return };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = cut.wait_for(|cut| *cut) => {}
    }
    // Both sockets close here, in the middle of whatever was being said.
}
