//! Storing an attempt's outputs. Every attempt writes under its own prefix
//! (`job-<J>/run-<N>/attempt-<A>/`); `MANIFEST.json`, written last, lists every file with its
//! size and SHA-256. An attempt without a manifest committed nothing.

use std::io::Read;
use std::path::{Path, PathBuf};

use fredbatch_core::keys::{attempt_file_key, manifest_key};
use fredbatch_storage::{Storage, StorageError};
use futures::{StreamExt, TryStreamExt};
use sha2::{Digest, Sha256};

use crate::fingerprint::files_below;

pub use fredbatch_core::keys::{MANIFEST, attempt_prefix};
pub use fredbatch_core::manifest::{Manifest, ManifestFile};

/// Uploads in flight at once.
const CONCURRENT_UPLOADS: usize = 16;

/// Uploads every file below `dir` to `prefix/<relative path>`, several at a time (a FRED run
/// writes dozens of small files, and an object store answers each request with latency),
/// returning what was uploaded, sorted by path.
pub async fn upload_dir(
    storage: &Storage,
    prefix: &str,
    dir: &Path,
) -> Result<Vec<ManifestFile>, UploadError> {
    let files = files_below(dir).map_err(|e| UploadError::Read(dir.to_owned(), e))?;
    let mut uploaded: Vec<ManifestFile> = futures::stream::iter(files)
        .map(|relative| async move {
            let name = relative.to_string_lossy().replace('\\', "/");
            upload_file(storage, prefix, &name, &dir.join(&relative)).await
        })
        .buffer_unordered(CONCURRENT_UPLOADS)
        .try_collect()
        .await?;
    uploaded.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(uploaded)
}

/// Uploads one file as `prefix/name` and returns its manifest entry.
pub async fn upload_file(
    storage: &Storage,
    prefix: &str,
    name: &str,
    path: &Path,
) -> Result<ManifestFile, UploadError> {
    let sha256 = {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || {
            sha256_of(&path).map_err(|e| UploadError::Read(path, e))
        })
        .await
        .map_err(|e| UploadError::Read(PathBuf::new(), std::io::Error::other(e)))??
    };
    let size = storage
        .put_file(&attempt_file_key(prefix, name), path)
        .await?;
    Ok(ManifestFile {
        path: name.to_owned(),
        size,
        sha256,
    })
}

/// Writes the manifest: the commit point of the attempt's outputs.
pub async fn write_manifest(
    storage: &Storage,
    prefix: &str,
    manifest: &Manifest,
) -> Result<(), UploadError> {
    let json = serde_json::to_vec_pretty(manifest).expect("manifest serializes");
    storage.put_bytes(&manifest_key(prefix), json).await?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("cannot read output {0}: {1}")]
    Read(PathBuf, #[source] std::io::Error),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

fn sha256_of(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
