//! A deployment's vocabulary: its id, its state machine and what triggered it.

crate::row_id!(
    /// A deployment's number, shown to users as `#N`.
    DeploymentId
);

crate::text_enum!(
    /// `queued → preparing → starting → settling → succeeded | failed | timed_out | cancelled`
    pub enum DeploymentState {
        Queued = "queued",
        Preparing = "preparing",
        Starting = "starting",
        Settling = "settling",
        Succeeded = "succeeded",
        Failed = "failed",
        TimedOut = "timed_out",
        Cancelled = "cancelled",
    }
);

impl DeploymentState {
    pub const TERMINAL: [DeploymentState; 4] = [Self::Succeeded, Self::Failed, Self::TimedOut, Self::Cancelled];

    /// The deployment has ended and will never change again.
    pub fn is_terminal(self) -> bool {
        Self::TERMINAL.contains(&self)
    }

    /// The terminal states as an SQL list, `('succeeded', …)`: the one place SQL
    /// learns which states are final.
    pub fn terminal_sql_list() -> String {
        let words: Vec<String> = Self::TERMINAL.iter().map(|s| format!("'{}'", s.as_str())).collect();
        format!("({})", words.join(", "))
    }
}

crate::text_enum!(
    /// Who or what asked for a deployment.
    pub enum Trigger {
        /// A user pressed Deploy.
        Manual = "manual",
        /// The CI/CD webhook.
        Webhook = "webhook",
        /// A redeploy of an earlier deployment's commit and configuration.
        Rollback = "rollback",
    }
);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_state_round_trips_through_its_word() {
        for state in DeploymentState::ALL {
            assert_eq!(DeploymentState::parse(state.as_str()), Some(*state));
            let json = serde_json::to_string(state).unwrap();
            assert_eq!(json, format!("\"{}\"", state.as_str()));
        }
        assert_eq!(DeploymentState::parse("done"), None);
        assert!("done".parse::<DeploymentState>().is_err());
    }

    #[test]
    fn exactly_the_four_final_states_are_terminal() {
        let terminal: Vec<_> = DeploymentState::ALL.iter().filter(|s| s.is_terminal()).map(|s| s.as_str()).collect();
        assert_eq!(terminal, ["succeeded", "failed", "timed_out", "cancelled"]);
        assert_eq!(DeploymentState::terminal_sql_list(), "('succeeded', 'failed', 'timed_out', 'cancelled')");
    }

    #[test]
    fn ids_are_plain_numbers_on_the_wire() {
        assert_eq!(serde_json::to_string(&DeploymentId(7)).unwrap(), "7");
        assert_eq!(serde_json::from_str::<DeploymentId>("7").unwrap(), DeploymentId(7));
        assert_eq!("12".parse::<DeploymentId>().unwrap().to_string(), "12");
    }
}
