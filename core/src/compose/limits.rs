//! Bounds on what a repository's compose file may make NSM do while reading it.
//!
//! YAML aliases are copied where they are used, so a few lines of anchors can stand for
//! billions of values (a "billion laughs"), and deep nesting makes tree code recurse. A
//! first pass over the parser's events measures the document as it would be after
//! expansion, in time linear in the file, and refuses it before any tree is built.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::{Yaml, YamlLoader};

use super::ComposeError;

/// Largest compose file read, in bytes.
pub const MAX_COMPOSE_BYTES: usize = 1024 * 1024;
/// Most values (scalars, sequences, mappings) the file may hold once aliases are expanded.
pub const MAX_COMPOSE_NODES: u64 = 100_000;
/// Most scalar bytes the file may hold once aliases are expanded.
pub const MAX_EXPANDED_BYTES: u64 = 16 * 1024 * 1024;
/// Deepest nesting of sequences and mappings, aliases expanded.
pub const MAX_COMPOSE_DEPTH: usize = 64;
/// Deepest nesting of `${...}` inside another's default, alternative or message.
pub const MAX_INTERPOLATION_DEPTH: usize = 16;

/// Which bound a compose file broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ComposeLimit {
    #[error("it is larger than {} KiB", MAX_COMPOSE_BYTES / 1024)]
    Bytes,
    #[error("its aliases expand to more than {MAX_COMPOSE_NODES} values")]
    Nodes,
    #[error("its aliases expand to more than {} MiB of text", MAX_EXPANDED_BYTES / (1024 * 1024))]
    ExpandedBytes,
    #[error("it nests sequences and mappings deeper than {MAX_COMPOSE_DEPTH} levels")]
    Depth,
    #[error("a value nests `${{...}}` deeper than {MAX_INTERPOLATION_DEPTH} levels")]
    InterpolationDepth,
}

/// The size of a node once expanded: values, scalar bytes, nesting below it.
#[derive(Debug, Clone, Copy, Default)]
struct Size {
    nodes: u64,
    bytes: u64,
    depth: usize,
}

impl Size {
    fn add(&mut self, child: Size) {
        self.nodes = self.nodes.saturating_add(child.nodes);
        self.bytes = self.bytes.saturating_add(child.bytes);
        self.depth = self.depth.max(child.depth + 1);
    }
}

/// Loads every document of `yaml`, refusing text whose expansion breaks a bound.
pub fn load_bounded(yaml: &str) -> Result<Vec<Yaml>, ComposeError> {
    if yaml.len() > MAX_COMPOSE_BYTES {
        return Err(ComposeError::TooLarge(ComposeLimit::Bytes));
    }
    measure(yaml)?;
    YamlLoader::load_from_str(yaml).map_err(invalid)
}

/// Walks the events once, keeping each anchor's expanded size and the size of every
/// open collection; stops at the first bound broken.
fn measure(yaml: &str) -> Result<(), ComposeError> {
    let mut parser = Parser::new_from_str(yaml);
    let mut anchors: HashMap<usize, Size> = HashMap::new();
    // Open collections: (anchor id, size so far).
    let mut open: Vec<(usize, Size)> = Vec::new();
    let mut total = Size::default();
    loop {
        let (event, _) = parser.next_token().map_err(invalid)?;
        let finished = match event {
            Event::StreamEnd => return Ok(()),
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if open.len() >= MAX_COMPOSE_DEPTH {
                    return Err(ComposeError::TooLarge(ComposeLimit::Depth));
                }
                open.push((anchor, Size { nodes: 1, bytes: 0, depth: 0 }));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match open.pop() {
                Some(closed) => closed,
                None => continue,
            },
            Event::Scalar(value, _, anchor, _) => (anchor, Size { nodes: 1, bytes: value.len() as u64, depth: 0 }),
            // An unknown alias is the loader's error to report.
            Event::Alias(id) => (0, anchors.get(&id).copied().unwrap_or(Size { nodes: 1, bytes: 0, depth: 0 })),
            _ => continue,
        };
        let (anchor, size) = finished;
        if anchor > 0 {
            anchors.insert(anchor, size);
        }
        if open.len() + size.depth > MAX_COMPOSE_DEPTH {
            return Err(ComposeError::TooLarge(ComposeLimit::Depth));
        }
        match open.last_mut() {
            Some((_, parent)) => parent.add(size),
            None => total.add(size),
        }
        // The open collections' sizes are not in `total` yet: count them too.
        let pending = open.iter().fold(total, |mut sum, (_, s)| {
            sum.nodes = sum.nodes.saturating_add(s.nodes);
            sum.bytes = sum.bytes.saturating_add(s.bytes);
            sum
        });
        if pending.nodes > MAX_COMPOSE_NODES {
            return Err(ComposeError::TooLarge(ComposeLimit::Nodes));
        }
        if pending.bytes > MAX_EXPANDED_BYTES {
            return Err(ComposeError::TooLarge(ComposeLimit::ExpandedBytes));
        }
    }
}

fn invalid(e: yaml_rust2::ScanError) -> ComposeError {
    let mark = e.marker();
    ComposeError::InvalidYaml(format!("{} (line {}, column {})", e.info(), mark.line(), mark.col() + 1))
}
