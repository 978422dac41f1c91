//! Resource-use sampling on the wire: [`super::ServerMessage::WatchStats`] and
//! [`super::WorkerMessage::ContainerStats`]; the sample itself is
//! [`crate::stats::ContainerSample`].

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::protocol::{ServerMessage, WorkerMessage};
    use crate::stats::ContainerSample;
    use crate::ProjectId;

    #[test]
    fn stats_messages_round_trip_under_their_tags() {
        let project = ProjectId::parse("shop").unwrap();
        let watch = ServerMessage::WatchStats { projects: vec![project.clone()] };
        let json = serde_json::to_value(&watch).unwrap();
        assert_eq!(json["type"], watch.kind());
        assert_eq!(serde_json::from_value::<ServerMessage>(json).unwrap(), watch);
        let sample = ContainerSample {
            project,
            service: "web".to_owned(),
            container: "abc".to_owned(),
            at: 1,
            cpu_percent: 12.5,
            memory_bytes: 1 << 20,
            memory_limit: 1 << 30,
        };
        let stats = WorkerMessage::ContainerStats { samples: vec![sample] };
        let json = serde_json::to_value(&stats).unwrap();
        assert_eq!(json["type"], stats.kind());
        assert_eq!(serde_json::from_value::<WorkerMessage>(json).unwrap(), stats);
    }
}
