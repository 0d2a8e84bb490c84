//! What an attempt committed: the manifest listing every file of its outputs, written last
//! under its attempt prefix (see [`crate::keys`]). An attempt without a manifest committed
//! nothing; readers (results copies, results archives) take only the files it lists.

use serde::{Deserialize, Serialize};

use crate::ids::{JobId, RunId};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Relative to the attempt's prefix, `/`-separated.
    pub path: String,
    pub size: u64,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub job_id: JobId,
    pub run_id: RunId,
    pub run_number: u32,
    pub attempt: u32,
    pub files: Vec<ManifestFile>,
    pub total_bytes: u64,
}
