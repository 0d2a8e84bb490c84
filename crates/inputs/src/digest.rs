//! The digest of a model's files: their paths (relative to the model directory) and contents,
//! in path order, so the same files give the same digest wherever and whenever they were packed
//! or extracted. Packing computes it as it reads the files; a worker computes it again over the
//! files it extracted (a run's fingerprint), and both agree.

use std::io::{self, Read};

use sha2::{Digest, Sha256};

/// Files added in path order make one model's digest.
#[derive(Default)]
pub struct ModelDigest(Sha256);

impl ModelDigest {
    /// Adds the file at relative path `name` (`/`-separated) of `len` bytes, read from
    /// `contents`.
    pub fn add_file(&mut self, name: &str, len: u64, contents: impl Read) -> io::Result<u64> {
        self.0.update((name.len() as u64).to_le_bytes());
        self.0.update(name.as_bytes());
        self.0.update(len.to_le_bytes());
        io::copy(&mut contents.take(len), &mut HashWriter(&mut self.0))
    }

    /// The digest, in lowercase hex.
    pub fn finish(self) -> String {
        self.0
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Feeds what is written into a hasher.
pub(crate) struct HashWriter<'a>(pub(crate) &'a mut Sha256);

impl io::Write for HashWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
