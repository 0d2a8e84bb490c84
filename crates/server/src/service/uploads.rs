//! The signed URLs this server answers itself (storage that cannot sign its own, such as a
//! local folder): checking them, spooling uploads into storage, reading results archives.

use bytes::Bytes;
use chrono::Utc;
use fredbatch_storage::StorageError;
use fredbatch_store::InputsCheck;
use futures::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;

use super::Service;
use crate::error::ApiError;
use crate::signing::{Bucket, Method, SignatureError, SignedQuery};
use fredbatch_core::keys::{job_of_api_key, job_of_uploaded_inputs_key};

impl Service {
    /// Checks a URL this server signed: for `method` on `key` in `bucket`, the only bucket
    /// that method reaches (uploads are written, results read).
    ///
    /// A URL lives no longer than what it was handed out for: once its job is deleted it
    /// answers 410, once its owner is revoked 403.
    pub async fn verify_url(
        &self,
        method: Method,
        bucket: Bucket,
        key: &str,
        signed: &SignedQuery,
    ) -> Result<(), ApiError> {
        let now = Utc::now().timestamp();
        self.signer
            .verify(method, bucket, key, signed.expires, &signed.signature, now)?;
        let reaches = match method {
            Method::Put => Bucket::Uploads,
            Method::Get => Bucket::Results,
        };
        if bucket != reaches {
            return Err(SignatureError::Invalid.into());
        }
        let Some(job_id) = job_of_api_key(key) else {
            return Err(SignatureError::Invalid.into());
        };
        let Some(job) = self.store.api_job(job_id).await? else {
            return Err(SignatureError::Invalid.into());
        };
        if job.deleted {
            return Err(ApiError::Gone(format!(
                "job {job_id} was deleted, and what this URL reached with it"
            )));
        }
        let owner = self.store.user(job.owner).await?;
        if owner.is_none_or(|owner| owner.revoked_at.is_some()) {
            return Err(ApiError::Revoked);
        }
        Ok(())
    }

    /// Stores an upload sent to a URL this server signed. The body is spooled to disk as it
    /// arrives and refused as soon as it passes the upload limit or its owner's stored-bytes
    /// quota, so nothing is held in memory and nothing is stored from a refused upload. What
    /// is stored counts toward the quota.
    pub async fn put_upload<S, E>(
        &self,
        key: &str,
        declared_length: Option<u64>,
        mut body: S,
    ) -> Result<(), ApiError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let limit = self.upload_limit;
        if declared_length.is_some_and(|length| length > limit) {
            return Err(ApiError::TooLarge { limit });
        }
        // Each object is uploaded once: a URL cannot be replayed to replace what was stored
        // (or to store more than the upload limit under one job, one limit at a time).
        if self.uploads.exists(key).await? {
            return Err(ApiError::Conflict(
                "this upload URL was used already; ask for a new job to upload other files".into(),
            ));
        }
        // A URL this server signed names its job (checked by `verify_url`).
        let job = job_of_api_key(key)
            .ok_or(SignatureError::Invalid)
            .map_err(ApiError::from)?;
        let Some(api_job) = self.store.api_job(job).await? else {
            return Err(SignatureError::Invalid.into());
        };
        if job_of_uploaded_inputs_key(key).is_some() && api_job.inputs != InputsCheck::Pending {
            return Err(ApiError::Conflict(format!(
                "job {job} has its inputs already; register a new job for other inputs"
            )));
        }
        let quota = self.stored_bytes(api_job.owner).await?;
        let admit = |bytes: u64| quota.as_ref().map_or(Ok(()), |quota| quota.admit(bytes));
        if let Some(length) = declared_length {
            admit(length)?;
        }
        let scratch = |source| ApiError::Spool {
            path: self.scratch.clone(),
            source,
        };
        std::fs::create_dir_all(&self.scratch).map_err(scratch)?;
        let spool = tempfile::NamedTempFile::new_in(&self.scratch).map_err(scratch)?;
        let mut file = tokio::fs::File::from_std(spool.reopen().map_err(scratch)?);
        let mut received = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk =
                chunk.map_err(|e| ApiError::BadRequest(format!("the upload broke off: {e}")))?;
            received += chunk.len() as u64;
            if received > limit {
                return Err(ApiError::TooLarge { limit });
            }
            admit(received)?;
            file.write_all(&chunk).await.map_err(scratch)?;
        }
        file.flush().await.map_err(scratch)?;
        drop(file);
        self.uploads.put_file(key, spool.path()).await?;
        self.store.record_upload(job, received).await?;
        Ok(())
    }

    pub async fn get_result(&self, key: &str) -> Result<Bytes, ApiError> {
        match self.results.get_bytes(key).await {
            Err(StorageError::NotFound { .. }) => Err(ApiError::Gone(
                "these results are no longer stored (their job was deleted)".into(),
            )),
            got => Ok(got?),
        }
    }
}
