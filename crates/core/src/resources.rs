//! What one run asks of a machine, as a job definition states it, and what it asks by default
//! (the stack's job definition and the command line share these).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::backend::BackendKind;

/// vCPUs and memory reserved for one attempt, as AWS Batch's resourceRequirements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Resources {
    pub vcpus: u32,
    pub memory_mb: u64,
}

impl Resources {
    /// The stack's default job definition: 4 vCPUs and 8192 MB per run.
    pub const AWS_DEFAULT: Resources = Resources {
        vcpus: 4,
        memory_mb: 8192,
    };
    /// A laptop is not a c5.xlarge: locally a run asks one core and 2 GB unless told otherwise.
    pub const LOCAL_DEFAULT: Resources = Resources {
        vcpus: 1,
        memory_mb: 2048,
    };

    /// What a run asks for unless told otherwise on `kind`: the stack's job definition on AWS
    /// Batch; a core and 2 GB locally and on a Slurm cluster's nodes.
    pub fn default_for(kind: BackendKind) -> Resources {
        match kind {
            BackendKind::Local | BackendKind::Slurm => Resources::LOCAL_DEFAULT,
            BackendKind::AwsBatch => Resources::AWS_DEFAULT,
        }
    }

    /// Whether `self` fits inside `capacity`.
    pub fn fits_in(&self, capacity: &Resources) -> bool {
        self.vcpus <= capacity.vcpus && self.memory_mb <= capacity.memory_mb
    }
}

impl fmt::Display for Resources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} vCPU, {} MB", self.vcpus, self.memory_mb)
    }
}
