//! Choosing host ports for `Port` variables (design §3): keep the resource's leased
//! port while it stays free or is held by this project's own containers, never hand
//! out a port leased to another resource, else find a free one.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, Ipv6Addr, TcpListener};
use std::ops::RangeInclusive;

use rand::Rng;

/// Where new ports come from: below Linux's ephemeral range (32768+), so outgoing
/// connections do not take them between the check and Compose binding them.
const RANGE: RangeInclusive<u16> = 20000..=32767;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// The preferred port, free on the host.
    Kept,
    /// The preferred port, published by this project's running deployment.
    KeptFromRunning,
    /// A new port (no preference, or the preferred one was unavailable).
    New,
}

/// Every port of the range is reserved, chosen or in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no free TCP port in {first}-{last}")]
pub struct NoFreePort {
    pub first: u16,
    pub last: u16,
}

/// Picks the ports of one deployment: never one twice.
pub struct PortPicker {
    reserved: BTreeSet<u16>,
    held_by_project: BTreeSet<u16>,
    chosen: BTreeSet<u16>,
    is_free: fn(u16) -> bool,
}

impl PortPicker {
    pub fn new(reserved: impl IntoIterator<Item = u16>, held_by_project: impl IntoIterator<Item = u16>) -> Self {
        Self {
            reserved: reserved.into_iter().collect(),
            held_by_project: held_by_project.into_iter().collect(),
            chosen: BTreeSet::new(),
            is_free: bindable,
        }
    }

    pub fn pick(&mut self, preferred: Option<u16>) -> Result<(u16, Choice), NoFreePort> {
        if let Some(port) = preferred.filter(|p| *p != 0 && self.available(*p)) {
            let choice = if self.held_by_project.contains(&port) {
                Some(Choice::KeptFromRunning)
            } else if (self.is_free)(port) {
                Some(Choice::Kept)
            } else {
                None
            };
            if let Some(choice) = choice {
                self.chosen.insert(port);
                return Ok((port, choice));
            }
        }
        let span = u32::from(RANGE.end() - RANGE.start()) + 1;
        let offset = rand::thread_rng().gen_range(0..span);
        for step in 0..span {
            let Ok(port) = u16::try_from(u32::from(*RANGE.start()) + (offset + step) % span) else {
                continue;
            };
            // Ports the running deployment holds may be another resource's lease.
            if self.available(port) && !self.held_by_project.contains(&port) && (self.is_free)(port) {
                self.chosen.insert(port);
                return Ok((port, Choice::New));
            }
        }
        Err(NoFreePort { first: *RANGE.start(), last: *RANGE.end() })
    }

    fn available(&self, port: u16) -> bool {
        !self.reserved.contains(&port) && !self.chosen.contains(&port)
    }
}

/// Whether a listener could bind the port on all interfaces (as Docker publishes).
fn bindable(port: u16) -> bool {
    if TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).is_err() {
        return false;
    }
    // A host without IPv6 cannot bind `::` at all; that says nothing about the port.
    match TcpListener::bind((Ipv6Addr::UNSPECIFIED, port)) {
        Ok(_) => true,
        Err(error) => error.kind() != std::io::ErrorKind::AddrInUse,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picker(reserved: &[u16], held: &[u16], free: fn(u16) -> bool) -> PortPicker {
        let mut picker = PortPicker::new(reserved.iter().copied(), held.iter().copied());
        picker.is_free = free;
        picker
    }

    #[test]
    fn a_free_preferred_port_is_kept() {
        assert_eq!(picker(&[], &[], |_| true).pick(Some(8080)), Ok((8080, Choice::Kept)));
    }

    #[test]
    fn a_port_held_by_the_running_deployment_is_kept() {
        assert_eq!(picker(&[], &[8080], |_| false).pick(Some(8080)).unwrap(), (8080, Choice::KeptFromRunning));
    }

    #[test]
    fn reserved_ports_are_never_handed_out() {
        let reserved: Vec<u16> = (20000..=32000).collect();
        let mut picker = picker(&reserved, &[], |_| true);
        let (port, choice) = picker.pick(Some(20000)).unwrap();
        assert_eq!(choice, Choice::New);
        assert!(port > 32000, "{port}");
        for _ in 0..50 {
            let (port, _) = picker.pick(None).unwrap();
            assert!(!reserved.contains(&port));
        }
    }

    #[test]
    fn a_busy_preferred_port_is_replaced() {
        let (port, choice) = picker(&[], &[], |p| p != 8080).pick(Some(8080)).unwrap();
        assert_eq!(choice, Choice::New);
        assert!(RANGE.contains(&port));
    }

    #[test]
    fn one_job_never_hands_out_a_port_twice() {
        let mut picker = picker(&[], &[], |_| true);
        let (first, _) = picker.pick(Some(9000)).unwrap();
        let (second, choice) = picker.pick(Some(9000)).unwrap();
        assert_eq!(first, 9000);
        assert_ne!(second, 9000);
        assert_eq!(choice, Choice::New);
    }

    #[test]
    fn exhaustion_is_an_error() {
        assert!(picker(&[], &[], |_| false).pick(None).is_err());
    }

    #[test]
    fn bindable_sees_a_listener() {
        let listener = TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!(!bindable(port));
        drop(listener);
        assert!(bindable(port));
    }
}
