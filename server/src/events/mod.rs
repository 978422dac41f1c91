//! The live events browsers follow (`GET /api/v1/events`): every service state,
//! worker presence, deployment step and certificate change, in one ordered stream.
//!
//! Each event gets an id (`<server start>-<sequence>`) and is kept in a ring of the
//! last [`KEEP`]; a browser that reconnects with `Last-Event-ID` gets what it missed,
//! each event once and in order, or a `reset` when the ring no longer reaches back
//! that far (or the server restarted), telling it to reload what it shows.
//!
//! A service at the bottom of the stack: it knows only the shared crate's event
//! types; the deployer, the hub and the edge publish into it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use nsm_core::events::{EventId, LiveEvent};
use tokio::sync::broadcast;

/// How many events are kept for browsers that reconnect.
pub const KEEP: usize = 10_000;
/// Events waiting for a slow subscriber before it is told to reset.
const BACKLOG: usize = 4_096;

/// One published event and its id.
#[derive(Debug, Clone)]
pub struct Published {
    pub id: EventId,
    pub event: Arc<LiveEvent>,
}

struct Ring {
    next: u64,
    kept: VecDeque<Published>,
}

pub struct Events {
    boot: u64,
    ring: Mutex<Ring>,
    tx: broadcast::Sender<Published>,
}

/// What a subscriber starts with: the events it missed (or a reset), then `live`.
pub struct Subscription {
    pub missed: Vec<Published>,
    pub live: broadcast::Receiver<Published>,
}

impl Events {
    pub fn new() -> Arc<Self> {
        let boot = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
        Arc::new(Self {
            boot,
            ring: Mutex::new(Ring { next: 1, kept: VecDeque::with_capacity(1024) }),
            tx: broadcast::channel(BACKLOG).0,
        })
    }

    fn ring(&self) -> MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Publishes `event` to every subscriber, after everything published before it.
    pub fn publish(&self, event: LiveEvent) {
        let mut ring = self.ring();
        let published = Published { id: EventId { boot: self.boot, seq: ring.next }, event: Arc::new(event) };
        ring.next += 1;
        if ring.kept.len() == KEEP {
            ring.kept.pop_front();
        }
        ring.kept.push_back(published.clone());
        // Sent under the ring's lock, so a subscriber's missed events and its live
        // ones neither overlap nor leave a gap. No subscriber is no one to tell.
        let _ = self.tx.send(published);
    }

    /// Subscribes from after `last` (a `Last-Event-ID`); `None`: from now on.
    pub fn subscribe(&self, last: Option<EventId>) -> Subscription {
        let ring = self.ring();
        let live = self.tx.subscribe();
        let missed = match last {
            None => Vec::new(),
            Some(last) => {
                let oldest = ring.kept.front().map_or(ring.next, |p| p.id.seq);
                let reaches = last.boot == self.boot && last.seq + 1 >= oldest && last.seq < ring.next;
                if reaches {
                    ring.kept.iter().filter(|p| p.id.seq > last.seq).cloned().collect()
                } else {
                    vec![self.reset_at(ring.next)]
                }
            }
        };
        Subscription { missed, live }
    }

    /// A reset for one subscriber (not published: the others missed nothing).
    pub fn reset(&self) -> Published {
        let next = self.ring().next;
        self.reset_at(next)
    }

    /// A reset carrying the id of the last event published before `next`, so a
    /// browser resuming from it misses nothing after.
    fn reset_at(&self, next: u64) -> Published {
        Published { id: EventId { boot: self.boot, seq: next.saturating_sub(1) }, event: Arc::new(LiveEvent::Reset) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker(n: usize) -> LiveEvent {
        LiveEvent::Worker { worker: format!("w{n}"), online: true, version: None, at: String::new() }
    }

    #[test]
    fn a_resumed_subscriber_gets_what_it_missed_once_then_the_rest() {
        let events = Events::new();
        events.publish(worker(1));
        events.publish(worker(2));
        let first = events.ring().kept[0].id;
        let mut sub = events.subscribe(Some(first));
        assert_eq!(sub.missed.len(), 1);
        assert_eq!(*sub.missed[0].event, worker(2));
        events.publish(worker(3));
        let live = sub.live.try_recv().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(*live.event, worker(3));
        assert!(sub.live.try_recv().is_err(), "each event once");
    }

    #[test]
    fn too_old_or_foreign_ids_reset() {
        let events = Events::new();
        for n in 0..KEEP + 10 {
            events.publish(worker(n));
        }
        let old = EventId { boot: events.boot, seq: 2 };
        assert_eq!(*events.subscribe(Some(old)).missed[0].event, LiveEvent::Reset);
        let other_boot = EventId { boot: events.boot + 1, seq: 5 };
        assert_eq!(*events.subscribe(Some(other_boot)).missed[0].event, LiveEvent::Reset);
        let last = events.ring().kept.back().map(|p| p.id).unwrap_or(old);
        assert!(events.subscribe(Some(last)).missed.is_empty(), "up to date: nothing missed");
        assert!(events.subscribe(None).missed.is_empty());
    }
}
