//! Packing a model directory.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::{InputsError, ModelDigest, io_error};

/// Bounds on what a model directory may hold.
#[derive(Clone, Copy, Debug)]
pub struct PackLimits {
    pub max_bytes: u64,
    pub max_files: usize,
}

impl Default for PackLimits {
    fn default() -> Self {
        PackLimits {
            max_bytes: 1 << 30,
            max_files: 10_000,
        }
    }
}

/// What went into the archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packed {
    pub files: usize,
    pub bytes: u64,
    /// The digest of the model's files (see [`crate::ModelDigest`]).
    pub model_digest: String,
}

/// Checks `model_dir` (exists, holds `program`, no links, within limits) and writes its files
/// into a zip archive at `archive`. Paths in the archive are relative to `model_dir`.
pub fn pack_model_dir(
    model_dir: &Path,
    program: &str,
    archive: &Path,
    limits: PackLimits,
) -> Result<Packed, InputsError> {
    let shown = model_dir.display().to_string();
    let meta = std::fs::metadata(model_dir).map_err(|_| InputsError::NoModelDir(shown.clone()))?;
    if !meta.is_dir() {
        return Err(InputsError::NotADirectory(shown));
    }
    let files = list_files(model_dir, limits, &shown)?;
    if files.is_empty() {
        return Err(InputsError::EmptyModelDir(shown));
    }
    if !model_dir.join(program).is_file() {
        return Err(InputsError::NoProgram {
            dir: shown,
            program: program.to_owned(),
        });
    }
    let out = File::create(archive).map_err(io_error(archive))?;
    let mut zip = ZipWriter::new(BufWriter::new(out));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let mut bytes = 0u64;
    let mut digest = ModelDigest::default();
    for relative in &files {
        let name = relative.to_string_lossy().replace('\\', "/");
        zip.start_file(name.as_str(), options)
            .map_err(|e| InputsError::Io {
                path: archive.display().to_string(),
                source: e.into(),
            })?;
        let path = model_dir.join(relative);
        let mut input = File::open(&path).map_err(io_error(&path))?;
        let len = input.metadata().map_err(io_error(&path))?.len();
        // The bytes go to the archive and the digest as they are read: the same bytes.
        let mut tee = Tee {
            reader: &mut input,
            zip: &mut zip,
        };
        let copied = digest
            .add_file(&name, len, &mut tee)
            .map_err(io_error(&path))?;
        if copied != len {
            return Err(InputsError::Io {
                path: path.display().to_string(),
                source: std::io::Error::other("the file changed while it was packed"),
            });
        }
        bytes += copied;
    }
    let mut writer = zip.finish().map_err(|e| InputsError::Io {
        path: archive.display().to_string(),
        source: e.into(),
    })?;
    writer.flush().map_err(io_error(archive))?;
    Ok(Packed {
        files: files.len(),
        bytes,
        model_digest: digest.finish(),
    })
}

/// Reading through it writes what is read into the archive too.
struct Tee<'a, R, W> {
    reader: &'a mut R,
    zip: &'a mut W,
}

impl<R: Read, W: Write> Read for Tee<'_, R, W> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.reader.read(buffer)?;
        self.zip.write_all(&buffer[..read])?;
        Ok(read)
    }
}

/// Regular files below `root`, relative to it, sorted so archives are reproducible.
fn list_files(root: &Path, limits: PackLimits, shown: &str) -> Result<Vec<PathBuf>, InputsError> {
    let mut files = Vec::new();
    let mut total = 0u64;
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let dir = root.join(&relative);
        for entry in std::fs::read_dir(&dir).map_err(io_error(&dir))? {
            let entry = entry.map_err(io_error(&dir))?;
            let kind = entry.file_type().map_err(io_error(&entry.path()))?;
            let child = relative.join(entry.file_name());
            if kind.is_symlink() {
                return Err(InputsError::LinkInModel(entry.path().display().to_string()));
            } else if kind.is_dir() {
                pending.push(child);
            } else if kind.is_file() {
                total += entry.metadata().map_err(io_error(&entry.path()))?.len();
                if total > limits.max_bytes {
                    return Err(InputsError::ModelTooLarge {
                        dir: shown.to_owned(),
                        limit: limits.max_bytes,
                    });
                }
                files.push(child);
                if files.len() > limits.max_files {
                    return Err(InputsError::TooManyModelFiles {
                        dir: shown.to_owned(),
                        limit: limits.max_files,
                    });
                }
            }
        }
    }
    files.sort();
    Ok(files)
}
