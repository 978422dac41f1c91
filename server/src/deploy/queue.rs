//! One deployment per project at a time; a newer request coalesces into the queued one,
//! unless that one is a redeploy (it runs an older commit than the request asks for).

use std::collections::HashMap;

use nsm_core::DeploymentId;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ProjectSlot {
    pub running: Option<DeploymentId>,
    pub queued: Option<DeploymentId>,
    /// The queued deployment is a redeploy of an earlier one.
    pub queued_redeploy: bool,
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
    /// A redeploy waits: a deploy asked for after it supersedes it (the newest intent
    /// wins, and joining it would run the old commit instead of the branch's).
    Supersedes(DeploymentId),
}

#[derive(Debug, Default)]
pub struct Queues {
    slots: HashMap<String, ProjectSlot>,
}

impl Queues {
    /// Decides before a deployment row exists, so coalesced requests create none.
    pub fn admit(&self, project: &str) -> Admission {
        match self.slots.get(project).copied().unwrap_or_default() {
            ProjectSlot { queued: Some(id), queued_redeploy: true, .. } => Admission::Supersedes(id),
            ProjectSlot { queued: Some(id), .. } => Admission::Coalesced(id),
            ProjectSlot { running: Some(_), .. } => Admission::Queued,
            ProjectSlot { running: None, queued: None, .. } => Admission::StartNow,
        }
    }

    /// Records a new deployment `id` as admitted; `redeploy` when it redeploys an
    /// earlier one.
    pub fn record(&mut self, project: &str, id: DeploymentId, admission: Admission, redeploy: bool) {
        let slot = self.slots.entry(project.to_owned()).or_default();
        match admission {
            Admission::StartNow => slot.running = Some(id),
            Admission::Queued => {
                slot.queued = Some(id);
                slot.queued_redeploy = redeploy;
            }
            Admission::Coalesced(_) | Admission::Supersedes(_) => {}
        }
    }

    /// A deployment ended (or a queued one was cancelled): returns the queued
    /// deployment that must start now, if any.
    pub fn finished(&mut self, project: &str, id: DeploymentId) -> Option<DeploymentId> {
        let slot = self.slots.get_mut(project)?;
        let next = if slot.running == Some(id) {
            slot.running = slot.queued.take();
            slot.queued_redeploy = false;
            slot.running
        } else {
            if slot.queued == Some(id) {
                slot.queued = None;
                slot.queued_redeploy = false;
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
        q.record("p", DeploymentId(1), Admission::StartNow, false);
        assert_eq!(q.admit("p"), Admission::Queued);
        q.record("p", DeploymentId(2), Admission::Queued, false);
        for _ in 0..10 {
            assert_eq!(q.admit("p"), Admission::Coalesced(DeploymentId(2)));
        }
        assert_eq!(q.admit("other"), Admission::StartNow, "projects are independent");
        assert_eq!(q.finished("p", DeploymentId(1)), Some(DeploymentId(2)));
        assert_eq!(q.slot("p"), ProjectSlot { running: Some(DeploymentId(2)), queued: None, queued_redeploy: false });
        assert_eq!(q.admit("p"), Admission::Queued);
        assert_eq!(q.finished("p", DeploymentId(2)), None);
        assert_eq!(q.admit("p"), Admission::StartNow);
    }

    #[test]
    fn cancelling_the_queued_one_frees_the_queue() {
        let mut q = Queues::default();
        q.record("p", DeploymentId(1), Admission::StartNow, false);
        q.record("p", DeploymentId(2), Admission::Queued, false);
        assert_eq!(q.finished("p", DeploymentId(2)), None, "the running one goes on");
        assert_eq!(q.slot("p"), ProjectSlot { running: Some(DeploymentId(1)), queued: None, queued_redeploy: false });
    }

    #[test]
    fn a_deploy_supersedes_a_queued_redeploy_instead_of_joining_it() {
        let mut q = Queues::default();
        q.record("p", DeploymentId(1), Admission::StartNow, false);
        q.record("p", DeploymentId(2), Admission::Queued, true);
        assert_eq!(q.admit("p"), Admission::Supersedes(DeploymentId(2)));
        // The redeploy is cancelled; the deploy then queues behind the running one.
        assert_eq!(q.finished("p", DeploymentId(2)), None);
        assert_eq!(q.admit("p"), Admission::Queued);
        q.record("p", DeploymentId(3), Admission::Queued, false);
        assert_eq!(q.admit("p"), Admission::Coalesced(DeploymentId(3)), "a plain queued deploy is joined");
        assert_eq!(q.finished("p", DeploymentId(1)), Some(DeploymentId(3)));
        assert!(!q.slot("p").queued_redeploy);
    }
}
