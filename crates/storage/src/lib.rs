//! Storage for job inputs ("uploads") and run results, behind the `object_store` crate so the
//! same code writes to a local folder (the default, under `.fredbatch/`) or to an S3 bucket.
//!
//! A **location** is what users configure (`FREDBATCH_UPLOADS`, `FREDBATCH_RESULTS`): a local
//! path, a `file://` URL, or `s3://bucket[/prefix]`. S3 credentials and region come from the
//! standard AWS environment (in a Batch container: the job role through the ECS credentials
//! endpoint); `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_S3`) points at an S3-compatible store. A **key** is a `/`-separated name inside a location, such as
//! `jobs/3/job_input.zip`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::prefix::PrefixStore;
use object_store::signer::Signer;
use object_store::{ObjectStore, PutPayload, WriteMultipart};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Parts of a large file are read and sent this many bytes at a time, so memory stays flat
/// whatever the file's size.
const PART_SIZE: usize = 8 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error(
        "`{0}` is not a storage location fredbatch can use: give a local folder, a file:// URL or s3://bucket[/prefix]"
    )]
    UnsupportedLocation(String),
    #[error("cannot use folder {path} for storage: {source}")]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{key}` is missing from {location}")]
    NotFound { location: String, key: String },
    #[error("storage at {location} failed on `{key}`: {source}")]
    Store {
        location: String,
        key: String,
        #[source]
        source: object_store::Error,
    },
    #[error("cannot read or write local file {path}: {source}")]
    LocalFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One configured location.
#[derive(Clone, Debug)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// How the location is shown to people, e.g. `/home/me/.fredbatch/results`.
    location: String,
    /// The folder behind a local location, so results can be shown as paths.
    local_root: Option<PathBuf>,
    /// For S3: the bucket's client, which signs URLs, and the key prefix of the location.
    signer: Option<(Arc<AmazonS3>, String)>,
}

/// What a presigned URL lets its holder do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlMethod {
    Get,
    Put,
}

/// An object's key and size, from a listing.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StoredObject {
    pub key: String,
    pub size: u64,
}

impl Storage {
    /// Opens a location: a local folder (created if missing), a `file://` URL, or an
    /// `s3://bucket[/prefix]` URL.
    pub fn open(location: &str) -> Result<Storage, StorageError> {
        if location.starts_with("s3://") {
            return Storage::s3(location);
        }
        let path = match location.strip_prefix("file://") {
            Some(path) => PathBuf::from(path),
            None if location.contains("://") => {
                return Err(StorageError::UnsupportedLocation(location.to_owned()));
            }
            None => PathBuf::from(location),
        };
        Storage::local(&path)
    }

    /// A folder on this machine.
    pub fn local(root: &Path) -> Result<Storage, StorageError> {
        let folder_error = |source| StorageError::Folder {
            path: root.to_owned(),
            source,
        };
        std::fs::create_dir_all(root).map_err(folder_error)?;
        let root = root.canonicalize().map_err(folder_error)?;
        let store = LocalFileSystem::new_with_prefix(&root)
            .map_err(|e| folder_error(std::io::Error::other(e)))?;
        Ok(Storage {
            store: Arc::new(store),
            location: root.display().to_string(),
            local_root: Some(root),
            signer: None,
        })
    }

    /// An S3 bucket, optionally below a key prefix.
    pub fn s3(location: &str) -> Result<Storage, StorageError> {
        let rest = location.trim_start_matches("s3://");
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(StorageError::UnsupportedLocation(location.to_owned()));
        }
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        let endpoint = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
            .into_iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()));
        if let Some(endpoint) = endpoint {
            // S3-compatible stores and emulators address buckets by path, often over plain HTTP.
            builder = builder
                .with_allow_http(endpoint.starts_with("http://"))
                .with_endpoint(endpoint)
                .with_virtual_hosted_style_request(false);
        }
        let s3 = Arc::new(builder.build().map_err(|source| StorageError::Store {
            location: location.to_owned(),
            key: String::new(),
            source,
        })?);
        let prefix = prefix.trim_matches('/').to_owned();
        let whole: Arc<dyn ObjectStore> = s3.clone();
        let store: Arc<dyn ObjectStore> = match prefix.as_str() {
            "" => whole,
            prefix => Arc::new(PrefixStore::new(whole, prefix)),
        };
        let mut storage = Storage::from_store(store, location.trim_end_matches('/').to_owned());
        storage.signer = Some((s3, prefix));
        Ok(storage)
    }

    /// Any other object store, shown to people as `location`.
    pub fn from_store(store: Arc<dyn ObjectStore>, location: String) -> Storage {
        Storage {
            store,
            location,
            local_root: None,
            signer: None,
        }
    }

    /// A URL that lets anyone holding it read (GET) or write (PUT) the object `key` until
    /// `expires_in` has passed, signed by the store itself (S3's query-string authentication).
    /// `None` for locations that cannot sign (a local folder): the caller serves those.
    pub async fn presigned_url(
        &self,
        method: UrlMethod,
        key: &str,
        expires_in: std::time::Duration,
    ) -> Option<Result<String, StorageError>> {
        let (s3, prefix) = self.signer.as_ref()?;
        let full = match prefix.as_str() {
            "" => key.to_owned(),
            prefix => format!("{prefix}/{key}"),
        };
        let method = match method {
            UrlMethod::Get => http::Method::GET,
            UrlMethod::Put => http::Method::PUT,
        };
        Some(
            s3.signed_url(method, &ObjectPath::from(full), expires_in)
                .await
                .map(|url| url.to_string())
                .map_err(|e| self.error(key, e)),
        )
    }

    /// Whether an object exists at `key`.
    pub async fn exists(&self, key: &str) -> Result<bool, StorageError> {
        match self.store.head(&ObjectPath::from(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.error(key, e)),
        }
    }

    pub fn location(&self) -> &str {
        &self.location
    }

    /// Where a key is, in words a person can use: a path for local storage, a URL otherwise.
    pub fn describe(&self, key: &str) -> String {
        match &self.local_root {
            Some(root) => root.join(key).display().to_string(),
            None => format!("{}/{key}", self.location.trim_end_matches('/')),
        }
    }

    fn error(&self, key: &str, source: object_store::Error) -> StorageError {
        match source {
            object_store::Error::NotFound { .. } => StorageError::NotFound {
                location: self.location.clone(),
                key: key.to_owned(),
            },
            source => StorageError::Store {
                location: self.location.clone(),
                key: key.to_owned(),
                source,
            },
        }
    }

    pub async fn put_bytes(
        &self,
        key: &str,
        bytes: impl Into<bytes::Bytes>,
    ) -> Result<(), StorageError> {
        self.store
            .put(&ObjectPath::from(key), PutPayload::from_bytes(bytes.into()))
            .await
            .map_err(|e| self.error(key, e))?;
        Ok(())
    }

    pub async fn get_bytes(&self, key: &str) -> Result<bytes::Bytes, StorageError> {
        let result = self
            .store
            .get(&ObjectPath::from(key))
            .await
            .map_err(|e| self.error(key, e))?;
        result.bytes().await.map_err(|e| self.error(key, e))
    }

    /// Uploads a local file: in one request when it fits in a part, else streamed from disk in
    /// parts. Returns its size.
    pub async fn put_file(&self, key: &str, path: &Path) -> Result<u64, StorageError> {
        let local = |source| StorageError::LocalFile {
            path: path.to_owned(),
            source,
        };
        // A multipart upload costs three requests at least; most of FRED's outputs are small.
        let size = tokio::fs::metadata(path).await.map_err(local)?.len();
        if size < PART_SIZE as u64 {
            let bytes = tokio::fs::read(path).await.map_err(local)?;
            let size = bytes.len() as u64;
            self.put_bytes(key, bytes).await?;
            return Ok(size);
        }
        let mut file = tokio::fs::File::open(path).await.map_err(local)?;
        let upload = self
            .store
            .put_multipart(&ObjectPath::from(key))
            .await
            .map_err(|e| self.error(key, e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut buffer = vec![0u8; PART_SIZE.min(1 << 20)];
        let mut total = 0u64;
        loop {
            let read = match file.read(&mut buffer).await {
                Ok(read) => read,
                Err(source) => {
                    writer.abort().await.ok();
                    return Err(local(source));
                }
            };
            if read == 0 {
                break;
            }
            total += read as u64;
            writer
                .wait_for_capacity(2)
                .await
                .map_err(|e| self.error(key, e))?;
            writer.write(&buffer[..read]);
        }
        writer.finish().await.map_err(|e| self.error(key, e))?;
        Ok(total)
    }

    /// Downloads an object to a local file, streamed. Returns its size.
    pub async fn get_file(&self, key: &str, path: &Path) -> Result<u64, StorageError> {
        let local = |source| StorageError::LocalFile {
            path: path.to_owned(),
            source,
        };
        let result = self
            .store
            .get(&ObjectPath::from(key))
            .await
            .map_err(|e| self.error(key, e))?;
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(local)?;
        }
        let mut file = tokio::fs::File::create(path).await.map_err(local)?;
        let mut stream = result.into_stream();
        let mut total = 0u64;
        while let Some(chunk) = stream.try_next().await.map_err(|e| self.error(key, e))? {
            total += chunk.len() as u64;
            file.write_all(&chunk).await.map_err(local)?;
        }
        file.flush().await.map_err(local)?;
        Ok(total)
    }

    /// Every object under a key prefix, sorted by key.
    pub async fn list(&self, prefix: &str) -> Result<Vec<StoredObject>, StorageError> {
        let prefix_path = ObjectPath::from(prefix);
        let mut objects: Vec<StoredObject> = self
            .store
            .list(Some(&prefix_path))
            .map_ok(|meta| StoredObject {
                key: meta.location.to_string(),
                size: meta.size,
            })
            .try_collect()
            .await
            .map_err(|e| self.error(prefix, e))?;
        objects.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(objects)
    }

    pub async fn delete_prefix(&self, prefix: &str) -> Result<(), StorageError> {
        self.delete_prefix_keeping(prefix, &[]).await
    }

    /// Deletes every object under `prefix` except those under one of the prefixes `keep`
    /// (each a folder-like prefix, with or without its trailing `/`).
    pub async fn delete_prefix_keeping(
        &self,
        prefix: &str,
        keep: &[String],
    ) -> Result<(), StorageError> {
        let keep: Vec<String> = keep
            .iter()
            .map(|k| format!("{}/", k.trim_end_matches('/')))
            .collect();
        for object in self.list(prefix).await? {
            if keep.iter().any(|k| object.key.starts_with(k.as_str())) {
                continue;
            }
            self.store
                .delete(&ObjectPath::from(object.key.as_str()))
                .await
                .map_err(|e| self.error(&object.key, e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
