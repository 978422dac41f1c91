//! One deployment per project at a time; a newer request coalesces into the queued one.

use std::collections::HashMap;

use nsm_core::DeploymentId;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ProjectSlot {
    pub running: Option<DeploymentId>,
    pub queued: Option<DeploymentId>,
}

/// What became of a deploy request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Nothing runs: start this new deployment now.
    StartNow,
    /// Something runs: this new deployment waits.
    Queued,
    /// One already waits: the request joins it.
    Coalesced(DeploymentId),
}

#[derive(Debug, Default)]
pub struct Queues {
    slots: HashMap<String, ProjectSlot>,
}

impl Queues {
    /// Decides before a deployment row exists, so coalesced requests create none.
    pub fn admit(&self, project: &str) -> Admission {
        match self.slots.get(project).copied().unwrap_or_default() {
            ProjectSlot { queued: Some(id), .. } => Admission::Coalesced(id),
            ProjectSlot { running: Some(_), .. } => Admission::Queued,
            ProjectSlot { running: None, queued: None } => Admission::StartNow,
        }
    }

    pub fn record(&mut self, project: &str, id: DeploymentId, admission: Admission) {
        let slot = self.slots.entry(project.to_owned()).or_default();
        match admission {
            Admission::StartNow => slot.running = Some(id),
            Admission::Queued => slot.queued = Some(id),
            Admission::Coalesced(_) => {}
        }
    }

    /// A deployment ended (or a queued one was cancelled): returns the queued
    /// deployment that must start now, if any.
    pub fn finished(&mut self, project: &str, id: DeploymentId) -> Option<DeploymentId> {
        let slot = self.slots.get_mut(project)?;
        let next = if slot.running == Some(id) {
            slot.running = slot.queued.take();
            slot.running
        } else {
            if slot.queued == Some(id) {
                slot.queued = None;
            }
            None
        };
        if slot.running.is_none() && slot.queued.is_none() {
            self.slots.remove(project);
        }
        next
    }

    pub fn slot(&self, project: &str) -> ProjectSlot {
        self.slots.get(project).copied().unwrap_or_default()
    }

    /// Follows a project rename.
    pub fn rename(&mut self, from: &str, to: &str) {
        if let Some(slot) = self.slots.remove(from) {
            self.slots.insert(to.to_owned(), slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_one_queues_one_coalesces_the_rest() {
        let mut q = Queues::default();
        assert_eq!(q.admit("p"), Admission::StartNow);
        q.record("p", DeploymentId(1), Admission::StartNow);
        assert_eq!(q.admit("p"), Admission::Queued);
        q.record("p", DeploymentId(2), Admission::Queued);
        for _ in 0..10 {
            assert_eq!(q.admit("p"), Admission::Coalesced(DeploymentId(2)));
        }
        assert_eq!(q.admit("other"), Admission::StartNow, "projects are independent");
        assert_eq!(q.finished("p", DeploymentId(1)), Some(DeploymentId(2)));
        assert_eq!(q.slot("p"), ProjectSlot { running: Some(DeploymentId(2)), queued: None });
        assert_eq!(q.admit("p"), Admission::Queued);
        assert_eq!(q.finished("p", DeploymentId(2)), None);
        assert_eq!(q.admit("p"), Admission::StartNow);
    }

    #[test]
    fn cancelling_the_queued_one_frees_the_queue() {
        let mut q = Queues::default();
        q.record("p", DeploymentId(1), Admission::StartNow);
        q.record("p", DeploymentId(2), Admission::Queued);
        assert_eq!(q.finished("p", DeploymentId(2)), None, "the running one goes on");
        assert_eq!(q.slot("p"), ProjectSlot { running: Some(DeploymentId(1)), queued: None });
    }
}
