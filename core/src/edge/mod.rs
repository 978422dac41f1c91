//! The edge: the nginx configuration that publishes a project (design §6).
//!
//! [`render_nginx`] writes one project's file from its [`Topology`](crate::domain::Topology)
//! and what the deploy resolved (ports, directories, certificates). The browser renders
//! its preview with the same function. Installing the file, `nginx -t` and ACME are the
//! server's; this module only writes text.

mod certificates;
mod error;
mod nginx;
mod text;

crate::text_enum!(
    /// How a node publishes its projects.
    pub enum EdgeMode {
        /// NSM runs and supervises its own nginx master (prefix under the data directory).
        Managed = "managed",
        /// NSM writes into the include directory of the host's nginx and reloads it.
        System = "system",
        /// No nginx at all: domains are kept but not served.
        Off = "off",
    }
);

pub use certificates::{certificate_map, CERTIFICATE_VARIABLE};
pub use nginx::{
    render_nginx, CertificatePaths, ListenPorts, NginxError, NginxInput, ServerCertificates, DEFAULT_UPSTREAM_HOST,
};

#[cfg(test)]
mod tests;
