//! The edge: the nginx configuration that publishes a project (design §6).
//!
//! [`render_nginx`] writes one project's file from its [`Topology`](crate::domain::Topology)
//! and what the deploy resolved (ports, directories, certificates). The browser renders
//! its preview with the same function; [`site_file`] builds it for one node (design §6:
//! the control plane renders, the node installs). Installing, `nginx -t` and ACME are
//! not here; this module only writes text.

mod certificates;
mod error;
mod front;
mod nginx;
mod node;
pub mod policy;
mod site;
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
pub use front::{render_front, FrontFiles, FrontRoute, FrontSockets, FRONT_VARIABLE, RELAY_VARIABLE};
pub use nginx::{
    render_nginx, CertificatePaths, ListenPorts, NginxError, NginxInput, ServerCertificates, DEFAULT_UPSTREAM_HOST,
};
pub use node::{EdgeFacts, Probe, ProbeKind, SiteFile};
pub use site::{node_input, site_file};

#[cfg(test)]
mod tests;
