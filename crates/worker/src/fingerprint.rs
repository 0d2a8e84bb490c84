//! Measuring the parts of a run's fingerprint that live on disk where the attempt runs: the
//! engine's build and the model's files (see `fredbatch_core::fingerprint`).

use std::io::Read;
use std::path::{Path, PathBuf};

use fredbatch_core::fingerprint::{hex_digest, to_hex};
use sha2::{Digest, Sha256};

use fredbatch_inputs::ModelDigest;

use crate::engine::EngineBuild;

/// The digest of an engine's build.
pub fn engine_digest(build: &EngineBuild) -> std::io::Result<String> {
    match build {
        EngineBuild::BuiltIn(name) => Ok(hex_digest(name.as_bytes())),
        EngineBuild::Files(files) => {
            let mut hasher = Sha256::new();
            for file in files {
                match std::fs::File::open(file) {
                    Ok(opened) => {
                        hasher.update(b"file\n");
                        hash_contents(&mut hasher, opened)?;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        hasher.update(b"absent\n");
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(to_hex(&hasher.finalize()))
        }
    }
}

/// The digest of every regular file below `dir` ([`ModelDigest`]: the one packing computed
/// when the model was registered).
pub fn model_digest(dir: &Path) -> std::io::Result<String> {
    let mut digest = ModelDigest::default();
    for relative in files_below(dir)? {
        let name = relative.to_string_lossy().replace('\\', "/");
        let file = std::fs::File::open(dir.join(&relative))?;
        let len = file.metadata()?.len();
        digest.add_file(&name, len, file)?;
    }
    Ok(digest.finish())
}

fn hash_contents(hasher: &mut Sha256, mut file: std::fs::File) -> std::io::Result<()> {
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            return Ok(());
        }
        hasher.update(&buffer[..read]);
    }
}

/// Regular files below `root`, relative to it, sorted.
pub(crate) fn files_below(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        for entry in std::fs::read_dir(root.join(&relative))? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let child = relative.join(entry.file_name());
            if kind.is_dir() {
                pending.push(child);
            } else if kind.is_file() {
                files.push(child);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn a_model_digest_follows_names_and_bytes_only() {
        let files = [("main.fred", "days = 10\n"), ("inc/flu.fred", "x = 1\n")];
        let a = model_digest(model(&files).path()).unwrap();
        assert_eq!(a, model_digest(model(&files).path()).unwrap());
        let one_byte = model_digest(
            model(&[("main.fred", "days = 11\n"), ("inc/flu.fred", "x = 1\n")]).path(),
        )
        .unwrap();
        assert_ne!(a, one_byte);
        let renamed = model_digest(
            model(&[("main.fred", "days = 10\n"), ("inc/flu2.fred", "x = 1\n")]).path(),
        )
        .unwrap();
        assert_ne!(a, renamed);
        // The boundary between two files is part of the digest.
        let moved = model_digest(
            model(&[("main.fred", "days = 10\nx"), ("inc/flu.fred", " = 1\n")]).path(),
        )
        .unwrap();
        assert_ne!(a, moved);
    }

    #[test]
    fn packing_a_model_gives_the_digest_its_extracted_files_give() {
        let dir = model(&[("main.fred", "days = 10\n"), ("inc/flu.fred", "x = 1\n")]);
        let archive = tempfile::NamedTempFile::new().unwrap();
        let packed = fredbatch_inputs::pack_model_dir(
            dir.path(),
            "main.fred",
            archive.path(),
            fredbatch_inputs::PackLimits::default(),
        )
        .unwrap();
        assert_eq!(packed.model_digest, model_digest(dir.path()).unwrap());
    }

    #[test]
    fn an_engine_digest_follows_its_files_and_a_missing_defaults_file() {
        let home = model(&[("bin/FRED", "engine v1"), ("data/config.fred", "a = 1\n")]);
        let build = EngineBuild::Files(vec![
            home.path().join("bin/FRED"),
            home.path().join("data/config.fred"),
        ]);
        let before = engine_digest(&build).unwrap();
        std::fs::write(home.path().join("data/config.fred"), "a = 2\n").unwrap();
        let defaults_changed = engine_digest(&build).unwrap();
        assert_ne!(before, defaults_changed);
        std::fs::remove_file(home.path().join("data/config.fred")).unwrap();
        assert_ne!(defaults_changed, engine_digest(&build).unwrap());
        assert_ne!(
            engine_digest(&EngineBuild::BuiltIn("demo 1".into())).unwrap(),
            engine_digest(&EngineBuild::BuiltIn("demo 2".into())).unwrap()
        );
    }
}
