//! What blocks a deployment before it starts: a reference whose target was deleted
//! (or is of the wrong type), named, as the Environment tab names it.

use super::Problem;
use crate::domain::Topology;
use crate::variables::{check_reference, Variable, VariableValue};

/// Each variable whose reference cannot resolve against `topology`, in order.
pub fn blocking_problems(variables: &[Variable], topology: &Topology) -> Vec<Problem> {
    variables
        .iter()
        .filter_map(|variable| match &variable.value {
            VariableValue::Reference(reference) => check_reference(&variable.name, reference, topology).err(),
            VariableValue::Plain(_) => None,
        })
        .map(|error| Problem { variable: Some(error.variable().to_string()), message: error.to_string() })
        .collect()
}
