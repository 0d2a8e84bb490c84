//! URLs the server hands out for uploads and downloads when storage is a local folder (S3
//! signs its own). The client sends no credentials to them, so the URL is the authority: it
//! names one object and one method, carries its expiry, and is signed with HMAC-SHA256 under a
//! key kept in the store (so every process of one store agrees, and restarts keep URLs valid).

use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use utoipa::IntoParams;

use crate::auth::hex;

type HmacSha256 = Hmac<Sha256>;

/// Which storage location a URL reaches (`/blobs/{bucket}/...`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bucket {
    Uploads,
    Results,
}

impl Bucket {
    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Uploads => "uploads",
            Bucket::Results => "results",
        }
    }
}

/// What a signed URL carries in its query: when it expires (Unix seconds) and its signature.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SignedQuery {
    pub expires: i64,
    pub signature: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Put,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
        }
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("this URL expired; ask the API for a new one")]
    Expired,
    #[error("this URL's signature does not match its object and method")]
    Invalid,
}

#[derive(Clone)]
pub struct UrlSigner {
    key: Vec<u8>,
    /// What URLs start with, e.g. `http://127.0.0.1:8787`.
    base: String,
}

impl UrlSigner {
    pub fn new(key: Vec<u8>, base: &str) -> UrlSigner {
        UrlSigner {
            key,
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    fn signature(&self, method: Method, bucket: Bucket, key: &str, expires: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(
            format!("{}\n{}\n{key}\n{expires}", method.as_str(), bucket.as_str()).as_bytes(),
        );
        mac
    }

    /// The URL for `method` on `key` in `bucket`, valid until `expires` (Unix seconds).
    pub fn url(&self, method: Method, bucket: Bucket, key: &str, expires: i64) -> String {
        let signature = hex(&self
            .signature(method, bucket, key, expires)
            .finalize()
            .into_bytes());
        format!(
            "{}/blobs/{}/{key}?expires={expires}&signature={signature}",
            self.base,
            bucket.as_str()
        )
    }

    /// Checks a URL's signature (in constant time) and expiry.
    pub fn verify(
        &self,
        method: Method,
        bucket: Bucket,
        key: &str,
        expires: i64,
        signature: &str,
        now: i64,
    ) -> Result<(), SignatureError> {
        let bytes = unhex(signature).ok_or(SignatureError::Invalid)?;
        self.signature(method, bucket, key, expires)
            .verify_slice(&bytes)
            .map_err(|_| SignatureError::Invalid)?;
        if now > expires {
            return Err(SignatureError::Expired);
        }
        Ok(())
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "jobs/7/job_input.zip";

    fn query(url: &str) -> (i64, String) {
        let query = url.split_once('?').unwrap().1;
        let signed: SignedQuery = serde_html_form::from_str(query).unwrap();
        (signed.expires, signed.signature)
    }

    #[test]
    fn a_url_is_good_for_its_object_and_method_until_it_expires() {
        let signer = UrlSigner::new(b"secret".to_vec(), "http://127.0.0.1:8787/");
        let url = signer.url(Method::Put, Bucket::Uploads, KEY, 1_000);
        assert!(url.starts_with("http://127.0.0.1:8787/blobs/uploads/jobs/7/job_input.zip?"));
        let (expires, signature) = query(&url);
        let verify = |method, bucket, key, expires, signature: &str, now| {
            signer.verify(method, bucket, key, expires, signature, now)
        };
        assert_eq!(
            verify(Method::Put, Bucket::Uploads, KEY, expires, &signature, 999),
            Ok(())
        );
        assert_eq!(
            verify(
                Method::Put,
                Bucket::Uploads,
                KEY,
                expires,
                &signature,
                1_001
            ),
            Err(SignatureError::Expired)
        );
        // Bound to the method, the location, the object and the expiry it states.
        assert_eq!(
            verify(Method::Get, Bucket::Uploads, KEY, expires, &signature, 0),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify(Method::Put, Bucket::Results, KEY, expires, &signature, 0),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify(
                Method::Put,
                Bucket::Uploads,
                "jobs/8/job_input.zip",
                expires,
                &signature,
                0
            ),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify(
                Method::Put,
                Bucket::Uploads,
                KEY,
                expires + 3_600,
                &signature,
                0
            ),
            Err(SignatureError::Invalid)
        );
        // Tampered or garbled signatures.
        let mut tampered = signature.clone().into_bytes();
        tampered[0] = if tampered[0] == b'0' { b'1' } else { b'0' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_eq!(
            verify(Method::Put, Bucket::Uploads, KEY, expires, &tampered, 0),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify(Method::Put, Bucket::Uploads, KEY, expires, "zz", 0),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            verify(Method::Put, Bucket::Uploads, KEY, expires, "", 0),
            Err(SignatureError::Invalid)
        );
        // Another key signs other URLs.
        let other = UrlSigner::new(b"other".to_vec(), "http://127.0.0.1:8787");
        assert_eq!(
            other.verify(Method::Put, Bucket::Uploads, KEY, expires, &signature, 0),
            Err(SignatureError::Invalid)
        );
    }
}
